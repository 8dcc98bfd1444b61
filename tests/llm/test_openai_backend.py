"""The OpenAI-compatible backend against a real local HTTP server (crsagent.llm.testing_server):
what goes over the wire, tool calls, streaming, retries, timeouts, malformed answers, re-asks."""

from __future__ import annotations

import asyncio
import email.utils
import json
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx2
import pytest
from pydantic import BaseModel, SecretStr

from crsagent.llm import (
    ChatOptions,
    LLMRequestError,
    LLMResponseError,
    LLMTimeoutError,
    LLMUnavailableError,
    Message,
    StreamEnd,
    StructuredOutputError,
    TextDelta,
    ToolSpec,
)
from crsagent.llm.openai_backend import OpenAICompatibleChatModel, OpenAICompatibleConfig
from crsagent.llm.openai_wire import StructuredMode, WireSettings
from crsagent.llm.testing_server import OpenAITestServer, ServerReply


class Preferences(BaseModel):
    genres: list[str]
    liked: bool = True


SEARCH = ToolSpec(
    name="search_items",
    description="Search the catalog",
    parameters={"type": "object", "properties": {"genre": {"type": "string"}}, "required": ["genre"]},
)


@pytest.fixture
def server() -> Iterator[OpenAITestServer]:
    with OpenAITestServer(model="tiny") as running:
        yield running


def connect(
    server: OpenAITestServer,
    *,
    retries: int = 2,
    timeout_s: float = 5.0,
    mode: StructuredMode = "response_format",
    **wire: Any,
) -> OpenAICompatibleChatModel:
    config = OpenAICompatibleConfig(
        base_url=server.url,
        timeout_s=timeout_s,
        max_retries=retries,
        wire=WireSettings(model=server.model, structured_mode=mode, **wire),
    )
    return OpenAICompatibleChatModel(config, name="vllm-server:test")


def test_text_answer_usage_and_the_request_sent(server: OpenAITestServer) -> None:
    server.add(ServerReply(text="Try Blue Train.", usage=(12, 4)))
    model = connect(server)
    result = model.chat(
        [Message.system("You recommend jazz."), Message.user("an album?")],
        options=ChatOptions(temperature=0, max_tokens=50, seed=3, stop=("\n\n",)),
    )
    assert (result.text, result.finish_reason, result.model) == ("Try Blue Train.", "stop", "tiny")
    assert (result.usage.prompt_tokens, result.usage.completion_tokens) == (12, 4)
    assert result.latency_s > 0
    (body,) = server.requests
    assert body["model"] == "tiny"
    assert body["messages"] == [
        {"role": "system", "content": "You recommend jazz."},
        {"role": "user", "content": "an album?"},
    ]
    assert (body["temperature"], body["max_tokens"], body["seed"], body["stop"]) == (0, 50, 3, ["\n\n"])
    assert "tools" not in body and "response_format" not in body


def test_tool_calls_round_trip(server: OpenAITestServer) -> None:
    server.add(ServerReply.calling("search_items", genre="jazz"), ServerReply(text="Kind of Blue."))
    model = connect(server)
    history = [Message.user("some jazz?")]
    first = model.chat(history, tools=[SEARCH], options=ChatOptions(tool_choice="required"))
    (call,) = first.tool_calls
    assert (call.name, call.parsed_arguments(), first.finish_reason) == (
        "search_items",
        {"genre": "jazz"},
        "tool_calls",
    )
    assert server.requests[0]["tools"] == [SEARCH.to_openai()]
    assert server.requests[0]["tool_choice"] == "required"

    history += [first.message(), Message.tool(call, '["Kind of Blue"]')]
    assert model.chat(history, tools=[SEARCH]).text == "Kind of Blue."
    sent = server.requests[1]["messages"]
    assert sent[1]["tool_calls"][0]["function"] == {"name": "search_items", "arguments": '{"genre": "jazz"}'}
    assert sent[2] == {
        "role": "tool",
        "content": '["Kind of Blue"]',
        "tool_call_id": call.id,
        "name": "search_items",
    }


@pytest.mark.parametrize("mode", ["response_format", "structured_outputs", "guided_json"])
def test_the_output_schema_is_sent_in_the_configured_form(
    server: OpenAITestServer, mode: StructuredMode
) -> None:
    server.add(ServerReply(text='{"genres": ["jazz"], "liked": true}'))
    result = connect(server, mode=mode).chat([Message.user("x")], output=Preferences)
    assert result.parsed == Preferences(genres=["jazz"])
    body = server.requests[0]
    schema = Preferences.model_json_schema()
    if mode == "response_format":
        sent = body["response_format"]
        assert sent["type"] == "json_schema"
        assert sent["json_schema"]["name"] == "Preferences"
        assert sent["json_schema"]["strict"] is True
        # Strict form: closed, every field required, no defaults.
        assert sent["json_schema"]["schema"]["required"] == ["genres", "liked"]
        assert sent["json_schema"]["schema"]["additionalProperties"] is False
    elif mode == "structured_outputs":
        assert body["structured_outputs"] == {"json": schema}
        assert "response_format" not in body
    else:
        assert body["guided_json"] == schema


def test_a_schema_violation_then_a_corrected_answer(server: OpenAITestServer) -> None:
    server.add(ServerReply(text='{"genres": "jazz"}'), ServerReply(text='{"genres": ["jazz"]}'))
    result = connect(server).chat([Message.user("x")], output=Preferences)
    assert result.parsed == Preferences(genres=["jazz"])
    assert result.attempts == 2
    reask = server.requests[1]["messages"]
    assert reask[-2] == {"role": "assistant", "content": '{"genres": "jazz"}'}
    assert "genres: Input should be a valid array" in reask[-1]["content"]
    assert result.usage.completion_tokens == 2 + 2  # both answers counted (words, by the test server)


def test_malformed_json_content_is_reasked_too(server: OpenAITestServer) -> None:
    server.add(ServerReply(text='{"genres": ["jazz"'), ServerReply(text='{"genres": ["soul"]}'))
    result = connect(server).chat([Message.user("x")], output=Preferences)
    assert result.parsed == Preferences(genres=["soul"])
    assert "Invalid JSON" in server.requests[1]["messages"][-1]["content"]


def test_a_double_violation_raises_with_the_raw_text(server: OpenAITestServer) -> None:
    server.add(ServerReply(text="jazz, I guess"), ServerReply(text='{"liked": "very"}'))
    with pytest.raises(StructuredOutputError) as caught:
        connect(server).chat([Message.user("x")], output=Preferences)
    assert caught.value.raw_texts == ("jazz, I guess", '{"liked": "very"}')
    assert len(server.requests) == 2


def test_streaming_text_and_tool_calls(server: OpenAITestServer) -> None:
    server.add(
        ServerReply(text="Kind of Blue is a classic.", usage=(9, 6)),
        ServerReply.calling("search_items", genre="bebop"),
    )
    model = connect(server)
    events = list(model.stream([Message.user("jazz?")]))
    deltas = [e.text for e in events if isinstance(e, TextDelta)]
    assert len(deltas) > 1  # it really arrived in pieces
    assert "".join(deltas) == "Kind of Blue is a classic."
    end = events[-1]
    assert isinstance(end, StreamEnd)
    assert end.result.text == "Kind of Blue is a classic."
    assert (end.result.usage.prompt_tokens, end.result.usage.completion_tokens) == (9, 6)
    assert server.requests[0]["stream"] is True
    assert server.requests[0]["stream_options"] == {"include_usage": True}

    events = list(model.stream([Message.user("bebop?")], tools=[SEARCH]))
    end = events[-1]
    assert isinstance(end, StreamEnd)
    (call,) = end.result.tool_calls
    assert (call.name, call.parsed_arguments(), end.result.finish_reason) == (
        "search_items",
        {"genre": "bebop"},
        "tool_calls",
    )
    assert len(server.requests) == 2


def test_429_then_success_is_retried_honouring_retry_after(server: OpenAITestServer) -> None:
    server.add(ServerReply.error(429, "slow down", retry_after_s=0.02), ServerReply(text="ok"))
    assert connect(server, retries=1).chat([Message.user("x")]).text == "ok"
    assert len(server.requests) == 2


def test_5xx_until_retries_run_out(server: OpenAITestServer) -> None:
    server.add(*[ServerReply.error(503, "overloaded", retry_after_s=0.01)] * 3)
    with pytest.raises(LLMUnavailableError, match=r"HTTP 503 after 3 attempt\(s\): overloaded") as caught:
        connect(server, retries=2).chat([Message.user("x")])
    assert (caught.value.attempts, caught.value.status_code) == (3, 503)
    assert len(server.requests) == 3


@pytest.mark.parametrize(
    "wait",
    [
        lambda: {"retry-after-ms": "30000"},
        lambda: {"retry-after": "30"},
        # The date is made when the test runs: one made at collection is in the past by then.
        lambda: {"retry-after": email.utils.formatdate(time.time() + 30, usegmt=True)},
    ],
    ids=["ms", "seconds", "http-date"],
)
def test_a_retry_after_longer_than_the_budget_left_ends_the_call_at_once(
    server: OpenAITestServer, wait: Callable[[], dict[str, str]]
) -> None:
    server.add(
        ServerReply(status=429, error_message="slow down", headers=wait()), ServerReply(text="too late")
    )
    model = connect(server, retries=3)
    with pytest.raises(LLMUnavailableError, match=r"HTTP 429 after 1 attempt\(s\): slow down"):
        model.chat([Message.user("x")], options=ChatOptions(timeout_s=2))
    assert len(server.requests) == 1  # the SDK did not sleep 30 s to retry


def test_the_sdk_retries_with_the_configured_count(server: OpenAITestServer) -> None:
    model = connect(server, retries=4)
    assert model.client().max_retries == 4
    timeout = model.client().timeout
    assert isinstance(timeout, httpx2.Timeout)
    assert (timeout.read, timeout.connect) == (5.0, 5.0)


@pytest.mark.parametrize(
    ("status", "hint"),
    [(400, "HTTP 400"), (401, "CRSAGENT_LLM_API_KEY"), (404, "check the model name"), (422, "HTTP 422")],
)
def test_other_4xx_fail_at_once_with_the_servers_message(
    server: OpenAITestServer, status: int, hint: str
) -> None:
    server.add(ServerReply.error(status, "model 'tiny' does not support that"))
    with pytest.raises(LLMRequestError) as caught:
        connect(server, retries=3).chat([Message.user("x")])
    assert hint in str(caught.value)
    assert "model 'tiny' does not support that" in str(caught.value)
    assert caught.value.status_code == status
    assert len(server.requests) == 1  # never retried


def test_a_timeout_is_retried_then_reported(server: OpenAITestServer) -> None:
    server.add(ServerReply(text="late", delay_s=3), ServerReply(text="late", delay_s=3))
    with pytest.raises(LLMTimeoutError, match=r"no answer within 0.2 s \(2 attempt\(s\)\)"):
        connect(server, retries=1, timeout_s=0.2).chat([Message.user("x")])
    assert len(server.requests) == 2


@pytest.mark.parametrize(
    ("body", "problem"),
    [('{"choices": [', "not valid JSON"), ('"hello"', "no choices"), ('{"id": "x"}', "no choices")],
)
def test_a_malformed_response_body_is_a_clear_error(
    server: OpenAITestServer, body: str, problem: str
) -> None:
    server.add(ServerReply(raw_body=body))
    with pytest.raises(LLMResponseError, match=problem):
        connect(server).chat([Message.user("x")])
    assert len(server.requests) == 1


def test_an_unreachable_server() -> None:
    with OpenAITestServer() as stopped:
        url = stopped.url
    config = OpenAICompatibleConfig(base_url=url, max_retries=1, wire=WireSettings(model="m"))
    with pytest.raises(LLMUnavailableError, match=r"cannot connect \(2 attempt\(s\)\)"):
        OpenAICompatibleChatModel(config).chat([Message.user("x")])


def test_openai_without_a_key_says_which_variable_to_set(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    model = OpenAICompatibleChatModel(OpenAICompatibleConfig(wire=WireSettings(model="gpt-4o-mini")))
    with pytest.raises(LLMRequestError, match="set CRSAGENT_LLM_API_KEY or OPENAI_API_KEY"):
        model.chat([Message.user("x")])


def test_the_key_is_sent_as_a_bearer_token(server: OpenAITestServer) -> None:
    server.add(ServerReply(text="ok"), ServerReply(text="ok"))
    config = OpenAICompatibleConfig(
        base_url=server.url, api_key=SecretStr("sk-test"), wire=WireSettings(model="m")
    )
    OpenAICompatibleChatModel(config).chat([Message.user("x")])
    assert server.headers[0]["authorization"] == "Bearer sk-test"
    # A local server without a key still gets one: the SDK requires it, vLLM ignores it.
    connect(server).chat([Message.user("x")])
    assert server.headers[1]["authorization"] == "Bearer EMPTY"


def test_async_chat_stream_and_retry(server: OpenAITestServer) -> None:
    server.add(
        ServerReply.error(500, retry_after_s=0.01),
        ServerReply(text='{"genres": ["funk"]}'),
        ServerReply(text="streamed reply"),
    )
    model = connect(server, retries=1)

    async def run() -> tuple[list[str], str]:
        parsed = await model.achat([Message.user("x")], output=Preferences)
        pieces = [e.text async for e in model.astream([Message.user("y")]) if isinstance(e, TextDelta)]
        return parsed.output.genres, "".join(pieces)

    assert asyncio.run(run()) == (["funk"], "streamed reply")
    assert len(server.requests) == 3


def test_async_timeout(server: OpenAITestServer) -> None:
    server.add(ServerReply(text="late", delay_s=3))
    model = connect(server, retries=0, timeout_s=0.2)
    with pytest.raises(LLMTimeoutError):
        asyncio.run(model.achat([Message.user("x")]))


def test_extra_body_and_default_options_are_sent(server: OpenAITestServer) -> None:
    server.add(ServerReply(text="a"), ServerReply(text="b"))
    model = connect(server, extra_body={"top_k": 20}, defaults=ChatOptions(temperature=0.7, max_tokens=64))
    model.chat([Message.user("x")])
    model.chat([Message.user("x")], options=ChatOptions(temperature=0))
    first, second = server.requests
    assert (first["top_k"], first["temperature"], first["max_tokens"]) == (20, 0.7, 64)
    assert (second["temperature"], second["max_tokens"]) == (0, 64)  # per call wins, unset falls back
    assert json.dumps(second["messages"]) == json.dumps([{"role": "user", "content": "x"}])
