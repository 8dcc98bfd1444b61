"""Translation between our requests / results and the OpenAI chat-completions wire format.

Pure functions, shared by the sync and async paths of the OpenAI-compatible backend: request
keyword arguments, response -> ``Completion``, stream chunks -> deltas, SDK errors -> our errors.
"""

from __future__ import annotations

import json
from typing import Any, Literal

import openai
from pydantic import BaseModel, ConfigDict, Field

from crsagent.llm.errors import (
    LLMError,
    LLMRequestError,
    LLMResponseError,
    LLMTimeoutError,
    LLMUnavailableError,
)
from crsagent.llm.messages import ToolCall
from crsagent.llm.protocol import ChatOptions, ChatRequest, merged_options
from crsagent.llm.results import Completion, Usage
from crsagent.llm.structured import strict_schema

StructuredMode = Literal["response_format", "structured_outputs", "guided_json"]


class WireSettings(BaseModel):
    """How requests are written for a given server."""

    model_config = ConfigDict(frozen=True)

    model: str = Field(description="Model name sent in every request.")
    structured_mode: StructuredMode = Field(
        default="response_format",
        description=(
            "How an output schema is sent: OpenAI's response_format json_schema (OpenAI, vLLM and most "
            "compatible servers), vLLM's structured_outputs extra body, or older vLLM's guided_json."
        ),
    )
    defaults: ChatOptions = Field(default_factory=ChatOptions, description="Options a call does not set.")
    extra_body: dict[str, Any] = Field(
        default_factory=dict, description="Extra JSON fields on every request."
    )


def request_kwargs(wire: WireSettings, request: ChatRequest, *, stream: bool = False) -> dict[str, Any]:
    """Keyword arguments of ``client.chat.completions.create``."""
    options = merged_options(wire.defaults, request.options)
    kwargs: dict[str, Any] = {
        "model": wire.model,
        "messages": [message.to_openai() for message in request.messages],
    }
    extra_body = dict(wire.extra_body)
    if request.tools:
        kwargs["tools"] = [tool.to_openai() for tool in request.tools]
        if options.tool_choice is not None:
            kwargs["tool_choice"] = options.tool_choice
    if request.output_schema is not None:
        if wire.structured_mode == "response_format":
            kwargs["response_format"] = {
                "type": "json_schema",
                "json_schema": {
                    "name": request.output_name or "output",
                    "schema": strict_schema(request.output_schema),
                    "strict": True,
                },
            }
        elif wire.structured_mode == "structured_outputs":
            extra_body["structured_outputs"] = {"json": request.output_schema}
        else:
            extra_body["guided_json"] = request.output_schema
    for name in ("temperature", "max_tokens", "seed"):
        if getattr(options, name) is not None:
            kwargs[name] = getattr(options, name)
    if options.stop:
        kwargs["stop"] = list(options.stop)
    if stream:
        kwargs["stream"] = True
        kwargs["stream_options"] = {"include_usage": True}  # token usage at the end of the stream
    if extra_body:
        kwargs["extra_body"] = extra_body
    return kwargs


def usage_of(raw: Any) -> Usage:
    if raw is None:
        return Usage()
    return Usage(prompt_tokens=raw.prompt_tokens or 0, completion_tokens=raw.completion_tokens or 0)


def to_completion(response: Any, server: str) -> Completion:
    """A ``Completion`` from the SDK's response, with a clear error when the body is not one."""
    choices = getattr(response, "choices", None)
    if not isinstance(choices, list) or not choices:
        raise LLMResponseError(
            f"{server}: the answer is not a chat completion (no choices): {str(response)[:300]!r}"
        )
    choice = choices[0]
    message = getattr(choice, "message", None)
    if message is None:
        raise LLMResponseError(f"{server}: the chat completion's first choice has no message")
    calls = tuple(
        ToolCall(
            id=call.id or f"call_{index}", name=call.function.name, arguments=call.function.arguments or "{}"
        )
        for index, call in enumerate(message.tool_calls or ())
        if getattr(call, "function", None) is not None
    )
    return Completion(
        text=message.content or "",
        tool_calls=calls,
        usage=usage_of(getattr(response, "usage", None)),
        finish_reason=choice.finish_reason,
        model=getattr(response, "model", None) or "",
    )


class StreamAssembler:
    """Collects stream chunks into the final ``Completion``; ``feed`` returns the new text, if any."""

    def __init__(self) -> None:
        self.text: list[str] = []
        self.size = 0  # characters of text so far (the response size cap reads it)
        self.calls: dict[int, dict[str, Any]] = {}
        self.usage = Usage()
        self.finish_reason: str | None = None
        self.model = ""

    def feed(self, chunk: Any) -> str:
        self.model = getattr(chunk, "model", None) or self.model
        if getattr(chunk, "usage", None) is not None:
            self.usage = usage_of(chunk.usage)
        new_text = ""
        for choice in getattr(chunk, "choices", None) or ():
            delta = choice.delta
            if delta is not None and delta.content:
                new_text += delta.content
            for call in (delta.tool_calls if delta is not None else None) or ():
                slot = self.calls.setdefault(call.index, {"id": "", "name": "", "arguments": []})
                slot["id"] = call.id or slot["id"]
                if call.function is not None:
                    slot["name"] = call.function.name or slot["name"]
                    slot["arguments"].append(call.function.arguments or "")
            if choice.finish_reason:
                self.finish_reason = choice.finish_reason
        if new_text:
            self.text.append(new_text)
            self.size += len(new_text)
        return new_text

    def completion(self) -> Completion:
        calls = tuple(
            ToolCall(
                id=slot["id"] or f"call_{index}",
                name=slot["name"],
                arguments="".join(slot["arguments"]) or "{}",
            )
            for index, slot in sorted(self.calls.items())
        )
        return Completion(
            text="".join(self.text),
            tool_calls=calls,
            usage=self.usage,
            finish_reason=self.finish_reason,
            model=self.model,
        )


def translate_error(error: Exception, server: str, attempts: int, timeout_s: float) -> LLMError:
    """Our error for an SDK (or decoding) error, after ``attempts`` attempts."""
    tries = f"{attempts} attempt(s)"
    if isinstance(error, openai.APITimeoutError):
        return LLMTimeoutError(f"{server}: no answer within {timeout_s:g} s ({tries})", attempts=attempts)
    if isinstance(error, openai.APIConnectionError):
        return LLMUnavailableError(f"{server}: cannot connect ({tries}): {error}", attempts=attempts)
    if isinstance(error, openai.APIStatusError):
        status = error.status_code
        detail = _error_detail(error)
        if status == 429 or status >= 500:
            return LLMUnavailableError(
                f"{server}: HTTP {status} after {tries}: {detail}", attempts=attempts, status_code=status
            )
        hint = {
            401: " (check CRSAGENT_LLM_API_KEY / OPENAI_API_KEY)",
            404: " (check the model name and the base URL, which usually ends in /v1)",
        }.get(status, "")
        return LLMRequestError(
            f"{server}: the server refused the request (HTTP {status}){hint}: {detail}", status_code=status
        )
    if isinstance(error, json.JSONDecodeError | openai.APIResponseValidationError):
        return LLMResponseError(f"{server}: the answer is not valid JSON: {error}")
    return LLMResponseError(f"{server}: {type(error).__name__}: {error}")


def _error_detail(error: openai.APIStatusError) -> str:
    body = error.body
    if isinstance(body, dict):
        inner = body.get("error", body)
        if isinstance(inner, dict) and inner.get("message"):
            return str(inner["message"])[:500]
        if isinstance(inner, str):
            return inner[:500]
    return str(error.message)[:500]
