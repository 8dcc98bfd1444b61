"""What comes out of a chat model: one backend completion, the validated chat result, stream events."""

from __future__ import annotations

from typing import Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from crsagent.llm.messages import Message, ToolCall

OutputT = TypeVar("OutputT")


class Usage(BaseModel):
    """Token counts of one or more calls, as the backend reported them."""

    model_config = ConfigDict(frozen=True)

    prompt_tokens: int = Field(default=0, ge=0, description="Tokens read (the prompt).")
    completion_tokens: int = Field(default=0, ge=0, description="Tokens generated.")

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            prompt_tokens=self.prompt_tokens + other.prompt_tokens,
            completion_tokens=self.completion_tokens + other.completion_tokens,
        )


class Completion(BaseModel):
    """One raw answer of a backend to one request, before any output validation."""

    model_config = ConfigDict(frozen=True)

    text: str = Field(default="", description="Generated text (empty when the model only called tools).")
    tool_calls: tuple[ToolCall, ...] = Field(default=(), description="Tool calls the model made.")
    usage: Usage = Field(default_factory=Usage, description="Tokens of this call.")
    finish_reason: str | None = Field(default=None, description="'stop', 'length', 'tool_calls', ...")
    model: str = Field(default="", description="Model name the backend reported.")


class ChatResult(BaseModel, Generic[OutputT]):
    """The answer to one ``chat`` call (which may have taken two model calls: the re-ask)."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    text: str = Field(description="The final answer's text, verbatim.")
    tool_calls: tuple[ToolCall, ...] = Field(default=(), description="Tool calls of the final answer.")
    parsed: OutputT | None = Field(
        default=None,
        description="The validated output object when ``output=`` was given and no tool was called.",
    )
    usage: Usage = Field(default_factory=Usage, description="Tokens summed over every model call made.")
    latency_s: float = Field(default=0.0, ge=0, description="Seconds spent in model calls, summed.")
    model: str = Field(default="", description="Model that answered.")
    finish_reason: str | None = Field(default=None, description="Why the final answer stopped.")
    attempts: int = Field(default=1, ge=1, description="Model calls made: 2 when the output was re-asked.")

    def message(self) -> Message:
        """The assistant message to append to the conversation."""
        return Message.assistant(self.text, self.tool_calls)

    @property
    def output(self) -> OutputT:
        """The validated output object; an error when the model called a tool instead."""
        if self.parsed is None:
            raise ValueError(
                "this result has no parsed output (no output model was asked for, or a tool was called)"
            )
        return self.parsed


class TextDelta(BaseModel):
    """A piece of streamed text, in order."""

    model_config = ConfigDict(frozen=True)

    text: str = Field(description="New text since the previous delta.")


class StreamEnd(BaseModel):
    """The last event of a stream: the whole answer, as ``chat`` would have returned it."""

    model_config = ConfigDict(frozen=True)

    # Unparameterised: a ChatResult[None] annotation would make pydantic copy the result into that class.
    result: ChatResult = Field(description="Full text, tool calls, usage and latency (parsed is None).")


StreamEvent = TextDelta | StreamEnd
