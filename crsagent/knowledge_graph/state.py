"""What a policy sees of a conversation, the two actions, and the rules that update the candidates.

The update rules are the CPR protocol's (DESIGN.md): a "yes" keeps the items carrying the value; a
"no" removes the items carrying it under ``prune`` and keeps them under ``soft`` (where only the
learned estimator may use the rejection); a rejected list leaves the candidates.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np
from numpy.typing import NDArray

from crsagent.errors import CrsAgentError
from crsagent.knowledge_graph.graph import KnowledgeGraph, ascending

NegativeAnswers = Literal["prune", "soft"]
NEGATIVE_ANSWER_MODES: tuple[NegativeAnswers, ...] = ("prune", "soft")


class InvalidActionError(CrsAgentError):
    """A policy chose an action the protocol does not allow (a repeated question, an empty list...)."""


@dataclass(frozen=True)
class Ask:
    """Ask whether the user wants attribute value ``value`` (a value id of the graph)."""

    value: int


@dataclass(frozen=True)
class Recommend:
    """Show these items (catalog indices), best first."""

    items: tuple[int, ...]


Action = Ask | Recommend


@dataclass
class DialogueState:
    """The policy's view of one conversation.

    ``candidates`` are catalog indices, ascending. ``turn`` counts agent actions so far (the opening
    is not an action); ``max_actions`` is the budget (14 in the CPR protocol, whose opening is turn 1
    of 15). ``weight_shift`` is the estimator's per-conversation reflection (None until a list is
    rejected); ``rng`` drives stochastic policies, seeded per episode so runs are reproducible.
    """

    user: int | None
    candidates: NDArray[np.int64]
    max_actions: int = 14
    list_size: int = 10
    negative_answers: NegativeAnswers = "prune"
    accepted: list[int] = field(default_factory=list)
    rejected: list[int] = field(default_factory=list)
    rejected_items: list[int] = field(default_factory=list)
    turn: int = 0
    failed_lists: int = 0
    weight_shift: NDArray[np.float64] | None = None
    rng: np.random.Generator = field(default_factory=lambda: np.random.default_rng(0))

    @classmethod
    def open(
        cls,
        kg: KnowledgeGraph,
        user: int | None,
        opening_values: list[int],
        *,
        max_actions: int = 14,
        list_size: int = 10,
        negative_answers: NegativeAnswers = "prune",
        rng: np.random.Generator | None = None,
    ) -> DialogueState:
        """The state after the user's opening: candidates are the items carrying every named value."""
        if negative_answers not in NEGATIVE_ANSWER_MODES:
            raise CrsAgentError(
                f"negative answers must be one of {NEGATIVE_ANSWER_MODES}, got {negative_answers!r}"
            )
        return cls(
            user=user,
            candidates=kg.items_with_all(opening_values),
            max_actions=max_actions,
            list_size=list_size,
            negative_answers=negative_answers,
            accepted=list(opening_values),
            rng=rng if rng is not None else np.random.default_rng(0),
        )

    @property
    def asked(self) -> set[int]:
        """Values whose answer is known (accepted or rejected)."""
        return {*self.accepted, *self.rejected}

    @property
    def actions_left(self) -> int:
        """Agent actions still allowed, this one included."""
        return self.max_actions - self.turn

    def answer(self, kg: KnowledgeGraph, value: int, yes: bool) -> None:
        """Apply the user's answer about ``value`` to the candidates."""
        if value in self.asked:
            raise InvalidActionError(f"value {kg.values[value].key!r} was already asked")
        carries = kg.has_value(self.candidates, value)
        if yes:
            self.accepted.append(value)
            self.candidates = self.candidates[carries]
        else:
            self.rejected.append(value)
            if self.negative_answers == "prune":
                self.candidates = self.candidates[~carries]

    def reject_items(self, items: tuple[int, ...]) -> None:
        """A list the user turned down leaves the candidates."""
        self.rejected_items.extend(items)
        self.failed_lists += 1
        rows, inside = self._positions(items)
        if ascending(self.candidates):
            # A binary search per shown item instead of a membership test over every candidate.
            self.candidates = np.delete(self.candidates, rows[inside])
        else:
            self.candidates = self.candidates[~np.isin(self.candidates, np.asarray(items, dtype=np.int64))]

    def _positions(self, items: tuple[int, ...]) -> tuple[NDArray[np.int64], NDArray[np.bool_]]:
        """Where each item would sit in the (ascending) candidates, and whether it is there: a
        binary search per item, not a set difference of thousands."""
        shown = np.asarray(items, dtype=np.int64)
        rows = np.searchsorted(self.candidates, shown)
        inside = rows < self.candidates.size
        inside[inside] = self.candidates[rows[inside]] == shown[inside]
        return rows, inside

    def check(self, kg: KnowledgeGraph, action: Action) -> None:
        """Raise ``InvalidActionError`` unless the protocol allows ``action`` now."""
        if isinstance(action, Ask):
            if not 0 <= action.value < kg.n_values:
                raise InvalidActionError(f"asked value id {action.value} is not in the graph")
            if action.value in self.asked:
                raise InvalidActionError(f"value {kg.values[action.value].key!r} was already asked")
            return
        items = action.items
        if not items:
            raise InvalidActionError("a recommendation needs at least one item")
        if len(items) > self.list_size:
            raise InvalidActionError(f"a list holds at most {self.list_size} items, got {len(items)}")
        if len(set(items)) != len(items):
            raise InvalidActionError("a recommended list repeats an item")
        inside = self._positions(items)[1].all()
        outside = [] if inside else np.setdiff1d(np.asarray(items, dtype=np.int64), self.candidates).tolist()
        if outside:
            raise InvalidActionError(f"recommended items {outside[:5]} are not candidates")
