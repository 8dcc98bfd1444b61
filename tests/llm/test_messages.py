"""Messages, tool calls and tool specs: validation and the OpenAI wire form."""

from __future__ import annotations

import pytest
from pydantic import BaseModel, ValidationError

from crsagent.llm import LLMResponseError, Message, ToolCall, ToolSpec
from crsagent.llm.messages import as_messages, as_tool_specs


def test_wire_form_of_a_tool_round_trip() -> None:
    call = ToolCall(id="call_1", name="search", arguments='{"genre": "jazz"}')
    assistant = Message.assistant("", [call])
    result = Message.tool(call, "[1, 2]")
    assert assistant.to_openai() == {
        "role": "assistant",
        "content": "",
        "tool_calls": [
            {
                "id": "call_1",
                "type": "function",
                "function": {"name": "search", "arguments": '{"genre": "jazz"}'},
            }
        ],
    }
    assert result.to_openai() == {
        "role": "tool",
        "content": "[1, 2]",
        "tool_call_id": "call_1",
        "name": "search",
    }


@pytest.mark.parametrize(
    ("fields", "problem"),
    [
        (
            {"role": "user", "tool_calls": [{"id": "1", "name": "f"}]},
            "only assistant messages carry tool_calls",
        ),
        ({"role": "tool", "content": "x"}, "needs the tool_call_id"),
        ({"role": "user", "content": "x", "tool_call_id": "1"}, "tool_call_id belongs on tool messages"),
        ({"role": "robot", "content": "x"}, "role"),
    ],
)
def test_inconsistent_messages_are_refused(fields: dict[str, object], problem: str) -> None:
    with pytest.raises(ValidationError, match=problem):
        Message.model_validate(fields)


def test_as_messages_accepts_dicts_and_names_the_bad_entry() -> None:
    messages = as_messages([Message.system("s"), {"role": "user", "content": "hi"}])
    assert [m.role for m in messages] == ["system", "user"]
    with pytest.raises(ValueError, match="message 1 is not a valid chat message"):
        as_messages([{"role": "user", "content": "ok"}, {"role": "nobody"}])
    with pytest.raises(ValueError, match="at least one message"):
        as_messages([])
    with pytest.raises(TypeError, match="not a string"):
        as_messages("hello")  # type: ignore[arg-type]  # the mistake under test


@pytest.mark.parametrize(
    ("arguments", "problem"),
    [("{not json", "arguments are not JSON"), ("[1, 2]", "must be a JSON object, got list")],
)
def test_unusable_tool_arguments_raise_a_clear_error(arguments: str, problem: str) -> None:
    call = ToolCall(id="c9", name="search", arguments=arguments)
    with pytest.raises(LLMResponseError, match=problem) as caught:
        call.parsed_arguments()
    assert "'search' (id c9)" in str(caught.value)


def test_tool_spec_with_a_pydantic_model_schema() -> None:
    class SearchArgs(BaseModel):
        genre: str
        limit: int = 10

    spec = ToolSpec(
        name="search_items", description="Search the catalog", parameters=SearchArgs.model_json_schema()
    )
    function = spec.to_openai()["function"]
    assert function["name"] == "search_items"
    assert function["parameters"]["required"] == ["genre"]
    assert set(function["parameters"]["properties"]) == {"genre", "limit"}
    with pytest.raises(ValidationError, match="name"):
        ToolSpec(name="has spaces", description="x")


def test_openai_tool_dicts_are_accepted_where_tool_specs_are() -> None:
    schema = {
        "type": "function",
        "function": {
            "name": "item_info",
            "description": "Facts about an item",
            "parameters": {"type": "object"},
        },
    }
    (spec,) = as_tool_specs([schema])
    assert spec == ToolSpec(
        name="item_info", description="Facts about an item", parameters={"type": "object"}
    )
    assert spec.to_openai() == schema
    with pytest.raises(
        ValueError, match="tool 1 is not a valid tool specification: not an OpenAI function tool"
    ):
        as_tool_specs([spec, {"type": "retrieval"}])
    with pytest.raises(ValueError, match="tool 0 is not a valid tool specification"):
        as_tool_specs([{"type": "function", "function": {"name": "bad name"}}])
    with pytest.raises(ValueError, match=r"two tools share a name: \['item_info'\]"):
        as_tool_specs([spec, schema])
