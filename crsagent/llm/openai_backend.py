"""OpenAI-compatible backend: OpenAI itself, a ``vllm serve`` server, or any compatible server.

Uses the official ``openai`` SDK (sync and async clients, created on first use) with its own
retries (``max_retries``: 429, 5xx, network failures and timeouts, with backoff and ``Retry-After``)
and its own timeouts (an ``httpx`` timeout per step: connect, read).

What the SDK does not have is ours: every call has one budget (``deadline_s``, or the call's
``ChatOptions.timeout_s``) that connecting, reading, retrying and waiting between retries all come
out of (``openai_budget``), and the body is read in chunks so that a server which drips bytes is
cut off at the budget and an oversized answer at ``max_response_bytes``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx2
import openai
from openai.types.chat import ChatCompletion
from pydantic import BaseModel, ConfigDict, Field, SecretStr

from crsagent.config import Settings
from crsagent.llm.deadline import BoundedBody, Deadline, check_text_size
from crsagent.llm.errors import LLMError, LLMRequestError, LLMResponseError
from crsagent.llm.openai_budget import (
    AsyncBudgetTransport,
    BudgetTransport,
    CallBudgetSpent,
    attempt_of,
    budget,
)
from crsagent.llm.openai_wire import (
    StreamAssembler,
    WireSettings,
    request_kwargs,
    to_completion,
    translate_error,
)
from crsagent.llm.protocol import ChatModel, ChatRequest
from crsagent.llm.results import Completion, TextDelta

# A local server (vLLM without --api-key) accepts any key, but the SDK insists on one.
_NO_KEY = "EMPTY"


class OpenAICompatibleConfig(BaseModel):
    """Where the server is and how to talk to it."""

    model_config = ConfigDict(frozen=True)

    base_url: str | None = Field(default=None, description="Endpoint ending in /v1; None is api.openai.com.")
    api_key: SecretStr | None = Field(default=None, description="Key; None reads OPENAI_API_KEY.")
    timeout_s: float = Field(default=60.0, gt=0, description="Longest wait for the next bytes of an answer.")
    connect_timeout_s: float = Field(default=5.0, gt=0, description="Longest wait to connect.")
    deadline_s: float = Field(
        default=60.0,
        gt=0,
        description="Budget of one call, retries and waits included (connect, read, total).",
    )
    max_response_bytes: int = Field(
        default=262_144, ge=1024, description="Largest answer body read; a larger one is an error."
    )
    max_retries: int = Field(
        default=3, ge=0, le=10, description="The SDK's retries on 429 / 5xx / network failures / timeouts."
    )
    wire: WireSettings = Field(description="Model name and request format.")

    @classmethod
    def from_settings(
        cls, settings: Settings, wire: WireSettings, base_url: str | None = None
    ) -> OpenAICompatibleConfig:
        """Every field but ``wire`` from its ``Settings.llm_<field>`` (``CRSAGENT_LLM_*``); ``base_url``
        overrides the configured endpoint."""
        values = {name: getattr(settings, f"llm_{name}") for name in cls.model_fields if name != "wire"}
        return cls(**values | {"wire": wire, "base_url": base_url or settings.llm_base_url})


class OpenAICompatibleChatModel(ChatModel):
    """A ``ChatModel`` over the chat-completions endpoint of an OpenAI-compatible server."""

    def __init__(self, config: OpenAICompatibleConfig, name: str | None = None):
        super().__init__(name or f"openai:{config.wire.model}")
        self.config = config
        self._client: openai.OpenAI | None = None
        # An async client's connections belong to the event loop that opened them: one per loop.
        self._async_client: tuple[asyncio.AbstractEventLoop, openai.AsyncOpenAI] | None = None

    @property
    def server(self) -> str:
        """How errors name the server: the model string and the endpoint."""
        base_url = self.config.base_url or "api.openai.com"
        return self.name if base_url in self.name else f"{self.name} at {base_url}"

    def _client_kwargs(self) -> dict[str, Any]:
        key = (
            self.config.api_key.get_secret_value()
            if self.config.api_key
            else os.environ.get("OPENAI_API_KEY")
        )
        if not key:
            if self.config.base_url is None:
                raise LLMRequestError(
                    f"{self.name}: no API key for api.openai.com; set CRSAGENT_LLM_API_KEY or OPENAI_API_KEY"
                )
            key = _NO_KEY
        timeout = httpx2.Timeout(self.config.timeout_s, connect=self.config.connect_timeout_s)
        return {
            "api_key": key,
            "base_url": self.config.base_url,
            "timeout": timeout,
            "max_retries": self.config.max_retries,
        }

    def client(self) -> openai.OpenAI:
        if self._client is None:
            transport = BudgetTransport(httpx2.HTTPTransport())
            self._client = openai.OpenAI(
                **self._client_kwargs(), http_client=openai.DefaultHttpxClient(transport=transport)
            )
        return self._client

    def async_client(self) -> openai.AsyncOpenAI:
        loop = asyncio.get_running_loop()
        if self._async_client is None or self._async_client[0] is not loop:
            transport = AsyncBudgetTransport(httpx2.AsyncHTTPTransport())
            client = openai.AsyncOpenAI(
                **self._client_kwargs(), http_client=openai.DefaultAsyncHttpxClient(transport=transport)
            )
            self._async_client = (loop, client)
        return self._async_client[1]

    def close(self) -> None:
        """Close the sync client's connections (an async client's go with its event loop)."""
        if self._client is not None:
            self._client.close()
            self._client = None

    # -- one call under its budget ------------------------------------------------------------------
    def _fail(self, error: Exception) -> LLMError:
        if isinstance(error, CallBudgetSpent):
            return error.deadline.spent(self.server, error.attempts)
        # Any API error carries its request (a status error's is its response's request).
        attempts = attempt_of(error.request) if isinstance(error, openai.APIError) else 1
        return translate_error(error, self.server, attempts, self.config.timeout_s)

    def _deadline(self, request: ChatRequest) -> Deadline:
        budget_s = request.options.timeout_s
        return Deadline.after(min(budget_s, self.config.deadline_s) if budget_s else self.config.deadline_s)

    @contextlib.contextmanager
    def _sdk_call(self, deadline: Deadline | None = None) -> Iterator[None]:
        """The block's SDK calls (retrying by themselves) under ``deadline``, their errors made ours."""
        try:
            with budget(deadline) if deadline is not None else contextlib.nullcontext():
                yield
        except (openai.OpenAIError, json.JSONDecodeError) as error:  # a 200 that is not JSON, too
            raise self._fail(error) from error

    def _parse(self, body: bytes) -> ChatCompletion:
        data = json.loads(body)  # a JSONDecodeError is a broken server, reported by the retry loop
        if not isinstance(data, dict):
            raise LLMResponseError(
                f"{self.server}: the answer is not a chat completion (no choices): {body[:300]!r}"
            )
        return ChatCompletion.construct(**data)

    def _check_stream(self, assembler: StreamAssembler, deadline: Deadline) -> None:
        deadline.check(self.server)
        check_text_size(assembler.size, self.config.max_response_bytes, self.server)

    # -- the backend hooks --------------------------------------------------------------------------
    # The client is made (once: the SDK's first use imports a lot) before the budget starts.
    def _complete(self, request: ChatRequest) -> Completion:
        kwargs = request_kwargs(self.config.wire, request)
        create = self.client().chat.completions.with_streaming_response.create
        deadline = self._deadline(request)
        reader = BoundedBody(deadline, self.config.max_response_bytes, self.server)
        with self._sdk_call(deadline), create(**kwargs) as response:
            return to_completion(self._parse(reader.read(response.iter_bytes())), self.server)

    async def _acomplete(self, request: ChatRequest) -> Completion:
        kwargs = request_kwargs(self.config.wire, request)
        create = self.async_client().chat.completions.with_streaming_response.create
        deadline = self._deadline(request)
        reader = BoundedBody(deadline, self.config.max_response_bytes, self.server)
        with self._sdk_call(deadline):
            async with create(**kwargs) as response:
                return to_completion(self._parse(await reader.aread(response.iter_bytes())), self.server)

    def _stream(self, request: ChatRequest) -> Iterator[TextDelta | Completion]:
        kwargs = request_kwargs(self.config.wire, request, stream=True)
        self.client()
        deadline = self._deadline(request)
        # The SDK retries opening the stream; once text has been shown a failure is final.
        with self._sdk_call(deadline):
            stream = self.client().chat.completions.create(**kwargs)
        assembler = StreamAssembler()
        with self._sdk_call(), stream:
            for chunk in stream:
                text = assembler.feed(chunk)
                self._check_stream(assembler, deadline)
                if text:
                    yield TextDelta(text=text)
        yield assembler.completion()

    async def _astream(self, request: ChatRequest) -> AsyncIterator[TextDelta | Completion]:
        kwargs = request_kwargs(self.config.wire, request, stream=True)
        self.async_client()
        deadline = self._deadline(request)
        with self._sdk_call(deadline):
            stream = await self.async_client().chat.completions.create(**kwargs)
        assembler = StreamAssembler()
        with self._sdk_call():
            async with stream:
                async for chunk in stream:
                    text = assembler.feed(chunk)
                    self._check_stream(assembler, deadline)
                    if text:
                        yield TextDelta(text=text)
        yield assembler.completion()
