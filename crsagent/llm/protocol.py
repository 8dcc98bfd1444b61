"""``ChatModel``, the base every backend subclasses, and the request it turns into.

    result = model.chat([Message.system(...), Message.user("a sci-fi film?")], output=Preferences)
    result.parsed          # a validated Preferences (re-asked once on a validation failure)
    result.tool_calls      # when tools=[...] were offered and the model called some
    result.usage, result.latency_s

``achat`` / ``astream`` are the async forms; ``chat_batch`` runs many conversations together (the
in-process vLLM backend batches them on the GPU; the others run them one after another).

A backend implements ``_complete`` (one request -> one raw ``Completion``); it may override the
async, batch and stream hooks when it can do better than the defaults (a thread, a loop, one delta).
``ChatModel`` adds the rest: output validation with one re-ask, usage and latency on every result.
"""

from __future__ import annotations

import asyncio
import time
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Iterator, Sequence
from typing import Any, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from crsagent.llm.deadline import Deadline
from crsagent.llm.errors import StructuredOutputError
from crsagent.llm.messages import Message, MessageLike, ToolLike, ToolSpec, as_messages, as_tool_specs
from crsagent.llm.results import ChatResult, Completion, StreamEnd, StreamEvent, TextDelta, Usage
from crsagent.llm.structured import output_schema, reask_message, validate_output

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


class _Exchange(Generic[T]):
    """One ``chat`` call: the request to send next, and what the answers so far were.

    Without an output model the first completion is the result. With one, an answer that does not
    validate is re-asked once (the answer and the errors are appended to the conversation); a second
    failure raises ``StructuredOutputError`` with both raw answers.
    """

    def __init__(self, request: ChatRequest, output: type[T] | None) -> None:
        self.request = request
        self.output = output
        self.raw_texts: list[str] = []
        self.usage = Usage()
        self.latency_s = 0.0
        budget = request.options.timeout_s
        # One budget for the call: the re-ask gets what the first answer left of it.
        self.deadline = Deadline.after(budget) if budget is not None else None

    def budgeted(self, name: str) -> ChatRequest:
        """The request to send next, carrying what is left of the call's budget (an error if nothing)."""
        if self.deadline is None:
            return self.request
        left = self.deadline.check(name, len(self.raw_texts) + 1)
        options = self.request.options.model_copy(update={"timeout_s": left})
        return self.request.model_copy(update={"options": options})

    def accept(self, completion: Completion, latency_s: float) -> ChatResult[T] | None:
        """The result, or None after queueing the re-ask in ``self.request``."""
        self.raw_texts.append(completion.text)
        self.usage = self.usage + completion.usage
        self.latency_s += latency_s
        parsed: T | None = None
        # A model that calls an offered tool has not answered yet; the caller runs the tool and asks
        # again. Tool calls when no tool was offered are an answer in the wrong form: re-asked.
        if self.output is not None and not (completion.tool_calls and self.request.tools):
            if completion.tool_calls:
                names = ", ".join(call.name for call in completion.tool_calls)[:200]
                errors = (
                    f"the answer called tool(s) {names} instead of writing the JSON object; no tools are "
                    "offered here: write the tool calls inside the JSON object"
                )
            else:
                parsed, errors = validate_output(self.output, completion.text)
            if parsed is None:
                if len(self.raw_texts) >= 2:
                    raise StructuredOutputError(self.output.__name__, self.raw_texts, errors)
                self.request = self.request.model_copy(
                    update={
                        "messages": (
                            *self.request.messages,
                            Message.assistant(completion.text),
                            Message.user(reask_message(self.output, errors)),
                        )
                    }
                )
                return None
        # Unparameterised on purpose: ChatResult[X] builds (and pydantic caches only weakly) a class.
        return ChatResult(
            text=completion.text,
            tool_calls=completion.tool_calls,
            parsed=parsed,
            usage=self.usage,
            latency_s=self.latency_s,
            model=completion.model,
            finish_reason=completion.finish_reason,
            attempts=len(self.raw_texts),
        )


class ChatModel(ABC):
    """A chat model: messages in; text, tool calls, a parsed object, usage and latency out."""

    def __init__(self, name: str) -> None:
        self.name = name

    # -- what a backend implements -------------------------------------------------------------
    @abstractmethod
    def _complete(self, request: ChatRequest) -> Completion:
        """One model call."""

    async def _acomplete(self, request: ChatRequest) -> Completion:
        """Async form; by default the sync call in a worker thread (local models block anyway)."""
        return await asyncio.to_thread(self._complete, request)

    def _complete_batch(self, requests: Sequence[ChatRequest]) -> list[Completion]:
        """Many calls; by default one after another."""
        return [self._complete(request) for request in requests]

    def _stream(self, request: ChatRequest) -> Iterator[TextDelta | Completion]:
        """Deltas then the completion; by default the whole text as one delta."""
        completion = self._complete(request)
        if completion.text:
            yield TextDelta(text=completion.text)
        yield completion

    async def _astream(self, request: ChatRequest) -> AsyncIterator[TextDelta | Completion]:
        completion = await self._acomplete(request)
        if completion.text:
            yield TextDelta(text=completion.text)
        yield completion

    # -- the protocol ------------------------------------------------------------------------------
    def _request(
        self,
        messages: Sequence[MessageLike],
        tools: Sequence[ToolLike] | None,
        output: type[BaseModel] | None,
        options: ChatOptions | None,
    ) -> ChatRequest:
        return ChatRequest(
            messages=tuple(as_messages(messages)),
            tools=as_tool_specs(tools),
            output_name=output.__name__ if output is not None else None,
            output_schema=output_schema(output) if output is not None else None,
            options=options or ChatOptions(),
        )

    def chat(
        self,
        messages: Sequence[MessageLike],
        *,
        tools: Sequence[ToolLike] | None = None,
        output: type[T] | None = None,
        options: ChatOptions | None = None,
    ) -> ChatResult[T]:
        """One answer. With ``output``: ``parsed`` is a validated instance, or StructuredOutputError."""
        return self.chat_batch([messages], tools=tools, output=output, options=options)[0]

    async def achat(
        self,
        messages: Sequence[MessageLike],
        *,
        tools: Sequence[ToolLike] | None = None,
        output: type[T] | None = None,
        options: ChatOptions | None = None,
    ) -> ChatResult[T]:
        exchange = _Exchange(self._request(messages, tools, output, options), output)
        while True:
            start = time.perf_counter()
            completion = await self._acomplete(exchange.budgeted(self.name))
            latency = time.perf_counter() - start
            result = exchange.accept(completion, latency)
            if result is not None:
                return result

    def chat_batch(
        self,
        conversations: Sequence[Sequence[MessageLike]],
        *,
        tools: Sequence[ToolLike] | None = None,
        output: type[T] | None = None,
        options: ChatOptions | None = None,
    ) -> list[ChatResult[Any]]:
        """One answer per conversation, in order; re-asks of failed outputs go out as one batch."""
        exchanges = [_Exchange(self._request(c, tools, output, options), output) for c in conversations]
        results: list[ChatResult[Any] | None] = [None] * len(exchanges)
        pending = list(range(len(exchanges)))
        while pending:
            start = time.perf_counter()
            completions = self._complete_batch([exchanges[i].budgeted(self.name) for i in pending])
            # Every conversation of a batch waited for the whole batch: that is its latency.
            latency = time.perf_counter() - start
            still_pending = []
            for index, completion in zip(pending, completions, strict=True):
                result = exchanges[index].accept(completion, latency)
                if result is None:
                    still_pending.append(index)
                else:
                    results[index] = result
            pending = still_pending
        return [result for result in results if result is not None]

    def stream(
        self,
        messages: Sequence[MessageLike],
        *,
        tools: Sequence[ToolLike] | None = None,
        options: ChatOptions | None = None,
    ) -> Iterator[StreamEvent]:
        request = self._request(messages, tools, None, options)
        start = time.perf_counter()
        for event in self._stream(request):
            yield self._event(event, start)

    async def astream(
        self,
        messages: Sequence[MessageLike],
        *,
        tools: Sequence[ToolLike] | None = None,
        options: ChatOptions | None = None,
    ) -> AsyncIterator[StreamEvent]:
        request = self._request(messages, tools, None, options)
        start = time.perf_counter()
        async for event in self._astream(request):
            yield self._event(event, start)

    def _event(self, event: TextDelta | Completion, start: float) -> StreamEvent:
        """A delta as it is; the completion as the stream's end, timed from ``start``."""
        if isinstance(event, TextDelta):
            return event
        return StreamEnd(
            result=ChatResult(
                text=event.text,
                tool_calls=event.tool_calls,
                usage=event.usage,
                latency_s=time.perf_counter() - start,
                model=event.model,
                finish_reason=event.finish_reason,
            )
        )
