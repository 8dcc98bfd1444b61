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
from typing import Any, TypeVar

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


Record = TypeVar("Record", bound=BaseModel)


def trusted(cls: type[Record], fields: dict[str, Any]) -> Record:
    """``cls.model_construct(**fields)`` for a dict holding every field, in field order, without
    model_construct's per-field work: the values are typed by the code that builds them, and a full
    run builds ~100k records, where validating (or even model_construct) costs about a policy turn."""
    record = cls.__new__(cls)
    object.__setattr__(record, "__dict__", fields)
    object.__setattr__(record, "__pydantic_fields_set__", set(fields))
    object.__setattr__(record, "__pydantic_extra__", None)
    object.__setattr__(record, "__pydantic_private__", None)
    return record


def _template(cls: type[BaseModel]) -> dict[str, Any]:
    """Every field of ``cls`` in order with its default (a factory's value is built once and shared:
    the fields a structured run fills with lists are always set per record)."""
    return {name: field.get_default(call_default_factory=True) for name, field in cls.model_fields.items()}


# A structured turn leaves the agent's text, LLM counts and leaks at their defaults.
_TURN = _template(TurnRecord) | {"agent_text": ""}
_EPISODE = _template(Episode)


def _turn(
    said: str,
    signal: Signal,
    candidates: int,
    latency_ms: float,
    decision: str,
    asked: list[str],
    shown: list[str],
) -> TurnRecord:
    fields = _TURN.copy()
    fields["user_text"], fields["user_signal"], fields["candidates"] = said, signal, candidates
    fields["latency_ms"], fields["decision"], fields["asked"] = latency_ms, decision, asked
    fields["shown_ids"], fields["ranked_ids"] = shown, []
    return trusted(TurnRecord, fields)


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
    clock, at = time.perf_counter, kg.catalog.at
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
        candidates = int(state.candidates.size)
        if isinstance(action, Ask):
            yes = truth.answer(action.value)
            turns.append(
                _turn(said, signal, candidates, latency_ms, "ask", [kg.values[action.value].key], [])
            )
            said, signal = ("yes" if yes else "no"), "answer"
            state.answer(kg, action.value, yes)
        else:
            rank = truth.judge(action.items)
            shown = [at(i).id for i in action.items]
            turns.append(_turn(said, signal, candidates, latency_ms, "recommend", [], shown))
            if rank is not None:
                end = "success"
                break
            said, signal = "no", "reject"
            policy.reflect(state, action.items)
            state.reject_items(action.items)
        state.turn += 1
    success = end == "success"
    fields = _EPISODE.copy()
    fields["episode"], fields["target"], fields["success"], fields["turns"] = index, target, success, turns
    fields["success_turn"] = len(turns) if success else None
    fields["hit_rank"], fields["end"] = (rank if success else None), end
    return trusted(Episode, fields)


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
