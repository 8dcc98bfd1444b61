"""The shared half of every backend: output validation with one re-ask, timing (usage and latency on every result), streaming.

A backend subclasses ``BaseChatModel`` and implements ``_complete`` (one request -> one raw
``Completion``); it may override the async, batch and stream hooks when it can do better than the
defaults (a thread, a loop, one delta).
"""

from __future__ import annotations

import asyncio
import time
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Iterator, Sequence
from typing import Any, Generic, TypeVar, overload

from pydantic import BaseModel

from crsagent.llm.deadline import Deadline
from crsagent.llm.errors import StructuredOutputError
from crsagent.llm.messages import Message, MessageLike, ToolLike, as_messages, as_tool_specs
from crsagent.llm.protocol import ChatOptions, ChatRequest
from crsagent.llm.results import ChatResult, Completion, StreamEnd, StreamEvent, TextDelta, Usage
from crsagent.llm.structured import output_schema, reask_message, validate_output

T = TypeVar("T", bound=BaseModel)


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
                parsed, errors = (
                    None,
                    (
                        f"the answer called tool(s) {names} instead of writing the JSON object; no tools are "
                        "offered here: write the tool calls inside the JSON object"
                    ),
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


class BaseChatModel(ABC):
    """Implements the ``ChatModel`` protocol on top of a backend's ``_complete``."""

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
        exchange = _Exchange(self._request(messages, tools, output, options), output)
        while True:
            start = time.perf_counter()
            completion = self._complete(exchange.budgeted(self.name))
            latency = time.perf_counter() - start
            result = exchange.accept(completion, latency)
            if result is not None:
                return result

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
            if isinstance(event, TextDelta):
                yield event
            else:
                yield self._stream_end(event, time.perf_counter() - start)

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
            if isinstance(event, TextDelta):
                yield event
            else:
                yield self._stream_end(event, time.perf_counter() - start)

    def _stream_end(self, completion: Completion, latency_s: float) -> StreamEnd:
        return StreamEnd(
            result=ChatResult(
                text=completion.text,
                tool_calls=completion.tool_calls,
                usage=completion.usage,
                latency_s=latency_s,
                model=completion.model,
                finish_reason=completion.finish_reason,
            )
        )
