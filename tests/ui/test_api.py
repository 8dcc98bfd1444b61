"""The API for gradio_client, against a real ``crsagent chat`` on 127.0.0.1 started by the test:
stable named endpoints, plain JSON replies with catalog ids, and sessions bound to their handle."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest

from crsagent.data.registry import load_dataset
from tests.ui.conftest import free_port

gradio_client = pytest.importorskip("gradio_client")
from gradio_client import Client  # noqa: E402  - after the skip: it comes with the ui extra
from gradio_client.exceptions import AppError  # noqa: E402

START_TIMEOUT_S = 120


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``crsagent chat`` on the demo catalog, offline, in a process of its own; its URL."""
    folder = tmp_path_factory.mktemp("api")
    env = {**os.environ, "GRADIO_ANALYTICS_ENABLED": "False", "HF_HUB_OFFLINE": "1"}
    command = [
        sys.executable, "-m", "crsagent.cli", "chat", "--dataset", "demo", "--port", str(free_port()),
        "--cache-dir", str(folder / "cache"), "--sessions", str(folder / "sessions.sqlite"),
    ]  # fmt: skip
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert process.stdout is not None
    lines: list[str] = []
    url = ""
    for line in process.stdout:  # the command prints its URL once it serves
        lines.append(line)
        if line.startswith("crsagent chat:"):
            url = line.split("open ")[1].split()[0]
            break
    if not url:
        process.wait(timeout=START_TIMEOUT_S)
        pytest.fail("crsagent chat exited before serving:\n" + "".join(lines))
    try:
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)


@pytest.fixture
def client(server: str) -> Client:
    return Client(server, verbose=False)


def _answer_until_items(client: Client, reply: dict[str, Any]) -> dict[str, Any]:
    for _ in range(6):
        if reply["items"]:
            return reply
        assert reply["question"] is not None, reply["text"]
        answer = reply["question"]["quick_replies"][0]
        reply = client.predict(answer, reply["session"], api_name="/chat")
    raise AssertionError("no recommendation after six answers")


def test_the_api_has_exactly_the_documented_named_endpoints(client: Client) -> None:
    endpoints: dict[str, Any] = client.view_api(return_format="dict", print_info=False)  # type: ignore[assignment]
    assert sorted(endpoints["named_endpoints"]) == [
        "/chat",
        "/feedback",
        "/history",
        "/new_session",
        "/reset",
    ]
    assert endpoints["unnamed_endpoints"] == {}
    chat = endpoints["named_endpoints"]["/chat"]
    assert [p["parameter_name"] for p in chat["parameters"]] == ["message", "session"]


def test_a_conversation_feedback_history_and_reset(client: Client) -> None:
    catalog = load_dataset("demo").catalog
    first = client.predict("I want a comedy", "", api_name="/chat")
    session = first["session"]
    reply = _answer_until_items(client, first)
    assert reply["session"] == session and reply["trace"]["decision"] == "recommend"
    for item in reply["items"]:  # catalog ids, the catalog's titles
        assert catalog.get(item["id"]).title == item["title"]
    assert "\\" not in reply["text"] and reply["items"][0]["title"] in reply["text"]  # plain text
    liked = client.predict(session, reply["items"][0]["id"], True, api_name="/feedback")
    assert liked["session"] == session and liked["trace"]["turn"] == reply["trace"]["turn"] + 1
    history = client.predict(session, api_name="/history")
    assert history["exchanges"][0] == {"user": "I want a comedy", "agent": first["text"]}
    assert len(history["exchanges"]) == liked["trace"]["turn"]
    assert client.predict(session, api_name="/reset") == {"session": session, "reset": True}
    assert client.predict(session, api_name="/history")["exchanges"] == []


def _session_id(handle: str) -> str:
    payload = handle.split(".")[0]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))[0]


def test_a_foreign_session_id_cannot_read_or_continue_another_session(server: str) -> None:
    owner, stranger = Client(server, verbose=False), Client(server, verbose=False)
    handle = owner.predict("I want a comedy", "", api_name="/chat")["session"]
    session_id = _session_id(handle)
    payload, mac = handle.split(".")
    other_session = stranger.predict("", "", api_name="/new_session")["session"]
    forged = [
        session_id,  # the id alone
        f"{payload}.{other_session.split('.')[1]}",  # its payload under another session's signature
        f"{payload}.{mac[:-2]}AA",
    ]
    for attempt in forged:
        for endpoint, arguments in (("/history", (attempt,)), ("/chat", ("I like it", attempt))):
            with pytest.raises(AppError, match=r"session handle|not a session handle"):
                stranger.predict(*arguments, api_name=endpoint)
    assert len(owner.predict(handle, api_name="/history")["exchanges"]) == 1  # untouched


@pytest.mark.parametrize(
    ("arguments", "endpoint", "message"),
    [
        (("", "vllm-server:http://10.0.0.1:8000/v1#m"), "/new_session", "is not offered here"),
        (("/etc", ""), "/new_session", "dataset '/etc' is not offered here"),
        (("   ", ""), "/chat", "message must be a non-empty string"),
    ],
)
def test_bad_requests_get_a_clear_error(
    client: Client, arguments: tuple[str, ...], endpoint: str, message: str
) -> None:
    with pytest.raises(AppError, match=message):
        client.predict(*arguments, api_name=endpoint)


def test_feedback_on_an_unknown_item_names_it(client: Client) -> None:
    session = client.predict("", "", api_name="/new_session")["session"]
    with pytest.raises(AppError, match="item id 'no-such-item' is not in catalog"):
        client.predict(session, "no-such-item", True, api_name="/feedback")


def test_readme_example(server: str) -> None:
    # The README's "From gradio_client" example, as it is there (the URL aside).
    from gradio_client import Client

    client = Client(server)  # e.g. "http://127.0.0.1:7860/"
    reply = client.predict("I want a comedy", "", api_name="/chat")  # "" starts a session
    while not reply["items"]:  # answer the agent's questions with its first quick reply
        reply = client.predict(reply["question"]["quick_replies"][0], reply["session"], api_name="/chat")
    print(reply["text"])
    for item in reply["items"]:
        print(item["id"], item["title"], item["reasons"][:1])
    client.predict(reply["session"], reply["items"][0]["id"], True, api_name="/feedback")
