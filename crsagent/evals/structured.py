"""Structured turns: the rule user and a knowledge-graph policy, with no agent or text between them.

This is the CPR benchmark's turn loop (EAR / SCPR / UNICORN, as the published code runs it), and
the configuration of the evaluation core that ``crsagent eval cpr`` runs: the user names one random
attribute value of the target (the opening, turn 1 of ``max_turns``); then the policy acts at most
``max_turns - 1`` times. Asking value v: the answer is yes iff the target carries v. Recommending a
list: success iff the target is in it, else the list leaves the candidates. ``success_turn`` is
t + 1 for a hit at the 0-based action t; a failure counts ``max_turns`` in AT. The episode is the
core's ``Episode`` record, so its metrics are the core's too.

Episode ``i`` draws every random number (the opening, a stochastic policy's coin) from a generator
seeded with ``(seed, i)``, so results do not depend on how many workers share the work.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from crsagent.evals.targets import EpisodeTarget
from crsagent.knowledge_graph.graph import KnowledgeGraph
from crsagent.knowledge_graph.policies.base import Policy
from crsagent.knowledge_graph.state import Ask, DialogueState, NegativeAnswers
from crsagent.simulators.base import EndReason, Episode, Signal, Target, TurnRecord
from crsagent.simulators.decisions import RuleTruth


class CprProtocol(BaseModel):
    """The benchmark's fixed numbers."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    max_turns: int = Field(default=15, ge=2, description="Turns per conversation, the opening included.")
    list_size: int = Field(default=10, ge=1, description="Items per recommended list.")

    @property
    def max_actions(self) -> int:
        """Agent actions: the opening takes the first turn."""
        return self.max_turns - 1


def episode_rng(seed: int, index: int) -> np.random.Generator:
    """The generator of episode ``index`` under run seed ``seed``."""
    return np.random.default_rng([seed, index])


_PER_TURN = (
    "user_text",
    "decision",
    "candidates",
    "latency_ms",
    "user_signal",
    "asked",
    "shown_ids",
    "ranked_ids",
)
# Every other field of a structured turn record: its plain default (LLM counts, leaks), shared.
_TURN_CONSTANTS: dict[str, Any] = {
    name: field.default
    for name, field in TurnRecord.model_fields.items()
    if name not in _PER_TURN and not field.is_required()
} | {"agent_text": ""}


def _turn(user_text: str, signal: Signal, candidates: int, latency_ms: float) -> TurnRecord:
    # model_construct with every field given: the values are typed here, and validating each of
    # the ~80k records of a full run (or letting pydantic inspect a default factory) costs more
    # than a policy turn. The action's fields are set by the caller.
    return TurnRecord.model_construct(
        None,
        user_text=user_text,
        decision="",
        candidates=candidates,
        latency_ms=latency_ms,
        user_signal=signal,
        asked=[],
        shown_ids=[],
        ranked_ids=[],
        **_TURN_CONSTANTS,
    )


def play_structured(
    kg: KnowledgeGraph,
    policy: Policy,
    truth: RuleTruth,
    target: Target,
    *,
    index: int,
    protocol: CprProtocol,
    negative_answers: NegativeAnswers,
    rng: np.random.Generator,
) -> Episode:
    """Play one conversation to its end; the policy's actions are checked against the protocol.

    Each turn record holds what the user said before the action (the opening's values, "yes" /
    "no" to a question, "no" to a list), the action (asked value or shown ids) and the candidates
    the policy saw.
    """
    opening = truth.opening(rng)
    state = DialogueState.open(
        kg,
        target.user,
        opening,
        max_actions=protocol.max_actions,
        list_size=protocol.list_size,
        negative_answers=negative_answers,
        rng=rng,
    )
    turns: list[TurnRecord] = []
    end: EndReason = "max_turns"
    rank: int | None = None
    said, signal = " ".join(kg.values[v].key for v in opening), "request"
    clock = time.perf_counter
    while state.turn < state.max_actions:
        if state.candidates.size == 0:
            # Only an untruthful user can empty the candidates (the rule user never rejects the
            # target): nothing is left to recommend, so the episode fails.
            end = "no_candidates"
            break
        started = clock()
        action = policy.decide(state)
        latency_ms = (clock() - started) * 1000.0
        state.check(kg, action)
        record = _turn(said, signal, int(state.candidates.size), latency_ms)
        turns.append(record)
        if isinstance(action, Ask):
            yes = truth.answer(action.value)
            record.decision, record.asked = "ask", [kg.values[action.value].key]
            said, signal = ("yes" if yes else "no"), "answer"
            state.answer(kg, action.value, yes)
        else:
            rank = truth.judge(action.items)
            record.decision, record.shown_ids = "recommend", [kg.catalog.at(i).id for i in action.items]
            if rank is not None:
                end = "success"
                break
            said, signal = "no", "reject"
            policy.reflect(state, action.items)
            state.reject_items(action.items)
        state.turn += 1
    success = end == "success"
    return Episode.model_construct(
        error=None,
        closing=None,
        accept_understood=None,
        episode=index,
        target=target,
        success=success,
        success_turn=len(turns) if success else None,
        hit_rank=rank if success else None,
        turns=turns,
        end=end,
    )


@dataclass
class StructuredWorld:
    """What structured episodes need: built once in the parent, shared by forked workers."""

    kg: KnowledgeGraph
    policy: Policy
    protocol: CprProtocol
    negative_answers: NegativeAnswers
    seed: int

    def play(self, job: EpisodeTarget) -> Episode:
        """One episode (the target's ``user`` is the dataset's user index)."""
        kg = self.kg
        return play_structured(
            kg,
            self.policy,
            RuleTruth(kg, kg.catalog.index_of(job.target.item_id)),
            job.target,
            index=job.index,
            protocol=self.protocol,
            negative_answers=self.negative_answers,
            rng=episode_rng(self.seed, job.index),
        )
