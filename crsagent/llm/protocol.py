"""The ``ChatModel`` protocol every backend implements, and the request it turns into.

    result = model.chat([Message.system(...), Message.user("a sci-fi film?")], output=Preferences)
    result.parsed          # a validated Preferences (re-asked once on a validation failure)
    result.tool_calls      # when tools=[...] were offered and the model called some
    result.usage, result.latency_s

``achat`` / ``astream`` are the async forms; ``chat_batch`` runs many conversations together (the
in-process vLLM backend batches them on the GPU; the others run them one after another).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Sequence
from typing import Any, Literal, Protocol, TypeVar, overload, runtime_checkable

from pydantic import BaseModel, ConfigDict, Field

from crsagent.llm.messages import Message, MessageLike, ToolLike, ToolSpec
from crsagent.llm.results import ChatResult, StreamEvent

T = TypeVar("T", bound=BaseModel)


class ChatOptions(BaseModel):
    """Per-call generation settings; None means the backend's default."""

    model_config = ConfigDict(frozen=True)

    temperature: float | None = Field(
        default=None, ge=0, le=2, description="Sampling temperature; 0 is greedy."
    )
    max_tokens: int | None = Field(default=None, gt=0, description="Most tokens to generate.")
    seed: int | None = Field(default=None, description="Sampling seed, where the backend supports one.")
    stop: tuple[str, ...] = Field(default=(), description="Strings that end the generation.")
    tool_choice: Literal["auto", "required", "none"] | None = Field(
        default=None, description="Whether the model may, must or must not call one of the offered tools."
    )
    timeout_s: float | None = Field(
        default=None,
        gt=0,
        description="Wall-clock budget of the whole call (connect, reads, retries, a re-ask); None: the backend's.",
    )


def merged_options(defaults: ChatOptions, options: ChatOptions) -> ChatOptions:
    """Per-call options over a backend's defaults: fields the call did not set fall back."""
    return defaults.model_copy(update=options.model_dump(exclude_unset=True))


class ChatRequest(BaseModel):
    """Everything a backend needs for one model call."""

    model_config = ConfigDict(frozen=True)

    messages: tuple[Message, ...] = Field(description="The conversation so far.")
    tools: tuple[ToolSpec, ...] = Field(default=(), description="Tools the model may call.")
    output_name: str | None = Field(default=None, description="Name of the requested output model.")
    output_schema: dict[str, Any] | None = Field(default=None, description="Its JSON schema.")
    options: ChatOptions = Field(default_factory=ChatOptions, description="Generation settings.")


@runtime_checkable
class ChatModel(Protocol):
    """A chat model: messages in; text, tool calls, a parsed object, usage and latency out."""

    name: str

    @overload
    def chat(
        self,
        messages: Sequence[MessageLike],
        *,
        tools: Sequence[ToolLike] | None = None,
        output: None = None,
        options: ChatOptions | None = None,
    ) -> ChatResult[None]: ...

    @overload
    def chat(
        self,
        messages: Sequence[MessageLike],
        *,
        tools: Sequence[ToolLike] | None = None,
        output: type[T],
        options: ChatOptions | None = None,
    ) -> ChatResult[T]: ...

    def chat(
        self,
        messages: Sequence[MessageLike],
        *,
        tools: Sequence[ToolLike] | None = None,
        output: type[T] | None = None,
        options: ChatOptions | None = None,
    ) -> ChatResult[T] | ChatResult[None]:
        """One answer. With ``output``: ``parsed`` is a validated instance, or StructuredOutputError."""
        ...

    @overload
    async def achat(
        self,
        messages: Sequence[MessageLike],
        *,
        tools: Sequence[ToolLike] | None = None,
        output: None = None,
        options: ChatOptions | None = None,
    ) -> ChatResult[None]: ...

    @overload
    async def achat(
        self,
        messages: Sequence[MessageLike],
        *,
        tools: Sequence[ToolLike] | None = None,
        output: type[T],
        options: ChatOptions | None = None,
    ) -> ChatResult[T]: ...

    async def achat(
        self,
        messages: Sequence[MessageLike],
        *,
        tools: Sequence[ToolLike] | None = None,
        output: type[T] | None = None,
        options: ChatOptions | None = None,
    ) -> ChatResult[T] | ChatResult[None]:
        """``chat``, awaitable."""
        ...

    def chat_batch(
        self,
        conversations: Sequence[Sequence[MessageLike]],
        *,
        tools: Sequence[ToolLike] | None = None,
        output: type[T] | None = None,
        options: ChatOptions | None = None,
    ) -> list[ChatResult[Any]]:
        """One answer per conversation, in order; re-asks of failed outputs go out as one batch."""
        ...

    def stream(
        self,
        messages: Sequence[MessageLike],
        *,
        tools: Sequence[ToolLike] | None = None,
        options: ChatOptions | None = None,
    ) -> Iterator[StreamEvent]:
        """Text deltas as they are generated, then one ``StreamEnd`` with the whole result."""
        ...

    def astream(
        self,
        messages: Sequence[MessageLike],
        *,
        tools: Sequence[ToolLike] | None = None,
        options: ChatOptions | None = None,
    ) -> AsyncIterator[StreamEvent]:
        """``stream``, as an async iterator."""
        ...
