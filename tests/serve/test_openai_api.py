"""`crsagent serve`'s API on a real uvicorn server (loopback, a free port), driven by the official
openai client: conversations streaming and not, the structured extension, and every error case."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import openai
import pytest
from openai.types.chat import ChatCompletion, ChatCompletionMessageParam
from pydantic import SecretStr

from crsagent.agent import Agent
from crsagent.serve.openai_api import create_app
from crsagent.serve.settings import ServeLimits
from tests.serve.background import background_server

KEY = "test-key-0123456789"


@pytest.fixture(scope="module")
def agent() -> Agent:
    return Agent.from_dataset("demo", llm="offline")


@pytest.fixture(scope="module")
def base_url(agent: Agent) -> Iterator[str]:
    app = create_app(
        {"demo": agent}, ServeLimits(rate_per_minute=0, max_request_bytes=4096, max_message_chars=500)
    )
    with background_server(app) as url:
        yield url


@pytest.fixture(scope="module")
def client(base_url: str) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{base_url}/v1", api_key="unused", max_retries=0)


def _extension(completion: ChatCompletion) -> dict[str, Any]:
    assert completion.model_extra is not None
    return completion.model_extra["crsagent"]


def _converse(client: openai.OpenAI, opening: str) -> tuple[list[ChatCompletionMessageParam], ChatCompletion]:
    """Answer the agent's questions with the first quick reply until it recommends."""
    messages: list[ChatCompletionMessageParam] = [{"role": "user", "content": opening}]
    for _ in range(8):
        completion = client.chat.completions.create(model="demo", messages=messages)
        extension = _extension(completion)
        if extension["items"]:
            return messages, completion
        assert extension["question"] is not None, completion.choices[0].message.content
        messages.append({"role": "assistant", "content": completion.choices[0].message.content or ""})
        messages.append({"role": "user", "content": extension["question"]["quick_replies"][0]})
    raise AssertionError("the agent never recommended")


def test_models_are_the_served_datasets(client: openai.OpenAI) -> None:
    assert [model.id for model in client.models.list()] == ["demo"]
    assert client.models.retrieve("demo").owned_by == "crsagent"


def test_text_parts_and_tool_messages_are_read_as_openai_clients_send_them(client: openai.OpenAI) -> None:
    parts: list[ChatCompletionMessageParam] = [
        {"role": "developer", "content": "You recommend films."},
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "a crime film "},
                {"type": "text", "text": "from the 1990s"},
            ],
        },
    ]
    plain: list[ChatCompletionMessageParam] = [{"role": "user", "content": "a crime film from the 1990s"}]
    as_parts = client.chat.completions.create(model="demo", messages=parts)
    as_text = client.chat.completions.create(model="demo", messages=plain)
    assert as_parts.choices[0].message.content == as_text.choices[0].message.content
    # A client that echoes the show_items call back, with a tool result, gets the same answer.
    message = as_text.choices[0].message
    assert message.tool_calls  # the opening is specific enough to get items at once
    call = message.tool_calls[0]
    assert call.type == "function"
    echoed: list[ChatCompletionMessageParam] = [
        *plain,
        {
            "role": "assistant",
            "content": message.content,
            "tool_calls": [
                {
                    "id": call.id,
                    "type": "function",
                    "function": {"name": call.function.name, "arguments": call.function.arguments},
                }
            ],
        },
        {"role": "tool", "tool_call_id": call.id, "content": "shown"},
        {"role": "user", "content": "something else"},
    ]
    sent: list[ChatCompletionMessageParam] = [
        *plain,
        {"role": "assistant", "content": message.content},
        {"role": "user", "content": "something else"},
    ]
    follow = client.chat.completions.create(model="demo", messages=echoed)
    same = client.chat.completions.create(model="demo", messages=sent)
    assert follow.choices[0].message.content == same.choices[0].message.content


def test_a_conversation_ends_in_catalog_items_beside_the_text(client: openai.OpenAI, agent: Agent) -> None:
    messages, completion = _converse(client, "a crime film from the 1990s")
    message = completion.choices[0].message
    extension = _extension(completion)
    assert message.role == "assistant" and message.content
    assert completion.choices[0].finish_reason == "stop"
    ids = [item["id"] for item in extension["items"]]
    assert all(agent.catalog.get(item_id).title for item_id in ids)
    assert message.tool_calls is not None and len(message.tool_calls) == 1
    call = message.tool_calls[0]
    assert call.type == "function" and call.function.name == "show_items"
    assert [item["id"] for item in json.loads(call.function.arguments)["items"]] == ids
    assert extension["ranking"] and all(entry["id"] in agent.catalog for entry in extension["ranking"])
    assert extension["trace"]["decision"] == "recommend"
    # Stateless: the same conversation gets the same answer again, and a dislike of the first item
    # (said in words, as a person would) keeps it out of the next list.
    again = client.chat.completions.create(model="demo", messages=messages)
    assert [item["id"] for item in _extension(again)["items"]] == ids
    title = extension["items"][0]["title"]
    follow_up: list[ChatCompletionMessageParam] = [
        *messages,
        {"role": "assistant", "content": message.content},
        {"role": "user", "content": f"not {title}, something else"},
    ]
    after = _extension(client.chat.completions.create(model="demo", messages=follow_up))
    assert ids[0] not in [item["id"] for item in after["items"]]


def test_streaming_gives_the_same_reply_in_chunks(client: openai.OpenAI, base_url: str) -> None:
    messages, completion = _converse(client, "a comedy")
    stream = client.chat.completions.create(
        model="demo", messages=messages, stream=True, stream_options={"include_usage": True}
    )
    chunks = list(stream)
    text = "".join(chunk.choices[0].delta.content or "" for chunk in chunks if chunk.choices)
    assert text == completion.choices[0].message.content
    finished = [chunk for chunk in chunks if chunk.choices and chunk.choices[0].finish_reason == "stop"]
    assert len(finished) == 1 and finished[0].model_extra is not None
    assert finished[0].model_extra["crsagent"]["items"] == _extension(completion)["items"]
    calls = [call for chunk in chunks if chunk.choices for call in chunk.choices[0].delta.tool_calls or []]
    assert [call.function.name for call in calls if call.function] == ["show_items"]
    assert chunks[-1].usage is not None and not chunks[-1].choices
    # On the wire: server-sent events that end with [DONE].
    raw = httpx.post(
        f"{base_url}/v1/chat/completions", json={"model": "demo", "messages": messages, "stream": True}
    )
    assert raw.headers["content-type"].startswith("text/event-stream")
    assert raw.text.rstrip().endswith("data: [DONE]")


def _error(response: httpx.Response) -> dict[str, Any]:
    body = response.json()
    assert set(body["error"]) == {"message", "type", "param", "code"}
    return body["error"]


@pytest.mark.parametrize(
    ("body", "param", "words"),
    [
        ({"model": "demo", "messages": []}, "messages", "at least 1"),
        ({"model": "demo", "messages": [{"role": "wizard", "content": "hi"}]}, "messages.0.role", "system"),
        (
            {"model": "demo", "messages": [{"role": "system", "content": "be nice"}]},
            "messages",
            "no user message",
        ),
        (
            {"model": "demo", "messages": [{"role": "user", "content": "x" * 501}]},
            "messages.0.content",
            "501",
        ),
        ({"model": "demo", "messages": [{"role": "user", "content": "hi"}], "n": 2}, "n", "1"),
        (
            {
                "model": "demo",
                "messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {}}]}],
            },
            "messages.0.content",
            "image_url content; only text",
        ),
        ({"messages": [{"role": "user", "content": "hi"}]}, "model", "required"),
    ],
)
def test_bad_requests_are_400_with_the_field_named(
    base_url: str, body: dict[str, Any], param: str, words: str
) -> None:
    response = httpx.post(f"{base_url}/v1/chat/completions", json=body)
    assert response.status_code == 400
    error = _error(response)
    assert error["type"] == "invalid_request_error" and error["param"] == param
    assert words in error["message"]


def test_malformed_json_is_400(base_url: str) -> None:
    response = httpx.post(
        f"{base_url}/v1/chat/completions", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert response.status_code == 400 and _error(response)["type"] == "invalid_request_error"


def test_unknown_model_is_404_through_the_openai_client(client: openai.OpenAI) -> None:
    with pytest.raises(openai.NotFoundError) as caught:
        client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "hi"}])
    assert "'gpt-4o' is not served here; served: demo" in str(caught.value)
    with pytest.raises(openai.NotFoundError):
        client.models.retrieve("gpt-4o")


def test_too_large_bodies_are_413_with_or_without_a_length(base_url: str, client: openai.OpenAI) -> None:
    with pytest.raises(openai.APIStatusError) as caught:
        client.chat.completions.create(model="demo", messages=[{"role": "user", "content": "y" * 5000}])
    assert caught.value.status_code == 413

    def chunked() -> Iterator[bytes]:  # no Content-Length: the guard counts what arrives
        yield b'{"model": "demo", "messages": [{"role": "user", "content": "'
        for _ in range(10):
            yield b"z" * 1000
        yield b'"}]}'

    response = httpx.post(f"{base_url}/v1/chat/completions", content=chunked())
    assert response.status_code == 413 and _error(response)["code"] == "request_too_large"


def test_nothing_but_the_api_is_exposed(base_url: str) -> None:
    for path in ("/docs", "/redoc", "/openapi.json", "/v1/nothing"):
        response = httpx.get(f"{base_url}{path}")
        assert response.status_code == 404 and _error(response)["type"] == "not_found_error"
    assert httpx.get(f"{base_url}/health").json() == {"status": "ok"}
    assert httpx.get(f"{base_url}/v1/chat/completions").status_code == 405


def test_an_api_key_is_required_when_set(agent: Agent) -> None:
    app = create_app({"demo": agent}, ServeLimits(rate_per_minute=0), api_key=SecretStr(KEY))
    hello: list[ChatCompletionMessageParam] = [{"role": "user", "content": "hello"}]
    with background_server(app) as url:
        for key in ("wrong-key", KEY[:-1], KEY + "0"):
            bad = openai.OpenAI(base_url=f"{url}/v1", api_key=key, max_retries=0)
            with pytest.raises(openai.AuthenticationError) as caught:
                bad.chat.completions.create(model="demo", messages=hello)
            assert caught.value.status_code == 401
        assert httpx.get(f"{url}/v1/models").status_code == 401  # no Authorization header at all
        good = openai.OpenAI(base_url=f"{url}/v1", api_key=KEY, max_retries=0)
        assert good.chat.completions.create(model="demo", messages=hello).choices[0].message.content
        assert httpx.get(f"{url}/health").status_code == 200  # health needs no key


def test_a_client_over_its_rate_gets_429_with_retry_after(agent: Agent) -> None:
    app = create_app({"demo": agent}, ServeLimits(rate_per_minute=1, rate_burst=2))
    with background_server(app) as url:
        limited = openai.OpenAI(base_url=f"{url}/v1", api_key="unused", max_retries=0)
        limited.models.list()
        limited.models.list()
        with pytest.raises(openai.RateLimitError) as caught:
            limited.models.list()
        assert caught.value.status_code == 429
        assert int(caught.value.response.headers["retry-after"]) >= 1
