"""The agent pool is bounded (LRU) and never builds one pair twice at once, nor stalls other pairs."""

from __future__ import annotations

import threading

import pytest

from crsagent.agent.pool import AgentPool
from crsagent.ui.sessions import ChatAgent


class _Built:
    """Stands for an agent: the pool only stores and hands back what the factory built."""

    def __init__(self, dataset: str, llm: str | None) -> None:
        self.key = (dataset, llm)


def _factory(built: list[tuple[str, str | None]]):
    def build(dataset: str, llm: str | None) -> ChatAgent:
        built.append((dataset, llm))
        return _Built(dataset, llm)  # type: ignore[return-value]

    return build


def test_a_visitor_trying_many_llm_strings_keeps_at_most_max_agents() -> None:
    built: list[tuple[str, str | None]] = []
    pool = AgentPool(_factory(built), max_agents=3)
    for index in range(100):
        pool.get("demo", f"openai:model-{index}")
    assert len(pool.keys()) == 3 and pool.keys() == [("demo", f"openai:model-{i}") for i in (97, 98, 99)]
    assert pool.builds == 100


def test_the_least_recently_used_agent_goes_first_and_comes_back_rebuilt() -> None:
    built: list[tuple[str, str | None]] = []
    pool = AgentPool(_factory(built), max_agents=2)
    first = pool.get("demo", None)
    pool.get("other", None)
    assert pool.get("demo", None) is first  # used again: now the most recent
    pool.get("third", None)  # drops "other", the least recently used
    assert pool.keys() == [("demo", None), ("third", None)]
    assert pool.get("other", None) is not None and built.count(("other", None)) == 2


def test_max_agents_must_be_positive() -> None:
    with pytest.raises(ValueError, match="max_agents must be at least 1, got 0"):
        AgentPool(_factory([]), max_agents=0)


def test_a_slow_build_does_not_stall_other_pairs() -> None:
    """While one pair builds (minutes on a large dataset), an agent already built is handed out."""
    release = threading.Event()
    started = threading.Event()

    def factory(dataset: str, llm: str | None) -> ChatAgent:
        if dataset == "slow":
            started.set()
            assert release.wait(30), "the test never released the slow build"
        return _Built(dataset, llm)  # type: ignore[return-value]

    pool = AgentPool(factory, max_agents=4)
    ready = pool.get("demo", None)
    slow = threading.Thread(target=pool.get, args=("slow", None))
    slow.start()
    assert started.wait(30)
    got: list[ChatAgent] = []
    reader = threading.Thread(target=lambda: got.append(pool.get("demo", None)))
    reader.start()
    reader.join(timeout=30)
    still_building = slow.is_alive()
    release.set()
    slow.join()
    assert got == [ready] and still_building  # served while the slow build was still running
