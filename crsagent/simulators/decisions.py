"""What the CPR rule user decides, whatever words it then uses: shared by ``RuleUser`` and ``TemplateUser``.

The truth is ``RuleTruth`` (the published CPR rule user, by catalog index), which the structured
benchmark (``crsagent.evals.structured``) plays directly, so it and these simulators can never
disagree about the target:

- opening: one random value of the target (none when the target has no values);
- a yes / no question: yes iff the target carries the value;
- a question offering several values: the offered values the target carries are accepted, the
  others rejected ("no" to all when it carries none);
- a list: accepted iff the target's id is in ``reply.items`` (by id, never by text); otherwise all
  of it is rejected.

The agent may also do something the CPR protocol has no action for (greet, "no match", answer an
item question): the user then names one more value of the target it has not named yet, chosen at
random ("nudge"), or asks for a recommendation when it has named them all. A CPR policy always asks
or recommends, so this never happens on the structured benchmark.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from crsagent.agent.reply import Reply
from crsagent.agent.turns import Intent, UserTurn, ValueRef
from crsagent.knowledge_graph.graph import AttributeValue, KnowledgeGraph, UnknownValueError
from crsagent.simulators.base import Signal


class RuleTruth:
    """The published rule user's answers about one target (catalog index): truthful about its values,
    accepts exactly the target."""

    def __init__(self, kg: KnowledgeGraph, target: int) -> None:
        self.target = target
        self.values = kg.item_values(target)
        self._value_set = set(self.values.tolist())

    def opening(self, rng: np.random.Generator) -> list[int]:
        """Value ids the user names first: one at random, as SCPR / UNICORN do.

        A target without values (possible outside crs-lastfm) opens with nothing, so the candidates
        are the catalog. ``values[integers(0, n)]`` is the draw ``rng.choice`` makes (same number,
        same stream after it) without choice's argument handling, which costs more than a policy turn.
        """
        return [int(self.values[rng.integers(0, self.values.size)])] if self.values.size else []

    def answer(self, value: int) -> bool:
        """Does the target carry ``value``?"""
        return value in self._value_set

    def judge(self, items: tuple[int, ...]) -> int | None:
        """1-based rank of the target in ``items``, or None when it is not there."""
        return items.index(self.target) + 1 if self.target in items else None


@dataclass(frozen=True)
class Open:
    """The opening: the values the user names first (one, or none for a target without values)."""

    signal: ClassVar[Signal] = "request"
    values: tuple[AttributeValue, ...]


@dataclass(frozen=True)
class AnswerQuestion:
    """An answer to the agent's question about ``attribute``."""

    signal: ClassVar[Signal] = "answer"
    attribute: str
    offered: tuple[str, ...]
    accepted: tuple[str, ...]
    rejected: tuple[str, ...]
    rejected_items: tuple[str, ...] = ()
    """Items shown alongside the question (without the target): turned down too."""

    @property
    def yes_no(self) -> bool:
        return len(self.offered) == 1


@dataclass(frozen=True)
class AcceptItem:
    """The target is in the list: the user takes it."""

    signal: ClassVar[Signal] = "accept"
    item_id: str
    rank: int
    """1-based position of the target in the shown list."""
    title: str


@dataclass(frozen=True)
class RejectItems:
    """A list without the target: all of it turned down."""

    signal: ClassVar[Signal] = "reject"
    item_ids: tuple[str, ...]


@dataclass(frozen=True)
class Nudge:
    """The agent neither asked nor recommended: the user names another target value (or none left)."""

    signal: ClassVar[Signal] = "request"
    value: AttributeValue | None


Decision = Open | AnswerQuestion | AcceptItem | RejectItems | Nudge


class CprDecider:
    """The rule user's decisions about one target, for one episode."""

    def __init__(self, kg: KnowledgeGraph, target_id: str, rng: np.random.Generator) -> None:
        self.kg = kg
        self.target_id = target_id
        self.target_index = kg.catalog.index_of(target_id)
        self.rng = rng
        self._rule = RuleTruth(kg, self.target_index)
        self._named: set[int] = set()

    def opening(self) -> Open:
        ids = self._rule.opening(self.rng)
        self._named.update(ids)
        return Open(tuple(self.kg.values[i] for i in ids))

    def react(self, reply: Reply) -> Decision:
        """What the user does about ``reply``: take the target, answer the question, reject, or nudge."""
        shown = tuple(item.id for item in reply.items)
        rank = self._rule.judge(tuple(self.kg.catalog.index_of(item_id) for item_id in shown))
        if rank is not None:
            return AcceptItem(self.target_id, rank, self.kg.catalog.at(self.target_index).title)
        if reply.question is not None:
            return self._answer(reply.question.attribute, tuple(reply.question.values), shown)
        if shown:
            return RejectItems(shown)
        return Nudge(self._unnamed_value())

    def _carries(self, attribute: str, value: str) -> bool:
        try:
            value_id = self.kg.value_id(AttributeValue(attribute, value))
        except UnknownValueError:
            return False  # a value the graph lacks cannot be one of the target's
        return self._rule.answer(value_id)

    def _answer(self, attribute: str, offered: tuple[str, ...], shown: tuple[str, ...]) -> AnswerQuestion:
        accepted = tuple(v for v in offered if self._carries(attribute, v))
        rejected = tuple(v for v in offered if v not in accepted)
        for value in accepted:
            self._named.add(self.kg.value_id(AttributeValue(attribute, value)))
        return AnswerQuestion(attribute, offered, accepted, rejected, shown)

    def _unnamed_value(self) -> AttributeValue | None:
        left = [int(v) for v in self._rule.values if int(v) not in self._named]
        if not left:
            return None
        chosen = left[int(self.rng.integers(len(left)))]
        self._named.add(chosen)
        return self.kg.values[chosen]


def _refs(attribute: str, values: tuple[str, ...]) -> list[ValueRef]:
    return [ValueRef(type=attribute, value=value) for value in values]


def structured_turn(decision: Decision) -> UserTurn:
    """The decision as the ``UserTurn`` the agent would have understood (the rule user's message)."""
    if isinstance(decision, AnswerQuestion):
        answer = None
        if decision.yes_no:
            answer = "yes" if decision.accepted else "no"
        elif not decision.accepted:
            answer = "no"
        return UserTurn(
            intent=Intent.ANSWER,
            answer=answer,
            accepted=_refs(decision.attribute, decision.accepted),
            rejected=_refs(decision.attribute, decision.rejected),
            rejected_items=list(decision.rejected_items),
        )
    if isinstance(decision, AcceptItem):
        return UserTurn(intent=Intent.FEEDBACK, accepted_items=[decision.item_id])
    if isinstance(decision, RejectItems):
        return UserTurn(intent=Intent.FEEDBACK, rejected_items=list(decision.item_ids))
    named = decision.values if isinstance(decision, Open) else (decision.value,) if decision.value else ()
    return UserTurn(intent=Intent.REQUEST, accepted=[ValueRef(type=v.type, value=v.value) for v in named])
