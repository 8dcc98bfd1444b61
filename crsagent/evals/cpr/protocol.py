"""One CPR episode: the rule simulator and the turn loop, as the published code runs them.

The user names one random attribute value of the target (the opening, turn 1 of ``max_turns``);
then the agent acts at most ``max_turns - 1`` times. Asking value v: the answer is yes iff the target
carries v. Recommending a list: success iff the target is in it, else the list leaves the
candidates. ``t`` is the 0-based index of the successful action; a failure counts ``max_turns``.
"""

from __future__ import annotations

from typing import Literal, Protocol

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from crsagent.knowledge_graph.graph import KnowledgeGraph
from crsagent.knowledge_graph.policies.base import Policy
from crsagent.knowledge_graph.state import Ask, DialogueState, NegativeAnswers


class CprProtocol(BaseModel):
    """The benchmark's fixed numbers."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    max_turns: int = Field(default=15, ge=2, description="Turns per conversation, the opening included.")
    list_size: int = Field(default=10, ge=1, description="Items per recommended list.")

    @property
    def max_actions(self) -> int:
        """Agent actions: the opening takes the first turn."""
        return self.max_turns - 1


class UserSimulator(Protocol):
    """Answers the agent about one target."""

    def opening(self, rng: np.random.Generator) -> list[int]:
        """Value ids the user names first."""
        ...

    def answer(self, value: int) -> bool:
        """Does the user want ``value``?"""
        ...

    def judge(self, items: tuple[int, ...]) -> int | None:
        """1-based rank of the target in ``items``, or None when it is not there."""
        ...


class RuleSimulator:
    """The published rule user: truthful about the target's values, accepts exactly the target."""

    def __init__(self, kg: KnowledgeGraph, target: int) -> None:
        self.target = target
        self.values = kg.item_values(target)
        self._value_set = set(self.values.tolist())

    def opening(self, rng: np.random.Generator) -> list[int]:
        # random.choice over the target's values, as SCPR / UNICORN do; a target without values
        # (possible outside crs-lastfm) opens with nothing, so the candidates are the catalog.
        # values[integers(0, n)] is the draw rng.choice makes (same number, same stream after it)
        # without choice's argument handling, which cost more than a turn of the policy.
        return [int(self.values[rng.integers(0, self.values.size)])] if self.values.size else []

    def answer(self, value: int) -> bool:
        return value in self._value_set

    def judge(self, items: tuple[int, ...]) -> int | None:
        return items.index(self.target) + 1 if self.target in items else None


class ActionRecord(BaseModel):
    """One agent action and the user's reaction."""

    model_config = ConfigDict(frozen=True)

    turn: int = Field(description="0-based action index t (the opening is not an action).")
    kind: Literal["ask", "recommend"] = Field(description="What the agent did.")
    candidates: int = Field(description="Candidates when the agent decided.")
    value: str | None = Field(default=None, description="Asked value as 'type:value'.")
    answer: bool | None = Field(default=None, description="The user's yes / no.")
    items: list[str] | None = Field(default=None, description="Recommended item ids, best first.")
    hit_rank: int | None = Field(
        default=None, description="1-based rank of the target in the list, if there."
    )


class EpisodeResult(BaseModel):
    """One episode's log line."""

    model_config = ConfigDict(frozen=True)

    index: int = Field(description="Position of the (user, target) pair in the split.")
    user: str = Field(description="External user id.")
    target: str = Field(description="External item id of the target.")
    opening: list[str] = Field(description="Values the user named first, as 'type:value'.")
    actions: list[ActionRecord] = Field(description="Agent actions in order.")
    success: bool = Field(description="The target was in a recommended list.")
    turns: int = Field(description="t + 1 for a success at action t; max_turns for a failure.")
    rank: int | None = Field(default=None, description="1-based rank of the target in the winning list.")
    end: Literal["success", "max_turns", "no_candidates"] = Field(description="Why the episode ended.")


def run_episode(
    kg: KnowledgeGraph,
    policy: Policy,
    simulator: UserSimulator,
    *,
    index: int,
    user: int | None,
    user_id: str,
    target_id: str,
    protocol: CprProtocol,
    negative_answers: NegativeAnswers,
    rng: np.random.Generator,
) -> EpisodeResult:
    """Play one conversation to its end; the policy's actions are checked against the protocol."""
    opening = simulator.opening(rng)
    state = DialogueState.open(
        kg,
        user,
        opening,
        max_actions=protocol.max_actions,
        list_size=protocol.list_size,
        negative_answers=negative_answers,
        rng=rng,
    )
    actions: list[ActionRecord] = []
    end: Literal["success", "max_turns", "no_candidates"] = "max_turns"
    rank: int | None = None
    while state.turn < state.max_actions:
        if state.candidates.size == 0:
            # Only an untruthful simulator can empty the candidates (the rule user never rejects
            # the target): nothing is left to recommend, so the episode fails.
            end = "no_candidates"
            break
        action = policy.decide(state)
        state.check(kg, action)
        t = state.turn
        before = int(state.candidates.size)
        if isinstance(action, Ask):
            yes = simulator.answer(action.value)
            # model_construct: the fields are built here from typed values; validating each of the
            # ~80k records of a full run costs more than a policy turn.
            actions.append(
                ActionRecord.model_construct(
                    turn=t, kind="ask", candidates=before, value=kg.values[action.value].key, answer=yes
                )
            )
            state.answer(kg, action.value, yes)
        else:
            rank = simulator.judge(action.items)
            ids = [kg.catalog.at(i).id for i in action.items]
            actions.append(
                ActionRecord.model_construct(
                    turn=t, kind="recommend", candidates=before, items=ids, hit_rank=rank
                )
            )
            if rank is not None:
                end = "success"
                break
            policy.reflect(state, action.items)
            state.reject_items(action.items)
        state.turn += 1
    success = end == "success"
    return EpisodeResult(
        index=index,
        user=user_id,
        target=target_id,
        opening=[kg.values[v].key for v in opening],
        actions=actions,
        success=success,
        turns=actions[-1].turn + 1 if success else protocol.max_turns,
        rank=rank if success else None,
        end=end,
    )
