"""The CPR rule user as a dialogue simulator: structured turns the agent takes as they are.

Each message carries ``SimulatorTurn.turn`` (the ``UserTurn`` the agent would have understood), so
the agent skips its NLU and the run measures the policy alone, as the structured CPR benchmark does;
the text is a plain rendering for logs. ``TemplateUser`` makes the same decisions and says them in
varied words instead.

Randomness is per episode: the generator is seeded from (seed, target id, target user), so an
episode replays identically whatever ran before it, and a template user with the same seed makes
exactly the rule user's decisions (the words come from a second, separate stream).
"""

from __future__ import annotations

import zlib

import numpy as np

from crsagent.agent.reply import Reply
from crsagent.knowledge_graph.graph import KnowledgeGraph
from crsagent.simulators.base import SimulatorTurn, Target
from crsagent.simulators.decisions import AcceptItem, CprDecider, Decision, structured_turn
from crsagent.simulators.phrasings import load_phrasings
from crsagent.simulators.render import Renderer

DECISION_STREAM = 0
WORDING_STREAM = 1


def episode_rng(seed: int, target: Target, stream: int) -> np.random.Generator:
    """A generator for one episode and one purpose (decisions or wording), independent of run order."""
    item = zlib.crc32(target.item_id.encode("utf-8"))
    user = -1 if target.user is None else target.user
    return np.random.default_rng([seed, stream, item, user + 1])


def catalog_domain(catalog_name: str) -> str:
    """``music`` for the Last.fm catalogs, ``movies`` otherwise: which nouns the user says."""
    name = catalog_name.lower()
    return "music" if "lastfm" in name or "music" in name else "movies"


class RuleUser:
    """Truthful about the target's values, accepts exactly the target; speaks in ``UserTurn``s."""

    structured = True

    def __init__(self, kg: KnowledgeGraph, *, seed: int = 0) -> None:
        self.kg = kg
        self.seed = seed
        self._renderer = Renderer(load_phrasings(), catalog_domain(kg.catalog.name), None)
        self._decider: CprDecider | None = None
        self._wording: np.random.Generator | None = None

    def start(self, target: Target) -> SimulatorTurn:
        self._decider = CprDecider(self.kg, target.item_id, episode_rng(self.seed, target, DECISION_STREAM))
        self._wording = episode_rng(self.seed, target, WORDING_STREAM)
        return self._message(self._decider.opening())

    def reply(self, agent_reply: Reply) -> SimulatorTurn:
        if self._decider is None:
            raise RuntimeError(f"{type(self).__name__}.reply() before start(): no target yet")
        return self._message(self._decider.react(agent_reply))

    def _words(self, decision: Decision) -> str:
        assert self._wording is not None
        return self._renderer.render(decision, self._wording)

    def _message(self, decision: Decision) -> SimulatorTurn:
        accepted = decision.item_id if isinstance(decision, AcceptItem) else None
        return SimulatorTurn(
            text=self._words(decision),
            turn=structured_turn(decision) if self.structured else None,
            accepted_item=accepted,
            done=accepted is not None,
            signal=decision.signal,
        )
