"""The scripted chat model, and through it the shared chat path: output validation, the one re-ask,
the error that keeps the raw text, usage, async, batches and streams."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from pydantic import BaseModel

from crsagent.llm import (
    ChatModel,
    ChatRequest,
    Message,
    ScriptExhaustedError,
    StreamEnd,
    StructuredOutputError,
    TextDelta,
    ToolSpec,
)
from crsagent.llm.testing import ScriptedChatModel, ScriptedReply


class Preferences(BaseModel):
    genres: list[str]
    liked: bool


SEARCH = ToolSpec(name="search_items", description="Search the catalog by genre")


def test_it_is_a_chat_model_and_records_requests() -> None:
    model = ScriptedChatModel(["hello"])
    assert isinstance(model, ChatModel)
    result = model.chat([Message.system("be brief"), Message.user("hi there")], tools=[SEARCH])
    assert result.text == "hello"
    assert result.parsed is None
    assert result.attempts == 1
    assert result.message() == Message.assistant("hello")
    (request,) = model.requests
    assert [m.content for m in request.messages] == ["be brief", "hi there"]
    assert request.tools == (SEARCH,)


def test_a_tool_call_then_the_answer() -> None:
    model = ScriptedChatModel([ScriptedReply.calling("search_items", genre="jazz"), "Try Kind of Blue."])
    history = [Message.user("some jazz?")]
    first = model.chat(history, tools=[SEARCH])
    (call,) = first.tool_calls
    assert (call.id, call.name, call.parsed_arguments()) == ("call_1_0", "search_items", {"genre": "jazz"})
    assert first.finish_reason == "tool_calls"
    history += [first.message(), Message.tool(call, '["Kind of Blue"]')]
    second = model.chat(history, tools=[SEARCH])
    assert second.text == "Try Kind of Blue."
    assert model.requests[1].messages[-1].tool_call_id == "call_1_0"


def test_structured_output_is_validated() -> None:
    model = ScriptedChatModel([Preferences(genres=["jazz"], liked=True)])
    result = model.chat([Message.user("what do I like?")], output=Preferences)
    assert result.parsed == Preferences(genres=["jazz"], liked=True)
    assert result.output.genres == ["jazz"]
    assert model.requests[0].output_name == "Preferences"
    assert model.requests[0].output_schema == Preferences.model_json_schema()


def test_a_schema_violation_is_reasked_once_with_the_errors() -> None:
    model = ScriptedChatModel(['{"genres": "jazz"}', '{"genres": ["jazz"], "liked": false}'])
    result = model.chat([Message.user("what do I like?")], output=Preferences)
    assert result.parsed == Preferences(genres=["jazz"], liked=False)
    assert result.attempts == 2
    reask = model.requests[1].messages
    assert reask[-2] == Message.assistant('{"genres": "jazz"}')
    assert reask[-1].role == "user"
    assert "genres: Input should be a valid array" in reask[-1].content
    assert "liked: Field required" in reask[-1].content
    # Both calls are summed into the result (the re-ask reads the first answer and the errors too).
    assert result.usage.completion_tokens == 2 + 4
    first_prompt = 4  # words of "what do I like?"
    assert result.usage.prompt_tokens > 2 * first_prompt


def test_a_second_violation_raises_and_keeps_both_raw_answers() -> None:
    model = ScriptedChatModel(["I think you like jazz", '{"genres": ["jazz"]}', "unused"])
    with pytest.raises(StructuredOutputError) as caught:
        model.chat([Message.user("what do I like?")], output=Preferences)
    error = caught.value
    assert error.raw_texts == ("I think you like jazz", '{"genres": ["jazz"]}')
    assert error.raw_text == '{"genres": ["jazz"]}'
    assert error.output_name == "Preferences"
    assert "liked: Field required" in str(error)
    assert model.remaining == 1  # no third attempt


def test_a_tool_call_is_not_validated_as_output() -> None:
    model = ScriptedChatModel([ScriptedReply.calling("search_items", genre="rock")])
    result = model.chat([Message.user("x")], tools=[SEARCH], output=Preferences)
    assert result.parsed is None
    assert result.tool_calls[0].name == "search_items"
    with pytest.raises(ValueError, match="no parsed output"):
        _ = result.output


def test_replies_can_depend_on_the_request() -> None:
    def echo(request: ChatRequest) -> str:
        return request.messages[-1].content.upper()

    model = ScriptedChatModel([echo, echo])
    assert model.chat([Message.user("abc")]).text == "ABC"
    assert model.chat([{"role": "user", "content": "xyz"}]).text == "XYZ"


def test_running_out_of_script_is_a_clear_error() -> None:
    model = ScriptedChatModel(["only one"])
    model.chat([Message.user("first")])
    with pytest.raises(ScriptExhaustedError, match=r"call 2 has no scripted reply left .*'second'"):
        model.chat([Message.user("second")])


def test_async_chat_and_batch() -> None:
    model = ScriptedChatModel(["a", '{"genres": [], "liked": true}'])

    async def run() -> tuple[str, bool]:
        plain = await model.achat([Message.user("1")])
        parsed = await model.achat([Message.user("2")], output=Preferences)
        return plain.text, parsed.output.liked

    assert asyncio.run(run()) == ("a", True)
    model.add('{"genres": ["a"], "liked": true}', "junk", '{"genres": ["c"], "liked": true}')
    # Batch: the second conversation's bad answer is re-asked in a second (smaller) batch.
    results = model.chat_batch([[Message.user("a")], [Message.user("b")]], output=Preferences)
    assert [r.output.genres for r in results] == [["a"], ["c"]]
    assert [r.attempts for r in results] == [1, 2]
    assert len(model.requests) == 2 + 3


def test_stream_yields_the_text_then_the_whole_result() -> None:
    model = ScriptedChatModel(["streamed answer"])
    events = list(model.stream([Message.user("go")]))
    assert events[0] == TextDelta(text="streamed answer")
    end = events[-1]
    assert isinstance(end, StreamEnd)
    assert end.result.text == "streamed answer"
    assert end.result.usage.completion_tokens == 2 and end.result.latency_s >= 0

    async def collect() -> list[object]:
        model.add("again")
        return [event async for event in model.astream([Message.user("go")])]

    assert [type(e) for e in asyncio.run(collect())] == [TextDelta, StreamEnd]


def test_script_files(tmp_path: Path) -> None:
    script = tmp_path / "script.json"
    script.write_text(
        json.dumps(
            ["hi", {"text": "", "tool_calls": [{"name": "search_items", "arguments": {"genre": "pop"}}]}]
        )
    )
    model = ScriptedChatModel.from_file(script)
    assert model.chat([Message.user("x")]).text == "hi"
    assert model.chat([Message.user("y")]).tool_calls[0].parsed_arguments() == {"genre": "pop"}

    bad = tmp_path / "bad.json"
    for content, problem in [
        ("{", "not a script .*Invalid JSON"),
        ('{"a": 1}', "not a script .*: input: Input should be a valid array"),
        ("[1]", r"not a script .*: 0\.str: Input should be a valid string"),
        ('[{"tool_calls": [{"arguments": {}}]}]', r"0\.FileReply\.tool_calls\.0\.name: Field required"),
    ]:
        bad.write_text(content)
        with pytest.raises(ValueError, match=problem):
            ScriptedChatModel.from_file(bad)
    with pytest.raises(ValueError, match="cannot read the script"):
        ScriptedChatModel.from_file(tmp_path / "missing.json")


def test_tools_may_be_given_as_openai_dicts() -> None:
    model = ScriptedChatModel(["ok"])
    model.chat([Message.user("x")], tools=[SEARCH.to_openai()])
    assert model.requests[0].tools == (SEARCH,)
