"""The graph called directly (as LangGraph's tooling does): each run is one fresh turn, whatever the
previous one left, and the run context names a dataset and LLM instead of carrying a runtime."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from langgraph.checkpoint.memory import InMemorySaver
from pydantic import ValidationError

from crsagent.agent import Agent
from crsagent.agent.context import RUNTIMES, AgentContext, GraphContextError
from crsagent.agent.graph import compile_graph
from crsagent.agent.state import MAX_INPUT_CHARS, TurnInputError


@pytest.fixture(autouse=True)
def _demo_default(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("CRSAGENT_DEFAULT_DATASET", "demo")
    monkeypatch.delenv("CRSAGENT_LLM_MODEL", raising=False)
    RUNTIMES.clear()
    yield
    RUNTIMES.clear()


CONFIG: Any = {"configurable": {"thread_id": "ann"}}


def _sent(context: dict[str, str]) -> Any:
    """A context as LangGraph's server sends it: a plain dict (LangGraph makes the schema of it)."""
    return context


def test_each_run_starts_a_fresh_turn() -> None:
    graph = compile_graph(InMemorySaver())
    long = "I want a comedy" + " " * MAX_INPUT_CHARS
    first = graph.invoke({"text": long}, CONFIG)["reply"]
    second = graph.invoke({"text": "a horror film from the 1950s"}, CONFIG)["reply"]
    third = graph.invoke({"text": "a drama from the 1990s"}, CONFIG)["reply"]
    assert first.trace.notices == [f"message cut from {len(long)} to {MAX_INPUT_CHARS} characters"]
    assert second.trace.notices == [] and second.trace.relaxations
    assert third.trace.relaxations == [] and not third.text.startswith("Nothing matched")
    values = graph.get_state(CONFIG).values
    assert "text" not in values  # the message is gone with its turn
    assert [e["user"] for e in values["transcript"]] == [
        long[:MAX_INPUT_CHARS],
        "a horror film from the 1950s",
        "a drama from the 1990s",
    ]
    with pytest.raises(TurnInputError, match="text: Field required"):
        graph.invoke({"given_turn": {"intent": "restart"}}, CONFIG)


def test_a_given_turn_and_user_hold_for_their_run_only() -> None:
    graph = compile_graph(InMemorySaver())
    restart = graph.invoke({"text": "over", "given_turn": {"intent": "restart"}}, CONFIG)["reply"]
    assert restart.trace.decision == "restart"
    after = graph.invoke({"text": "a western"}, CONFIG)["reply"]
    assert after.trace.understood.intent == "request"
    with pytest.raises(TurnInputError, match="user: Input should be greater than or equal to 0"):
        graph.invoke({"text": "a comedy", "user": -1}, CONFIG)


def test_context_names_a_dataset_and_runtimes_are_built_once_and_bounded(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    graph = compile_graph(InMemorySaver())
    graph.invoke({"text": "a comedy"}, CONFIG, context=_sent({"dataset": "demo"}))
    built = RUNTIMES.get("demo", None)
    graph.invoke(
        {"text": "a comedy"}, {"configurable": {"thread_id": "bob"}}, context=_sent({"dataset": "demo"})
    )
    assert len(RUNTIMES) == 1 and RUNTIMES.get("demo", None) is built  # reused, not rebuilt
    graph.invoke({"text": "a western"}, CONFIG, context=_sent({"dataset": "demo", "llm": "offline"}))
    graph.invoke({"text": "thanks"}, CONFIG)  # no context: the configured default (demo here)
    assert len(RUNTIMES) == 2  # CRSAGENT_GRAPH_MAX_RUNTIMES' default: the least recently used went
    monkeypatch.setenv("CRSAGENT_GRAPH_MAX_RUNTIMES", "3")
    graph.invoke({"text": "a comedy"}, CONFIG, context=_sent({"dataset": "demo"}))
    assert len(RUNTIMES) == 3
    with pytest.raises(GraphContextError, match=re.escape("context.dataset 'ml-1m' is not served here")):
        graph.invoke({"text": "a comedy"}, CONFIG, context=_sent({"dataset": "ml-1m"}))
    with pytest.raises(
        GraphContextError, match=re.escape("context.llm 'openai:gpt-4o-mini' is not offered here")
    ):
        graph.invoke({"text": "a comedy"}, CONFIG, context=_sent({"llm": "openai:gpt-4o-mini"}))
    with pytest.raises(ValidationError, match="datset"):
        graph.invoke({"text": "a comedy"}, CONFIG, context=_sent({"datset": "demo"}))


def test_the_facade_context_carries_its_own_runtime() -> None:
    demo_runtime = Agent.from_dataset("demo", llm="offline").runtime
    graph = compile_graph(InMemorySaver())
    reply = graph.invoke({"text": "a comedy"}, CONFIG, context=AgentContext.holding(demo_runtime))["reply"]
    assert reply.trace.candidates_before == len(demo_runtime.dataset.catalog)
    assert len(RUNTIMES) == 0  # nothing built from settings
