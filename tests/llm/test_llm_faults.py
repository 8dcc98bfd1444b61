"""A server that hangs, drips bytes or answers megabytes: every call ends within its budget."""

from __future__ import annotations

import pytest

from crsagent.agent.llm_plan import Plan
from crsagent.config import Settings
from crsagent.llm.errors import LLMResponseError, LLMTimeoutError, StructuredOutputError
from crsagent.llm.messages import Message
from crsagent.llm.model_string import load_chat_model
from crsagent.llm.protocol import ChatModel, ChatOptions
from crsagent.llm.testing import ScriptedChatModel, ScriptedReply
from crsagent.llm.testing_server import OpenAITestServer, ServerReply


def _model(server: OpenAITestServer, **settings: object) -> ChatModel:
    return load_chat_model(f"vllm-server:{server.url}#{server.model}", Settings.model_validate(settings))


def test_a_hanging_server_ends_at_the_call_budget_retries_included() -> None:
    with OpenAITestServer([ServerReply(text="late", delay_s=120)] * 5) as server:
        model = _model(server, llm_max_retries=3)
        with pytest.raises(LLMTimeoutError):
            model.chat([Message.user("hello")], options=ChatOptions(timeout_s=0.5))
        # The budget was spent on the first attempt: no retries after it.
        assert len(server.requests) == 1


def test_a_dripping_server_is_cut_off_at_the_budget() -> None:
    with OpenAITestServer([ServerReply(text="a slow answer", drip_s=0.05)]) as server:
        model = _model(server, llm_deadline_s=0.5)
        with pytest.raises(LLMTimeoutError, match=r"within the call's budget of 0\.5 s"):
            model.chat([Message.user("hello")])


@pytest.mark.parametrize("stream", [False, True])
def test_an_oversized_answer_is_refused(stream: bool) -> None:
    with OpenAITestServer([ServerReply(text="x" * 200_000)]) as server:
        model = _model(server, llm_max_response_bytes=10_000)
        with pytest.raises(LLMResponseError, match="larger than the cap of 10,000 bytes"):
            if stream:
                list(model.stream([Message.user("hello")]))
            else:
                model.chat([Message.user("hello")])


def test_a_normal_answer_still_passes() -> None:
    with OpenAITestServer([ServerReply(text="hi there")]) as server:
        assert (
            _model(server).chat([Message.user("hello")], options=ChatOptions(timeout_s=5)).text == "hi there"
        )


def test_settings_hold_the_limits() -> None:
    settings = Settings()
    assert settings.llm_deadline_s > 0 and settings.llm_connect_timeout_s > 0
    assert settings.llm_max_response_bytes >= 1024
    with pytest.raises(ValueError):
        Settings(llm_deadline_s=0)


def test_tool_calls_instead_of_the_json_object_are_re_asked_then_refused() -> None:
    call = ScriptedReply.calling("search_catalog", genre="Comedy")
    model = ScriptedChatModel([call, call])
    with pytest.raises(StructuredOutputError, match=r"called tool\(s\) search_catalog instead of writing"):
        model.chat([Message.user("plan")], output=Plan)
    assert len(model.requests) == 2  # the re-ask happened


@pytest.mark.parametrize(
    ("answer", "problem"),
    [
        ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
        ('{"understanding": ' + "[" * 100_000 + "]" * 100_000 + "}", "nested too deeply"),
        ("text first " + '{"a": ' + "[" * 50_000 + "]" * 50_000 + "}", "Invalid JSON"),
    ],
)
def test_deeply_nested_json_is_a_validation_error(answer: str, problem: str) -> None:
    model = ScriptedChatModel([answer, answer])
    with pytest.raises(StructuredOutputError, match=problem) as caught:
        model.chat([Message.user("plan")], output=Plan)
    assert len(str(caught.value)) < 2000  # the message is bounded, whatever the model wrote
