"""The OpenAI chat-completions wire format, as much of it as the agent serves, and the extension.

What a response carries beside the text (documented in the README, "Serve it"):

* ``crsagent`` (top level of a completion; on the last chunk of a stream): ``items`` (catalog id,
  title, year, reasons), ``question`` (attribute, values, text, quick_replies) or null, ``ranking``
  (the agent's top 50: id, title, score) and ``trace`` (the agent's trace of the turn).
* the items once more as a tool call ``show_items`` whose arguments are ``{"items": [...]}`` (the
  same item objects): a display instruction for clients that render function calls. It expects no
  tool result, so ``finish_reason`` stays ``stop``.
"""

from __future__ import annotations

import json
import time
import uuid
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from crsagent.agent.conversation import ConversationReply, RankedItem
from crsagent.agent.reply import QuestionView, Trace, stream_pieces
from crsagent.serve.views import ItemView, ReplyView

SHOW_ITEMS_TOOL = "show_items"


class TextPart(BaseModel):
    """One part of a message's content given as a list (only text parts are read)."""

    model_config = ConfigDict(extra="ignore")

    type: str
    text: str | None = None


class RequestMessage(BaseModel):
    """One message of a chat request, as OpenAI clients send it."""

    model_config = ConfigDict(extra="ignore")  # name, tool_calls, refusal, ...: not needed

    role: Literal["system", "developer", "user", "assistant", "tool"]
    content: str | list[TextPart] | None = None

    def text(self) -> str:
        """The content as one string: text parts joined; None (an assistant's tool call) is empty."""
        if self.content is None:
            return ""
        if isinstance(self.content, str):
            return self.content
        return "".join(part.text or "" for part in self.content if part.type == "text")


class StreamOptions(BaseModel):
    model_config = ConfigDict(extra="ignore")

    include_usage: bool = False


class ChatCompletionRequest(BaseModel):
    """``POST /v1/chat/completions``. Sampling parameters (temperature, max_tokens, ...) are accepted
    and ignored: the agent's replies come from its policy and templates (or its own LLM settings)."""

    model_config = ConfigDict(extra="ignore")

    model: str = Field(min_length=1, description="A served dataset (GET /v1/models).")
    messages: list[RequestMessage] = Field(min_length=1)
    stream: bool = False
    stream_options: StreamOptions | None = None
    n: int = Field(default=1, ge=1, le=1, description="One choice only.")


class CrsAgentExtension(BaseModel):
    """The structured reply beside the text (the ``crsagent`` field)."""

    items: list[ItemView]
    question: QuestionView | None
    decision: str
    ranking: list[RankedItem]
    trace: Trace

    @classmethod
    def of(cls, answer: ConversationReply) -> CrsAgentExtension:
        view = ReplyView.of(answer.reply).model_dump(exclude={"text"})
        return cls(**view, ranking=answer.ranking, trace=answer.reply.trace)


def new_completion_id() -> str:
    return f"chatcmpl-{uuid.uuid4().hex}"


def show_items_call(items: list[ItemView], completion_id: str) -> dict[str, Any]:
    """The ``show_items`` tool call of a reply's items (arguments are JSON text, as OpenAI sends them)."""
    arguments = json.dumps({"items": [item.model_dump(mode="json") for item in items]}, ensure_ascii=False)
    return {
        "id": f"call_{completion_id.removeprefix('chatcmpl-')[:24]}",
        "type": "function",
        "function": {"name": SHOW_ITEMS_TOOL, "arguments": arguments},
    }


def usage(trace: Trace) -> dict[str, int]:
    """Tokens the agent's own LLM used this turn (0 offline)."""
    total = trace.prompt_tokens + trace.completion_tokens
    return {
        "prompt_tokens": trace.prompt_tokens,
        "completion_tokens": trace.completion_tokens,
        "total_tokens": total,
    }


def completion(answer: ConversationReply, model: str) -> dict[str, Any]:
    """A whole ``chat.completion`` object."""
    completion_id = new_completion_id()
    extension = CrsAgentExtension.of(answer)
    message: dict[str, Any] = {"role": "assistant", "content": answer.reply.text}
    if extension.items:
        message["tool_calls"] = [show_items_call(extension.items, completion_id)]
    return {
        "id": completion_id,
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [{"index": 0, "message": message, "finish_reason": "stop", "logprobs": None}],
        "usage": usage(answer.reply.trace),
        "crsagent": extension.model_dump(mode="json"),
    }


def completion_chunks(answer: ConversationReply, model: str, *, include_usage: bool) -> list[dict[str, Any]]:
    """The ``chat.completion.chunk`` objects of one reply: role, text pieces, the tool call, the last
    chunk (finish_reason and the ``crsagent`` extension), then usage when asked for."""
    completion_id = new_completion_id()
    created = int(time.time())
    extension = CrsAgentExtension.of(answer)

    def chunk(delta: dict[str, Any], finish_reason: str | None = None) -> dict[str, Any]:
        choice = {"index": 0, "delta": delta, "finish_reason": finish_reason, "logprobs": None}
        return {
            "id": completion_id,
            "object": "chat.completion.chunk",
            "created": created,
            "model": model,
            "choices": [choice],
        }

    chunks = [chunk({"role": "assistant", "content": ""})]
    chunks.extend(chunk({"content": piece}) for piece in stream_pieces(answer.reply.text))
    if extension.items:
        chunks.append(
            chunk({"tool_calls": [{"index": 0, **show_items_call(extension.items, completion_id)}]})
        )
    last = chunk({}, "stop")
    last["crsagent"] = extension.model_dump(mode="json")
    chunks.append(last)
    if include_usage:
        chunks.append({**chunk({}), "choices": [], "usage": usage(answer.reply.trace)})
    return chunks


def error_body(
    message: str, kind: str, *, param: str | None = None, code: str | None = None
) -> dict[str, Any]:
    """OpenAI's error object: ``{"error": {"message", "type", "param", "code"}}``."""
    return {"error": {"message": message, "type": kind, "param": param, "code": code}}
