"""``Agent``: the Python API over the graph. Chat, stream, give feedback, reset, read a session back.

    agent = Agent.from_dataset("ml-latest-small")            # offline: NLU + KG policy + templates
    agent = Agent.from_dataset("demo", llm="scripted:plan.json")
    reply = agent.chat("something like Heat, but not too long ago", session_id="ann")

Sessions are LangGraph threads: with ``checkpoint_path`` they live in SQLite and survive a restart
of the process. Sessions never share state; one agent may serve many of them from many threads.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.checkpoint.sqlite import SqliteSaver

from crsagent.agent.config import AgentConfig
from crsagent.agent.context import AgentContext, chat_model_for
from crsagent.agent.conversation import (
    MAX_MESSAGES,
    ChatMessage,
    ConversationReply,
    RankedItem,
    parse_messages,
    replay,
    split_last_user,
)
from crsagent.agent.graph import compile_graph
from crsagent.agent.ranking import rank_memory
from crsagent.agent.reply import Reply
from crsagent.agent.runtime import AgentRuntime
from crsagent.agent.session_locks import SessionLocks
from crsagent.agent.state import MAX_INPUT_CHARS, ReplayInput, TurnInput, state_serde, stored
from crsagent.agent.turn_rollback import rollback_on_failure
from crsagent.agent.turns import Intent, UserTurn
from crsagent.config import Settings
from crsagent.data.catalog import Catalog
from crsagent.data.dataset import Dataset
from crsagent.data.registry import load_dataset
from crsagent.data.titles import reading_title
from crsagent.errors import CrsAgentError
from crsagent.knowledge_graph.graph import KnowledgeGraph
from crsagent.llm.protocol import ChatModel

__all__ = ["MAX_INPUT_CHARS", "Agent", "AgentInputError"]  # the graph cuts longer messages

MAX_SESSION_ID_CHARS = 200
# The thread name of stateless calls (their graph has no checkpointer, so nothing is kept under it).
STATELESS_SESSION = "stateless"


class AgentInputError(CrsAgentError, ValueError):
    """Bad arguments to the agent's API (not bad user text, which the agent answers)."""


def _check_session(session_id: object) -> str:
    if not isinstance(session_id, str) or not session_id.strip() or len(session_id) > MAX_SESSION_ID_CHARS:
        raise AgentInputError(
            f"session_id must be a non-empty string of at most {MAX_SESSION_ID_CHARS} characters, got {session_id!r:.80}"
        )
    try:  # the id is a key in the SQLite checkpointer: it must be storable text
        session_id.encode("utf-8")
    except UnicodeEncodeError as error:
        raise AgentInputError(
            f"session_id is not valid Unicode text: a lone surrogate at position {error.start} ({session_id!r:.80})"
        ) from None
    return session_id


class Agent:
    """A conversational recommender over one dataset, offline or with an LLM."""

    def __init__(self, runtime: AgentRuntime, checkpointer: BaseCheckpointSaver | None = None) -> None:
        self.runtime = runtime
        # The graph's nodes take this agent's own runtime from the context (nothing is rebuilt).
        self.context = AgentContext.holding(runtime)
        self.checkpointer = checkpointer or InMemorySaver(serde=state_serde())
        self.graph = compile_graph(self.checkpointer)
        # Turns of one session run one at a time (two at once would both read the same checkpoint).
        self._session_locks = SessionLocks()
        # The stateless entry point keeps nothing between calls: the same graph, no checkpointer.
        self.stateless_graph = compile_graph(replay=True)

    @classmethod
    def from_dataset(
        cls,
        dataset: str | Path | Dataset = "default",
        *,
        llm: ChatModel | str | None = None,
        config: AgentConfig | None = None,
        settings: Settings | None = None,
        checkpoint_path: str | Path | None = None,
    ) -> Agent:
        """An agent over ``dataset`` (a name, a folder, or a loaded ``Dataset``).

        ``llm``: a ``ChatModel``, a model string (``openai:gpt-4o-mini``, ``vllm-server:URL#model``,
        ``scripted:file.json``, ...), ``"offline"`` for none, or None for whatever ``Settings``
        configures (``CRSAGENT_LLM_MODEL``; offline when unset).
        """
        settings = settings or Settings()
        loaded = dataset if isinstance(dataset, Dataset) else load_dataset(dataset, settings=settings)
        chat_model = chat_model_for(llm, settings)
        runtime = AgentRuntime.build(
            loaded, settings=settings, config=config or AgentConfig(), chat_model=chat_model
        )
        checkpointer = None
        if checkpoint_path is not None:
            path = Path(checkpoint_path)
            path.parent.mkdir(parents=True, exist_ok=True)
            checkpointer = SqliteSaver(sqlite3.connect(path, check_same_thread=False), serde=state_serde())
        return cls(runtime, checkpointer)

    @property
    def dataset(self) -> Dataset:
        return self.runtime.dataset

    @property
    def catalog(self) -> Catalog:
        return self.runtime.dataset.catalog

    @property
    def kg(self) -> KnowledgeGraph:
        return self.runtime.kg

    @property
    def mode(self) -> str:
        """offline or llm."""
        return "offline" if self.runtime.chat_model is None else "llm"

    def _run(
        self, text: str, session_id: str, turn: UserTurn | None, user: int | None
    ) -> tuple[TurnInput, RunnableConfig]:
        session_id = _check_session(session_id)
        if not isinstance(text, str):
            raise AgentInputError(f"text must be a string, got {type(text).__name__}")
        if user is not None and not (isinstance(user, int) and user >= 0):
            raise AgentInputError(f"user must be a non-negative dataset user index, got {user!r}")
        # The graph cuts long text and starts the turn's work record (it does so for every caller).
        state: TurnInput = {"text": text, "given_turn": turn, "user": user}
        return state, {"configurable": {"thread_id": session_id}}

    def chat(
        self, text: str, session_id: str = "default", *, turn: UserTurn | None = None, user: int | None = None
    ) -> Reply:
        """Answer one message. ``turn``: the message already understood (skips understanding);
        ``user``: the dataset user index to personalise for (evaluations)."""
        state, config = self._run(text, session_id, turn, user)
        with self._session_locks.hold(session_id), rollback_on_failure(self.checkpointer, session_id):
            result = self.graph.invoke(state, config, context=self.context)
        return result["reply"]

    async def achat(
        self, text: str, session_id: str = "default", *, turn: UserTurn | None = None, user: int | None = None
    ) -> Reply:
        """``chat`` in a worker thread (the graph's work is CPU-bound or blocking I/O)."""
        return await asyncio.to_thread(self.chat, text, session_id, turn=turn, user=user)

    def stream(
        self, text: str, session_id: str = "default", *, turn: UserTurn | None = None, user: int | None = None
    ) -> Iterator[str | Reply]:
        """The reply's text in pieces as it is produced, then the whole ``Reply``."""
        state, config = self._run(text, session_id, turn, user)
        final: dict[str, Any] | None = None
        with self._session_locks.hold(session_id), rollback_on_failure(self.checkpointer, session_id):
            for mode, chunk in self.graph.stream(
                state, config, context=self.context, stream_mode=["custom", "values"]
            ):
                if mode == "custom":
                    yield str(chunk)
                elif isinstance(chunk, dict):
                    final = chunk
            if final is None or final.get("reply") is None:
                raise CrsAgentError("the agent's graph ended without a reply")
        yield final["reply"]

    def respond(
        self, messages: Sequence[ChatMessage | Mapping[str, Any]], *, user: int | None = None
    ) -> ConversationReply:
        """Answer the last user message of a whole conversation (both roles, OpenAI-style dicts or
        ``ChatMessage``), statelessly: the reply and the agent's ranking at that point.

        Items an assistant message names count as shown, and what the user said about them as
        feedback. Nothing is stored; ``chat`` is the same agent with a session.
        """
        parsed = parse_messages(messages)
        history, text = split_last_user(parsed)
        turn_input, config = self._run(text, STATELESS_SESSION, None, user)
        # A very long history keeps its newest messages only (the limit bounds the replay's cost).
        memory, transcript = replay(self.runtime, history[-MAX_MESSAGES:])
        memory.user = user
        state: ReplayInput = {**turn_input, "memory": memory, "transcript": transcript}
        result = self.stateless_graph.invoke(state, config, context=self.context)
        reply: Reply = result["reply"]
        ids, scores = reply.trace.ranked_ids, reply.trace.ranked_scores
        catalog = self.catalog
        if not ids:
            ranked = rank_memory(self.runtime, result["memory"], STATELESS_SESSION)
            ids, scores = ranked.ids(catalog), ranked.to_lists()[1] or []
        ranking = [
            RankedItem(id=item_id, title=reading_title(catalog.get(item_id).title), score=score)
            for item_id, score in zip(ids, scores, strict=True)
        ]
        return ConversationReply(reply=reply, ranking=ranking)

    def feedback(self, session_id: str, item_id: str, liked: bool) -> Reply:
        """A like / dislike on a shown item (UI buttons): the same as saying it, without the NLU."""
        item = self.catalog.get(item_id)
        turn = (
            UserTurn(intent=Intent.FEEDBACK, accepted_items=[item.id])
            if liked
            else UserTurn(intent=Intent.FEEDBACK, rejected_items=[item.id])
        )
        text = f"I like {item.title}" if liked else f"Not {item.title}"
        return self.chat(text, session_id, turn=turn)

    def reset(self, session_id: str) -> None:
        """Forget a session entirely."""
        with self._session_locks.hold(_check_session(session_id)):
            self.checkpointer.delete_thread(session_id)

    def _values(self, session_id: str) -> dict[str, Any]:
        snapshot = self.graph.get_state({"configurable": {"thread_id": _check_session(session_id)}})
        return dict(snapshot.values) if snapshot.values else {}

    def history(self, session_id: str) -> list[tuple[str, str]]:
        """The session's exchanges so far, (user, agent) pairs (empty for an unknown session)."""
        return [(e["user"], e["agent"]) for e in self._values(session_id).get("transcript", [])]

    def last_reply(self, session_id: str) -> Reply | None:
        """The session's latest reply, if any."""
        return stored(Reply, self._values(session_id).get("reply"))
