"""Sessions under stress: concurrent turns of one session, bad session ids, turns that fail midway."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.base import CheckpointTuple
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.checkpoint.sqlite import SqliteSaver

from crsagent.agent import Agent, AgentInputError
from crsagent.agent.session_locks import SessionLocks
from crsagent.llm.protocol import ChatRequest
from crsagent.llm.testing import ScriptedChatModel


class SlowReadSaver(InMemorySaver):
    """A checkpointer whose reads take a while: two unserialised turns both read the old state."""

    def get_tuple(self, config: RunnableConfig) -> CheckpointTuple | None:
        found = super().get_tuple(config)
        time.sleep(0.05)
        return found


def test_concurrent_turns_of_one_session_are_all_kept(demo_agent: Agent) -> None:
    agent = Agent(demo_agent.runtime, SlowReadSaver())
    texts = [f"something by Billy Wilder, take {n}" for n in range(4)]
    errors: list[BaseException] = []

    def talk(text: str) -> None:
        try:
            agent.chat(text, "shared")
        except BaseException as error:  # noqa: BLE001 - reported by the assertion below
            errors.append(error)

    threads = [threading.Thread(target=talk, args=(text,)) for text in texts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(user for user, _ in agent.history("shared")) == sorted(texts)
    assert len(agent._session_locks) == 0  # no lock outlives its turns


def test_session_locks_are_forgotten_when_idle() -> None:
    locks = SessionLocks()
    for n in range(1000):
        with locks.hold(f"visitor-{n}"):
            assert len(locks) == 1
    assert len(locks) == 0


def test_session_locks_serialise_one_key() -> None:
    locks = SessionLocks()
    inside: list[int] = []
    overlaps: list[int] = []

    def work() -> None:
        with locks.hold("one"):
            inside.append(1)
            overlaps.append(len(inside))
            time.sleep(0.01)
            inside.pop()

    threads = [threading.Thread(target=work) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert overlaps == [1] * 6


@pytest.mark.parametrize("session_id", ["\ud800", "ann\udfffbob"])
def test_a_session_id_with_a_lone_surrogate_is_a_clear_error(demo_agent: Agent, session_id: str) -> None:
    with pytest.raises(AgentInputError, match="session_id is not valid Unicode text: a lone surrogate"):
        demo_agent.chat("a comedy", session_id)
    with pytest.raises(AgentInputError, match="lone surrogate"):
        demo_agent.history(session_id)


class NodeBrokeError(RuntimeError):
    """An unexpected failure inside a node (not an LLM error the agent falls back from)."""


def _plan_then_boom(plan_text: str) -> list[Any]:
    def boom(request: ChatRequest) -> str:
        del request
        raise NodeBrokeError("the reply node broke")

    return [plan_text, boom]


PLAN = '{"understanding": {"intent": "request", "accepted": [{"type": "genre", "value": "Comedy"}]}, "tool_calls": []}'


def _values(agent: Agent, sid: str) -> dict[str, Any]:
    snapshot = agent.graph.get_state({"configurable": {"thread_id": sid}})
    return dict(snapshot.values)


@pytest.mark.parametrize("storage", ["memory", "sqlite"])
def test_a_failed_turn_leaves_the_session_as_it_was(demo_agent: Agent, tmp_path: Path, storage: str) -> None:
    model = ScriptedChatModel([PLAN, "Here you go.", *_plan_then_boom(PLAN), PLAN, "Again."])
    runtime = replace(demo_agent.runtime, chat_model=model)
    saver = (
        InMemorySaver()
        if storage == "memory"
        else SqliteSaver(__import__("sqlite3").connect(tmp_path / "s.sqlite", check_same_thread=False))
    )
    agent = Agent(runtime, saver)
    agent.chat("a comedy please", "ann")
    before = _values(agent, "ann")
    history = agent.history("ann")
    with pytest.raises(NodeBrokeError):
        agent.chat("a funnier one", "ann")
    assert _values(agent, "ann") == before
    assert agent.history("ann") == history
    agent.chat("a comedy again", "ann")
    assert [user for user, _ in agent.history("ann")] == ["a comedy please", "a comedy again"]


def test_a_failed_first_turn_leaves_no_session(demo_agent: Agent) -> None:
    model = ScriptedChatModel(_plan_then_boom(PLAN))
    agent = Agent(replace(demo_agent.runtime, chat_model=model))
    with pytest.raises(NodeBrokeError):
        agent.chat("a comedy please", "new")
    assert _values(agent, "new") == {}
    assert agent.history("new") == []


def test_a_failed_streamed_turn_is_rolled_back(demo_agent: Agent) -> None:
    model = ScriptedChatModel([PLAN, "Fine.", *_plan_then_boom(PLAN)])
    agent = Agent(replace(demo_agent.runtime, chat_model=model))
    list(agent.stream("a comedy please", "s"))
    before = _values(agent, "s")
    consume: Callable[[], list[object]] = lambda: list(agent.stream("another", "s"))  # noqa: E731
    with pytest.raises(NodeBrokeError):
        consume()
    assert _values(agent, "s") == before
