"""What goes into a chat model: messages, tool calls, tool specifications.

These are the currency between the agent and every backend. They convert to the OpenAI wire format
(``to_openai``) because that is what the OpenAI-compatible backend sends, what vLLM's ``LLM.chat``
accepts and what Hugging Face chat templates are written against.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from crsagent.llm.errors import LLMResponseError

Role = Literal["system", "user", "assistant", "tool"]


class ToolCall(BaseModel):
    """One function call the model asked for."""

    model_config = ConfigDict(frozen=True)

    id: str = Field(description="Call id; a tool result message answers it with the same id.")
    name: str = Field(description="Name of the tool to call.")
    arguments: str = Field(default="{}", description="The arguments as JSON text, verbatim from the model.")

    def parsed_arguments(self) -> dict[str, Any]:
        """The arguments as a dict; a clear error when the model wrote something else."""
        try:
            value = json.loads(self.arguments or "{}")
        except json.JSONDecodeError as error:
            raise LLMResponseError(
                f"tool call {self.name!r} (id {self.id}): arguments are not JSON ({error.msg} at "
                f"position {error.pos}): {self.arguments[:200]!r}"
            ) from error
        if not isinstance(value, dict):
            raise LLMResponseError(
                f"tool call {self.name!r} (id {self.id}): arguments must be a JSON object, got "
                f"{type(value).__name__}: {self.arguments[:200]!r}"
            )
        return value

    def to_openai(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "type": "function",
            "function": {"name": self.name, "arguments": self.arguments},
        }


class Message(BaseModel):
    """One chat message. ``tool_calls`` only on assistant messages, ``tool_call_id`` only on tool ones."""

    model_config = ConfigDict(frozen=True)

    role: Role = Field(description="Who speaks: system, user, assistant, or a tool result.")
    content: str = Field(default="", description="The text (a tool's result, for role 'tool').")
    tool_calls: tuple[ToolCall, ...] = Field(default=(), description="Calls an assistant message made.")
    tool_call_id: str | None = Field(default=None, description="The call a tool message answers.")
    name: str | None = Field(default=None, description="Tool name of a tool message (optional).")

    @model_validator(mode="after")
    def _check_role_fields(self) -> Self:
        if self.tool_calls and self.role != "assistant":
            raise ValueError(f"only assistant messages carry tool_calls, not {self.role!r} ones")
        if self.role == "tool" and not self.tool_call_id:
            raise ValueError("a tool message needs the tool_call_id of the call it answers")
        if self.role != "tool" and self.tool_call_id is not None:
            raise ValueError(f"tool_call_id belongs on tool messages, not {self.role!r} ones")
        return self

    @classmethod
    def system(cls, content: str) -> Message:
        return cls(role="system", content=content)

    @classmethod
    def user(cls, content: str) -> Message:
        return cls(role="user", content=content)

    @classmethod
    def assistant(cls, content: str = "", tool_calls: Sequence[ToolCall] = ()) -> Message:
        return cls(role="assistant", content=content, tool_calls=tuple(tool_calls))

    @classmethod
    def tool(cls, call: ToolCall, content: str) -> Message:
        """The result of ``call``, to send back to the model."""
        return cls(role="tool", content=content, tool_call_id=call.id, name=call.name)

    def to_openai(self) -> dict[str, Any]:
        """The OpenAI chat-completions message dict."""
        message: dict[str, Any] = {"role": self.role, "content": self.content}
        if self.tool_calls:
            message["tool_calls"] = [call.to_openai() for call in self.tool_calls]
        if self.tool_call_id is not None:
            message["tool_call_id"] = self.tool_call_id
        if self.name is not None and self.role == "tool":
            message["name"] = self.name
        return message


MessageLike = Message | Mapping[str, Any]


def as_messages(messages: Sequence[MessageLike]) -> list[Message]:
    """Coerce ``Message`` objects or OpenAI-style dicts; a clear error naming the bad entry."""
    if isinstance(messages, str | bytes):
        raise TypeError("messages must be a sequence of messages, not a string; use [Message.user(text)]")
    coerced: list[Message] = []
    for position, message in enumerate(messages):
        if isinstance(message, Message):
            coerced.append(message)
            continue
        try:
            coerced.append(Message.model_validate(dict(message)))
        except (ValidationError, TypeError, ValueError) as error:
            raise ValueError(f"message {position} is not a valid chat message: {error}") from error
    if not coerced:
        raise ValueError("a chat needs at least one message")
    return coerced


class ToolSpec(BaseModel):
    """A tool the model may call: name, what it does, and its arguments as a JSON schema."""

    model_config = ConfigDict(frozen=True)

    name: str = Field(pattern=r"^[A-Za-z0-9_-]{1,64}$", description="Function name the model calls.")
    description: str = Field(description="What the tool does; the model reads this to choose it.")
    parameters: dict[str, Any] = Field(
        default_factory=lambda: {"type": "object", "properties": {}},
        description="JSON schema of the arguments object.",
    )

    @classmethod
    def from_openai(cls, schema: Mapping[str, Any]) -> ToolSpec:
        """From an OpenAI ``tools=[...]`` entry ({"type": "function", "function": {...}})."""
        function = schema.get("function") if schema.get("type", "function") == "function" else None
        if not isinstance(function, Mapping):
            raise ValueError(f"not an OpenAI function tool (no 'function' object): {dict(schema)!r:.200}")
        return cls.model_validate(
            {
                "name": function.get("name"),
                "description": function.get("description", ""),
                "parameters": function.get("parameters") or {"type": "object", "properties": {}},
            }
        )

    def to_openai(self) -> dict[str, Any]:
        return {
            "type": "function",
            "function": {"name": self.name, "description": self.description, "parameters": self.parameters},
        }


ToolLike = ToolSpec | Mapping[str, Any]


def as_tool_specs(tools: Sequence[ToolLike] | None) -> tuple[ToolSpec, ...]:
    """``ToolSpec``s, or OpenAI tool dicts (as crsagent.tools exports them); errors name the entry."""
    specs: list[ToolSpec] = []
    for position, tool in enumerate(tools or ()):
        if isinstance(tool, ToolSpec):
            specs.append(tool)
            continue
        try:
            specs.append(ToolSpec.from_openai(tool))
        except (ValidationError, ValueError) as error:
            raise ValueError(f"tool {position} is not a valid tool specification: {error}") from error
    names = [spec.name for spec in specs]
    if len(set(names)) != len(names):
        raise ValueError(f"two tools share a name: {sorted(n for n in set(names) if names.count(n) > 1)}")
    return tuple(specs)
