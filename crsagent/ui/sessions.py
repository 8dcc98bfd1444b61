"""What the UI keeps per browser tab, and how it builds the agents it talks to.

The conversation itself lives in the agent's SQLite checkpointer; the browser keeps only a
``SessionView`` (session id, dataset, LLM, the server's handle for them, and the last cards /
question) in its localStorage, so a page reload finds the same session and redraws it from
``agent.history`` — once the server has checked the handle (``crsagent.ui.binding``).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Protocol

from pydantic import BaseModel, Field, ValidationError

from crsagent.agent.config import AgentConfig
from crsagent.agent.reply import Question, Reply, ReplyItem
from crsagent.config import Settings
from crsagent.errors import CrsAgentError
from crsagent.ui.binding import SessionKey, SessionSigner

OFFLINE = "offline"
# Spellings of "no LLM" the LLM selector accepts.
_OFFLINE_NAMES = {"", "offline", "none", "no llm"}


class ChatAgent(Protocol):
    """The part of ``crsagent.agent.Agent`` the UI uses."""

    def chat(self, text: str, session_id: str) -> Reply: ...

    def stream(self, text: str, *, session_id: str) -> Iterator[str | Reply]: ...

    def feedback(self, session_id: str, item_id: str, liked: bool) -> Reply: ...

    def history(self, session_id: str) -> list[tuple[str, str]]: ...

    def reset(self, session_id: str) -> None: ...


# (dataset name, LLM model string or None) -> a ready agent.
AgentFactory = Callable[[str, str | None], ChatAgent]


def llm_choice(value: str | None) -> str | None:
    """The LLM selector's value as a model string, None for the offline mode."""
    text = (value or "").strip()
    return None if text.lower() in _OFFLINE_NAMES else text


def llm_label(llm: str | None) -> str:
    """A model string (or None) as the LLM selector shows it."""
    return llm or OFFLINE


class SessionView(BaseModel):
    """One tab's session as its browser stores it: small, JSON, and enough to redraw the page."""

    session_id: str = Field(min_length=1, max_length=64, description="The agent's session (thread) id.")
    dataset: str = Field(min_length=1, description="Dataset the session runs on.")
    llm: str | None = Field(default=None, description="Model string, None for the offline mode.")
    items: list[ReplyItem] = Field(default_factory=list, description="The latest recommended items.")
    question: Question | None = Field(default=None, description="The question just asked, if any.")
    trace: str = Field(default="", description="The last turn's trace, rendered (the side panel).")
    feedback: dict[str, bool] = Field(default_factory=dict, description="Item id -> liked, this session.")
    handle: str = Field(default="", description="The server's signed handle of (session, dataset, LLM).")

    @classmethod
    def new(cls, dataset: str, llm: str | None, signer: SessionSigner) -> SessionView:
        """An empty session on ``dataset`` with ``llm``, with its handle from ``signer``."""
        key = SessionKey(session_id=uuid.uuid4().hex, dataset=dataset, llm=llm)
        return cls.for_key(key, signer.handle(key))

    @classmethod
    def for_key(cls, key: SessionKey, handle: str) -> SessionView:
        """An empty view of the session ``key`` (an API client's session, or a fresh one)."""
        return cls(session_id=key.session_id, dataset=key.dataset, llm=key.llm, handle=handle)

    @property
    def key(self) -> SessionKey:
        """The session this view claims; ``SessionSigner.check(view.handle, view.key)`` verifies it."""
        return SessionKey(session_id=self.session_id, dataset=self.dataset, llm=self.llm)

    @classmethod
    def from_browser(cls, value: object) -> SessionView | None:
        """What the browser stored, or None when it holds nothing usable (first visit, old format)."""
        if not isinstance(value, dict):
            return None
        try:
            return cls.model_validate(value)
        except ValidationError:
            return None

    def after(self, reply: Reply, trace: str) -> SessionView:
        """This view once ``reply`` is shown: a new list replaces the cards; the question is the new one."""
        return self.model_copy(
            update={"items": reply.items or self.items, "question": reply.question, "trace": trace}
        )

    def with_feedback(self, item_id: str, liked: bool) -> SessionView:
        """This view with the user's like / dislike of one item recorded."""
        return self.model_copy(update={"feedback": {**self.feedback, item_id: liked}})

    def to_browser(self) -> dict[str, object]:
        """JSON for the browser's localStorage."""
        return self.model_dump(mode="json")


def _found(name: str, settings: Settings) -> bool:
    """Whether dataset ``name``'s folder is there (the demo needs none)."""
    from crsagent.data.registry import resolve_folder

    if name == "demo":
        return True
    try:
        resolve_folder(name, settings)
    except CrsAgentError:
        return False
    return True


def default_dataset(settings: Settings) -> str:
    """The dataset the UI opens on: ``settings.default_dataset`` when it is there, else the demo."""
    return settings.default_dataset if _found(settings.default_dataset, settings) else "demo"


def available_datasets(settings: Settings, *, current: str | None = None) -> list[str]:
    """Known datasets whose folder is found (the demo always), plus ``current`` (a folder path...)."""
    from crsagent.data.registry import KNOWN_DATASETS

    names = [name for name in KNOWN_DATASETS if _found(name, settings)]
    if current and current not in names:
        names.insert(0, current)
    return names


def agent_factory(
    settings: Settings, *, config: AgentConfig | None = None, checkpoint_path: Path | None = None
) -> AgentFactory:
    """Builds real agents on ``settings``; all keep their sessions in one SQLite file (ids never repeat)."""
    checkpoint = checkpoint_path or settings.cache_dir / "sessions.sqlite"

    def build(dataset: str, llm: str | None) -> ChatAgent:
        from crsagent.agent import Agent

        # "offline", not None: None would mean "whatever the settings configure".
        return Agent.from_dataset(
            dataset, llm=llm or OFFLINE, config=config, settings=settings, checkpoint_path=checkpoint
        )

    return build
