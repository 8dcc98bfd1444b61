"""What the page's handlers and the API endpoints share: the offer, the agent pool, session handles
and per-session turns. Every session a client names is checked here before an agent sees it."""

from __future__ import annotations

from dataclasses import dataclass

from crsagent.agent.pool import AgentPool
from crsagent.ui.binding import SessionRefusedError, SessionSigner
from crsagent.ui.choices import Offer
from crsagent.ui.sessions import ChatAgent, SessionView
from crsagent.ui.turns import SessionGate

UNVERIFIED_NOTICE = (
    "The session stored in this browser could not be verified by this server; a new one was started."
)


@dataclass
class ChatService:
    """The server side of sessions, for the UI and the API alike."""

    pool: AgentPool[ChatAgent]
    offer: Offer
    signer: SessionSigner
    gate: SessionGate

    def fresh(self, dataset: str | None = None, llm_text: str | None = None) -> SessionView:
        """A new session; ``dataset`` / ``llm_text`` (a selector value: a model string or "offline")
        are checked against the offer, and None or empty picks the server's default."""
        chosen_dataset = self.offer.check_dataset(dataset) if dataset else self.offer.dataset
        chosen_llm = self.offer.check_llm(llm_text) if llm_text else self.offer.llm
        return SessionView.new(chosen_dataset, chosen_llm, self.signer)

    def from_browser(self, stored: object) -> tuple[SessionView | None, str | None]:
        """The browser's stored view when this server issued its handle; else (None, why) — why is
        None for a first visit (nothing stored)."""
        view = SessionView.from_browser(stored)
        if view is None:
            return None, None if stored is None else UNVERIFIED_NOTICE
        if not self.signer.check(view.handle, view.key):
            return None, UNVERIFIED_NOTICE
        return view, None

    def open(self, handle: object) -> SessionView:
        """The session an API client names by its handle (``SessionRefusedError`` if not ours)."""
        key = self.signer.open(handle)
        assert isinstance(handle, str)  # open() refused anything else
        return SessionView.for_key(key, handle)

    def agent(self, view: SessionView) -> ChatAgent:
        """The agent of a verified session, if its dataset and LLM are still offered."""
        if not self.signer.check(view.handle, view.key):
            raise SessionRefusedError("session handle refused: it was not issued by this server")
        dataset = self.offer.check_dataset(view.dataset)
        llm = view.llm if view.llm in self.offer.llms else self.offer.check_llm(view.llm or "offline")
        return self.pool.get(dataset, llm)
