"""A stand-in LLM for evaluation tests and benchmarks: answers the simulated user's and the agent's
requests on the local OpenAI-compatible test server (``crsagent.llm.testing_server``), with no model.

    with OpenAITestServer(responder=EndpointScript()) as server:
        run_eval(spec_with(simulator_llm=f"vllm-server:{server.url}#{server.model}"), ...)

It reads what a real model would read: the simulated user's system prompt lists the target's
attributes, so it names them one per turn and takes a listed item whose facts are all among them;
the agent's planner prompt lists the catalog's common values, so its plan accepts those the user's
message contains. Good enough to drive whole
dialogues through the HTTP path, the JSON-schema outputs and the usage counters; not a model of
anyone's behaviour.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from crsagent.llm.testing_server import ServerReply

_LINE = re.compile(r"^- ([^:\n]+): (.+)$", re.MULTILINE)
_LISTED = re.compile(r"^([0-9]+)\. .*\[(.+)\]$", re.MULTILINE)


def _messages(body: dict[str, Any]) -> list[dict[str, Any]]:
    return [m for m in body.get("messages", []) if isinstance(m, dict)]


def _content(message: dict[str, Any]) -> str:
    return str(message.get("content") or "")


def listed_values(text: str) -> list[tuple[str, str]]:
    """(type, value) pairs of the "- type: a, b" lines of a prompt."""
    return [
        (kind.strip(), value.strip())
        for kind, values in _LINE.findall(text)
        for value in values.split(",")
        if value.strip()
    ]


def fitting_position(reply: str, wanted: set[str]) -> int | None:
    """The first listed item ("2. Title [type: a, b; type: c]") whose facts are all in ``wanted``."""
    for number, facts in _LISTED.findall(reply):
        shown = {
            v.strip() for part in facts.split(";") for v in part.partition(":")[2].split(",") if v.strip()
        }
        if shown and shown <= wanted:
            return int(number)
    return None


@dataclass
class EndpointScript:
    """The responder: simulated-user messages, agent plans and agent leads, by the request's schema."""

    invented_title: str | None = None
    """When set, every plan also suggests this title (none of the catalog): grounding must drop it,
    so the out-of-catalog rate is exercised."""
    calls: dict[str, int] = field(default_factory=dict)
    """Requests answered, by kind (user / plan / lead / other)."""

    def __call__(self, body: dict[str, Any]) -> ServerReply:
        name = ((body.get("response_format") or {}).get("json_schema") or {}).get("name")
        if name == "SimulatedUserMessage":
            return self._count("user", self.user_message(body))
        if name == "Plan":
            return self._count("plan", self.plan(body))
        if name is None:
            return self._count("lead", ServerReply(text="Here is what I found."))
        return self._count("other", ServerReply.error(400, f"EndpointScript cannot answer schema {name!r}"))

    def _count(self, kind: str, reply: ServerReply) -> ServerReply:
        self.calls[kind] = self.calls.get(kind, 0) + 1
        return reply

    def user_message(self, body: dict[str, Any]) -> ServerReply:
        """Take a listed item whose facts are all the target's; else name the next target value."""
        messages = _messages(body)
        system = _content(messages[0]) if messages else ""
        values = [value for _, value in listed_values(system.split("How to behave")[0])] or ["anything good"]
        spoken = sum(1 for m in messages if m.get("role") == "assistant")
        last = _content(messages[-1]) if spoken and messages else ""
        position = fitting_position(last, set(values))
        if position is not None:
            message = {"text": f"Number {position} sounds great, I'll take it.", "signal": "accept"}
            return ServerReply(text=json.dumps({**message, "accepted_position": position}))
        signal = "request" if spoken == 0 else ("reject" if "Recommended:" in last else "answer")
        text = f"I would like something with {values[spoken % len(values)]}."
        return ServerReply(text=json.dumps({"text": text, "signal": signal, "accepted_position": None}))

    def plan(self, body: dict[str, Any]) -> ServerReply:
        """Accept the prompt's listed values that the user's message names; no tool calls."""
        messages = _messages(body)
        system = _content(messages[0]) if messages else ""
        text = _content(messages[-1]).lower() if messages else ""
        accepted = [
            {"type": kind, "value": value}
            for kind, value in listed_values(system)
            if len(value) > 2 and re.search(rf"(?<!\w){re.escape(value.lower())}(?!\w)", text)
        ]
        understanding: dict[str, Any] = {
            "intent": "request",
            "accepted": accepted[:3],
            "suggested_titles": [self.invented_title] if self.invented_title else [],
            "wishes": "",
        }
        return ServerReply(text=json.dumps({"understanding": understanding, "tool_calls": []}))


def serve() -> None:
    """Serve ``EndpointScript`` on 127.0.0.1 (a free port) until interrupted; prints the model string.

    ``python -m crsagent.evals.testing`` lets a shipped LLM spec run offline end to end:
    ``crsagent eval run evals/redial-llm.toml --set simulator.llm=<the printed model string>``.
    """
    import threading

    from crsagent.llm.testing_server import OpenAITestServer

    with OpenAITestServer(responder=EndpointScript()) as server:
        print(f"vllm-server:{server.url}#{server.model}", flush=True)
        threading.Event().wait()


if __name__ == "__main__":
    import contextlib

    with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C is how it is stopped
        serve()
