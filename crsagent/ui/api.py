"""The app's API for ``gradio_client``: stable, named endpoints that return plain JSON.

    /new_session (dataset, llm)        -> {"session", "dataset", "llm"}
    /chat        (message, session)    -> a reply (below); an empty session starts one
    /feedback    (session, item_id, liked) -> a reply
    /history     (session)             -> {"session", "exchanges": [{"user", "agent"}, ...]}
    /reset       (session)             -> {"session", "reset": true}

A reply is ``{"session", "text", "items": [{"id", "title", "year", "attributes", "reasons"}],
"question": {"attribute", "values", "text", "quick_replies"} | null, "trace": {...}}``, its text
plain (not the chat's Markdown). ``session`` is the handle the server issued: a session id alone is
refused, as the page refuses it. Turns of one session run one at a time, as on the page.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from pydantic import BaseModel, Field

from crsagent.agent.reply import QuestionView, Reply, ReplyItem
from crsagent.errors import CrsAgentError
from crsagent.ui.optional import gr
from crsagent.ui.service import ChatService
from crsagent.ui.sessions import SessionView, llm_label

TURN_GROUP = "agent-turn"  # the concurrency group of every event that runs an agent turn


class ApiTrace(BaseModel):
    turn: int
    mode: str
    decision: str
    decision_reason: str
    candidates_before: int
    candidates_after: int
    llm_calls: int
    latency_ms: float
    notices: list[str]


class ApiReply(BaseModel):
    """One reply as the API returns it."""

    session: str = Field(description="The session handle: pass it back to continue.")
    text: str = Field(description="The reply as plain text.")
    items: list[ReplyItem]
    question: QuestionView | None
    trace: ApiTrace

    @classmethod
    def of(cls, reply: Reply, handle: str) -> ApiReply:
        return cls(
            session=handle,
            text=reply.text,
            items=reply.items,
            question=QuestionView.of(reply.question) if reply.question is not None else None,
            trace=ApiTrace(**reply.trace.model_dump(include=set(ApiTrace.model_fields))),
        )


@contextmanager
def _refused() -> Iterator[None]:
    """Errors a client caused (or may act on) go back as their message."""
    try:
        yield
    except CrsAgentError as error:
        # args[0], not str(): an unknown item id is also a KeyError, whose str() adds quotes.
        message = error.args[0] if error.args and isinstance(error.args[0], str) else str(error)
        raise gr.Error(message, print_exception=False) from error


class ApiEndpoints:
    """The endpoint functions over a ``ChatService``; ``register`` adds them to the open Blocks."""

    def __init__(self, service: ChatService) -> None:
        self.service = service

    def _open(self, session: str) -> SessionView:
        with _refused():
            return self.service.open(session)

    def new_session(self, dataset: str = "", llm: str = "") -> dict[str, Any]:
        """Start a session on a dataset and LLM this server offers (empty: its defaults)."""
        with _refused():
            view = self.service.fresh(dataset or None, llm or None)
            self.service.agent(view)  # built now: a model string that cannot load fails here
        return {"session": view.handle, "dataset": view.dataset, "llm": llm_label(view.llm)}

    def chat(self, message: str, session: str = "") -> dict[str, Any]:
        """Send one message; an empty session starts one on the defaults."""
        if not isinstance(message, str) or not message.strip():
            raise gr.Error("message must be a non-empty string", print_exception=False)
        view = self.service.fresh() if not session else self._open(session)
        with _refused():
            agent = self.service.agent(view)
            with self.service.gate.turn(view.session_id):
                reply = agent.chat(message, view.session_id)
        return ApiReply.of(reply, view.handle).model_dump(mode="json")

    def feedback(self, session: str, item_id: str, liked: bool) -> dict[str, Any]:
        """Like (or dislike) an item by its catalog id."""
        view = self._open(session)
        with _refused():  # an unknown item id is refused too
            agent = self.service.agent(view)
            with self.service.gate.turn(view.session_id):
                reply = agent.feedback(view.session_id, item_id, liked)
        return ApiReply.of(reply, view.handle).model_dump(mode="json")

    def history(self, session: str) -> dict[str, Any]:
        """The session's exchanges so far."""
        view = self._open(session)
        with _refused():
            exchanges = self.service.agent(view).history(view.session_id)
        return {"session": view.handle, "exchanges": [{"user": u, "agent": a} for u, a in exchanges]}

    def reset(self, session: str) -> dict[str, Any]:
        """Forget the session's conversation (the handle stays usable, on an empty session)."""
        view = self._open(session)
        with _refused():
            agent = self.service.agent(view)
            with self.service.gate.turn(view.session_id):
                agent.reset(view.session_id)
        return {"session": view.handle, "reset": True}

    def register(self, concurrent_turns: int) -> None:
        """Add the endpoints (inside an open ``gr.Blocks``); turns share the page's concurrency group."""
        turn = {"concurrency_id": TURN_GROUP, "concurrency_limit": concurrent_turns}
        api = gr.api  # pyright: ignore[reportPrivateImportUsage]  # gradio exports it at the top level
        api(self.new_session, api_name="new_session")
        api(self.chat, api_name="chat", **turn)
        api(self.feedback, api_name="feedback", **turn)
        api(self.history, api_name="history")
        api(self.reset, api_name="reset", **turn)
