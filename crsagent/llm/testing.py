"""A scripted chat model: answers from a list, in order, and records what it was asked.

For tests of anything that talks to an LLM (the agent's control flow, simulators, evaluations):

    model = ScriptedChatModel([
        ScriptedReply.calling("search_items", genre="jazz"),   # first call: a tool call
        Preferences(genres=["jazz"]),                          # second: this object, as JSON
        "Here are three albums.",                              # third: plain text
    ])

It goes through the same validation and re-ask path as the real backends, so a script can also
test that path (a bad answer, then a good one). ``scripted:<file.json>`` loads a script from a file
(a JSON list of strings or ``{"text": ..., "tool_calls": [{"name": ..., "arguments": {...}}]}``), so
the CLI and UI can run on a scripted model too.
"""

from __future__ import annotations

import collections
import json
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from crsagent.llm.errors import ScriptExhaustedError
from crsagent.llm.messages import ToolCall
from crsagent.llm.protocol import ChatModel, ChatRequest
from crsagent.llm.results import Completion, Usage
from crsagent.validation import describe_validation_error


class ScriptedToolCall(BaseModel):
    """A tool call in a script file."""

    name: str
    arguments: dict[str, Any] = Field(default_factory=dict)


class FileReply(BaseModel):
    """A reply in a script file; a bare string there is the text alone."""

    text: str = ""
    tool_calls: list[ScriptedToolCall] = Field(default_factory=list)

    def reply(self) -> ScriptedReply:
        calls = (ToolCall(id="", name=c.name, arguments=json.dumps(c.arguments)) for c in self.tool_calls)
        return ScriptedReply(text=self.text, tool_calls=tuple(calls))


class ScriptedReply(BaseModel):
    """One scripted answer."""

    model_config = ConfigDict(frozen=True)

    text: str = Field(default="", description="The answer's text.")
    tool_calls: tuple[ToolCall, ...] = Field(default=(), description="Tool calls the answer makes.")
    usage: Usage | None = Field(default=None, description="Token counts; None counts words (see below).")
    finish_reason: str = Field(default="stop", description="Reported finish reason.")

    @classmethod
    def calling(cls, name: str, text: str = "", **arguments: Any) -> ScriptedReply:
        """An answer that calls tool ``name`` with ``arguments``."""
        return cls(text=text, tool_calls=(ToolCall(id="", name=name, arguments=json.dumps(arguments)),))


# A reply, an object to answer as JSON, or a function of the request (to answer what was asked).
ScriptEntry = str | BaseModel | Callable[[ChatRequest], str | BaseModel]


def _as_reply(entry: str | BaseModel) -> ScriptedReply:
    if isinstance(entry, ScriptedReply):
        return entry
    if isinstance(entry, str):
        return ScriptedReply(text=entry)
    return ScriptedReply(text=entry.model_dump_json())


class ScriptedChatModel(ChatModel):
    """Answers each call with the next script entry; ``requests`` holds every request received.

    Token usage, unless a reply sets it, is the number of whitespace-separated words (prompt: all
    message contents; completion: the reply's text), so usage totals are easy to predict in tests.
    Tool calls without an id get ``call_<n>`` (n counts calls across the script).
    """

    def __init__(
        self,
        script: Iterable[ScriptEntry] = (),
        *,
        name: str = "scripted",
    ) -> None:
        super().__init__(name)
        self._script: collections.deque[ScriptEntry] = collections.deque(script)
        self.requests: list[ChatRequest] = []
        self._lock = threading.Lock()

    @classmethod
    def from_file(cls, path: Path) -> ScriptedChatModel:
        """A script from a JSON file: a list of strings or {"text", "tool_calls"} objects."""
        try:
            entries = TypeAdapter(list[str | FileReply]).validate_json(path.read_bytes())
        except OSError as error:
            raise ValueError(f"{path}: cannot read the script: {error.strerror}") from error
        except ValidationError as error:
            problems = describe_validation_error(error)
            raise ValueError(f"{path}: not a script (a JSON list of replies): {problems}") from error
        replies = [ScriptedReply(text=e) if isinstance(e, str) else e.reply() for e in entries]
        return cls(replies, name=f"scripted:{path}")

    def add(self, *entries: ScriptEntry) -> None:
        """Append replies to the script."""
        with self._lock:
            self._script.extend(entries)

    @property
    def remaining(self) -> int:
        """Replies not used yet."""
        return len(self._script)

    def _complete(self, request: ChatRequest) -> Completion:
        with self._lock:
            self.requests.append(request)
            number = len(self.requests)
            if not self._script:
                last_user = next((m.content for m in reversed(request.messages) if m.role == "user"), "")
                raise ScriptExhaustedError(
                    f"{self.name}: call {number} has no scripted reply left (the last user message was "
                    f"{last_user[:120]!r})"
                )
            entry = self._script.popleft()
        reply = _as_reply(entry if isinstance(entry, str | BaseModel) else entry(request))
        calls = tuple(
            call if call.id else call.model_copy(update={"id": f"call_{number}_{position}"})
            for position, call in enumerate(reply.tool_calls)
        )
        prompt_words = sum(len(message.content.split()) for message in request.messages)
        usage = reply.usage or Usage(prompt_tokens=prompt_words, completion_tokens=len(reply.text.split()))
        return Completion(
            text=reply.text,
            tool_calls=calls,
            usage=usage,
            finish_reason="tool_calls" if calls else reply.finish_reason,
            model=self.name,
        )
