"""Agents (or their runtimes) built per (dataset, LLM), at most ``max_agents`` of them (LRU): the
UI's agents and the runtimes a LangGraph server builds for a run's context.

An agent holds its dataset's graph and models (~600 MB on ml-latest-small), so the pool is bounded:
past ``max_agents`` the least recently used agent is dropped. Its sessions are not lost (they live in
the shared SQLite checkpointer); the next turn on it builds the agent again. A turn already running
keeps its own reference and finishes. Builds of different pairs run side by side; two tabs asking
for the same pair wait for one build.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Generic, TypeVar

Key = tuple[str, str | None]
Built = TypeVar("Built", covariant=True)


class AgentPool(Generic[Built]):
    """At most ``max_agents`` agents, built on first use and shared by every session. ``max_agents``
    may be a function: the limit is then read at each build (from the environment, say)."""

    def __init__(
        self, factory: Callable[[str, str | None], Built], *, max_agents: int | Callable[[], int] = 3
    ) -> None:
        if isinstance(max_agents, int) and max_agents < 1:
            raise ValueError(f"max_agents must be at least 1, got {max_agents}")
        self._factory = factory
        self.max_agents = max_agents
        self._agents: OrderedDict[Key, Built] = OrderedDict()
        self._building: dict[Key, threading.Lock] = {}
        self._lock = threading.Lock()
        self.builds = 0  # agents built so far (a dropped one built again counts again)

    def get(self, dataset: str, llm: str | None) -> Built:
        """The agent for the pair, building it when needed (a failed build is not kept)."""
        key = (dataset, llm)
        with self._lock:
            agent = self._agents.get(key)
            if agent is not None:
                self._agents.move_to_end(key)
                return agent
            build_lock = self._building.setdefault(key, threading.Lock())
        # Outside the pool lock: a minute-long build of one pair must not stall the others.
        with build_lock:
            with self._lock:
                agent = self._agents.get(key)
                if agent is not None:  # built by the tab that held the build lock first
                    self._agents.move_to_end(key)
                    return agent
            try:
                agent = self._factory(dataset, llm)
            finally:
                with self._lock:  # built or failed: no lock left behind per string a visitor tried
                    self._building.pop(key, None)
            with self._lock:
                self.builds += 1
                self._agents[key] = agent
                limit = self.max_agents() if callable(self.max_agents) else self.max_agents
                while len(self._agents) > limit:
                    self._agents.popitem(last=False)
            return agent

    def keys(self) -> list[Key]:
        """The pairs built now, least recently used first."""
        with self._lock:
            return list(self._agents)

    def clear(self) -> None:
        with self._lock:
            self._agents.clear()

    def __len__(self) -> int:
        return len(self._agents)
