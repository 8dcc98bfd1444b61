"""LangGraph's own server (``langgraph dev``, the in-memory one behind Studio) serves crsagent's
graph from the repository's ``langgraph.json``: started as a subprocess on loopback, driven by
LangGraph's own client (``langgraph_sdk``), offline (no analytics, version check or tracing)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from langgraph_sdk import get_sync_client
from langgraph_sdk.client import SyncLangGraphClient

from crsagent.agent.state import MAX_INPUT_CHARS

ROOT = Path(__file__).resolve().parents[2]
GRAPH = "crsagent"
# How long the server may take to answer /ok (it imports langgraph_api and the graph); a readiness
# wait, not a speed check.
STARTUP_S = 180

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _offline_env() -> dict[str, str]:
    env = dict(os.environ)
    for key in ("LANGSMITH_API_KEY", "LANGCHAIN_API_KEY", "LANGGRAPH_CLOUD_LICENSE_KEY"):
        env.pop(key, None)  # with a key the server would trace to LangSmith and report usage
    env.update(
        CRSAGENT_DEFAULT_DATASET="demo",  # the built-in catalog: starts in a second, needs no data
        CRSAGENT_LLM_MODEL="",  # offline
        LANGGRAPH_CLI_NO_ANALYTICS="1",  # the CLI's usage report
        LANGGRAPH_NO_VERSION_CHECK="1",  # the server's PyPI version check
        LANGSMITH_TRACING="false",
        LANGCHAIN_TRACING_V2="false",
    )
    return env


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    # The in-memory server keeps its files in .langgraph_api/ under its working folder: a temporary
    # one (the graph is named in module syntax, so it is found from anywhere).
    workdir = tmp_path_factory.mktemp("langgraph-dev")
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    log = (workdir / "server.log").open("w")
    command = [str(Path(sys.executable).parent / "langgraph"), "dev", "--no-browser", "--no-reload"]
    command += ["--host", "127.0.0.1", "--port", str(port), "--config", str(ROOT / "langgraph.json")]
    process = subprocess.Popen(command, cwd=workdir, env=_offline_env(), stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + STARTUP_S
        while True:
            if process.poll() is not None:
                pytest.fail(f"langgraph dev exited ({process.returncode}):\n{_tail(workdir / 'server.log')}")
            try:
                if httpx.get(f"{url}/ok", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(
                    f"langgraph dev did not answer /ok in {STARTUP_S} s:\n{_tail(workdir / 'server.log')}"
                )
            time.sleep(0.5)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def _tail(path: Path) -> str:
    return path.read_text(errors="replace")[-4000:]


@pytest.fixture(scope="module")
def client(server: str) -> SyncLangGraphClient:
    return get_sync_client(url=server)


def _turn(client: SyncLangGraphClient, thread_id: str, payload: dict[str, Any]) -> dict[str, Any]:
    output = client.runs.wait(thread_id, GRAPH, input=payload, raise_error=False)
    assert isinstance(output, dict) and "__error__" not in output, output
    assert set(output) == {"reply"}  # the graph's output schema: the reply alone
    return output["reply"]


def _accepted(reply: dict[str, Any]) -> list[str]:
    return [f"{v['type']}:{v['value']}" for v in reply["trace"]["understood"]["accepted"]]


def test_schemas_say_what_a_turn_takes(client: SyncLangGraphClient) -> None:
    (assistant,) = client.assistants.search(graph_id=GRAPH)
    schemas = client.assistants.get_schemas(assistant["assistant_id"])
    turn_input = schemas["input_schema"]
    assert turn_input is not None
    assert turn_input["required"] == ["text"]
    assert set(turn_input["properties"]) == {"text", "given_turn", "user"}
    assert schemas["output_schema"] is not None and set(schemas["output_schema"]["properties"]) == {"reply"}
    assert schemas["context_schema"] is not None
    assert set(schemas["context_schema"]["properties"]) == {"dataset", "llm"}


def test_three_turns_each_answer_their_own_message(client: SyncLangGraphClient) -> None:
    thread_id = client.threads.create()["thread_id"]
    # Turn 1 is cut (a notice), turn 2 matches nothing until relaxed (relaxations, extra tool calls),
    # turn 3 needs neither: nothing of the first two may show in it.
    messages = [
        "I want a comedy" + " " * (MAX_INPUT_CHARS + 100),
        "a horror film from the 1950s",
        "a drama from the 1990s",
    ]
    replies: list[dict[str, Any]] = []
    tool_log: list[int] = []
    for message in messages:
        replies.append(_turn(client, thread_id, {"text": message}))
        tool_log.append(len(client.threads.get_state(thread_id)["values"]["tool_log"]))  # type: ignore[index]
    first, second, third = replies

    assert [r["trace"]["turn"] for r in replies] == [1, 2, 3]
    assert "genre:Comedy" in _accepted(first)
    assert "genre:Horror" in _accepted(second) and "genre:Comedy" not in _accepted(second)
    assert "genre:Drama" in _accepted(third) and "genre:Horror" not in _accepted(third)
    assert (second["trace"]["understood"]["year_min"], second["trace"]["understood"]["year_max"]) == (
        1950,
        1959,
    )
    assert (third["trace"]["understood"]["year_min"], third["trace"]["understood"]["year_max"]) == (
        1990,
        1999,
    )

    cut = f"message cut from {len(messages[0])} to {MAX_INPUT_CHARS} characters"
    assert first["trace"]["notices"] == [cut]
    assert cut not in second["trace"]["notices"] + third["trace"]["notices"]
    assert second["trace"]["relaxations"] and second["text"].startswith("Nothing matched all of that")
    assert third["trace"]["relaxations"] == [] and "set aside" not in third["text"]
    assert third["trace"]["notices"] == []
    # Each trace holds its own turn's tool calls: what that turn added to the session's tool log.
    growth = [tool_log[0], tool_log[1] - tool_log[0], tool_log[2] - tool_log[1]]
    assert [len(r["trace"]["tool_calls"]) for r in replies] == growth
    assert len(second["trace"]["tool_calls"]) > len(third["trace"]["tool_calls"])

    values = client.threads.get_state(thread_id)["values"]
    assert isinstance(values, dict)
    assert values["work"]["notices"] == [] and values["work"]["relaxations"] == []
    assert len(values["work"]["tool_calls"]) == len(third["trace"]["tool_calls"])
    assert [e["user"] for e in values["transcript"]] == [messages[0][:MAX_INPUT_CHARS], *messages[1:]]
    assert [e["agent"] for e in values["transcript"]] == [r["text"] for r in replies]
    assert "given_turn" not in values and "user" not in values  # this run's input only


def test_a_given_turn_holds_for_its_own_run_only(client: SyncLangGraphClient) -> None:
    thread_id = client.threads.create()["thread_id"]
    _turn(client, thread_id, {"text": "a comedy"})
    restart = _turn(client, thread_id, {"text": "start over", "given_turn": {"intent": "restart"}})
    assert restart["trace"]["decision"] == "restart"
    after = _turn(client, thread_id, {"text": "a western"})
    assert after["trace"]["decision"] != "restart"
    assert after["trace"]["understood"]["intent"] != "restart" and "genre:Western" in _accepted(after)


def test_bad_input_and_context_fail_with_the_key_named(client: SyncLangGraphClient) -> None:
    thread_id = client.threads.create()["thread_id"]
    # A turn answered, then one without text: the earlier text must not be answered again.
    assert "genre:Comedy" in _accepted(_turn(client, thread_id, {"text": "a comedy"}))
    cases = [
        ({"given_turn": {"intent": "restart"}}, None, "text: Field required"),
        ({"text": "a comedy", "user": -1}, None, "user: Input should be greater than or equal to 0"),
        ({"text": "a comedy", "given_turn": {"intent": "shout"}}, None, "given_turn.intent"),
        ({"text": "a comedy"}, {"dataset": "no-such-dataset"}, "context.dataset 'no-such-dataset'"),
        ({"text": "a comedy"}, {"llm": "openai:gpt-4o-mini"}, "context.llm 'openai:gpt-4o-mini'"),
    ]
    for payload, context, named in cases:
        output = client.runs.wait(thread_id, GRAPH, input=payload, context=context, raise_error=False)
        assert isinstance(output, dict) and "__error__" in output, (payload, context, output)
        assert named in output["__error__"]["message"], output
    # The thread still serves a good turn after the refused ones, with nothing of theirs in it.
    reply = _turn(client, thread_id, {"text": "a western"})
    assert "genre:Western" in _accepted(reply) and reply["trace"]["understood"]["intent"] != "restart"
    assert reply["trace"]["notices"] == [] and reply["trace"]["turn"] == 2
    values = client.threads.get_state(thread_id)["values"]
    assert isinstance(values, dict)
    assert [e["user"] for e in values["transcript"]] == ["a comedy", "a western"]


def test_context_picks_an_offered_dataset(client: SyncLangGraphClient) -> None:
    thread_id = client.threads.create()["thread_id"]
    output = client.runs.wait(
        thread_id, GRAPH, input={"text": "a comedy"}, context={"dataset": "demo", "llm": "offline"}
    )
    assert isinstance(output, dict)
    assert output["reply"]["trace"]["mode"] == "offline" and "genre:Comedy" in _accepted(output["reply"])
