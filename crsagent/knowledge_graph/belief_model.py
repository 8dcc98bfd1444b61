"""What a policy needs from a preference model, and two models besides the fitted estimator.

Policies read a ``Belief`` over the candidates of a ``DialogueState`` and may reflect after a
rejected list. The fitted ``PreferenceEstimator`` is the main such model; ``CatalogPriorModel``
serves catalogs without interactions (the demo), where there is nothing to fit; ``ShiftedModel``
adds per-item evidence the state does not hold (items the user liked, a tool's ranking) to any of
them for one turn.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Protocol, runtime_checkable

import numpy as np
from numpy.typing import NDArray

from crsagent.knowledge_graph.belief import Belief
from crsagent.knowledge_graph.graph import KnowledgeGraph
from crsagent.knowledge_graph.state import DialogueState


@runtime_checkable
class BeliefModel(Protocol):
    """Scores the candidates of a conversation state."""

    kg: KnowledgeGraph

    def log_scores(self, state: DialogueState) -> NDArray[np.float64]:
        """Unnormalised log-probability of each candidate of ``state``."""
        ...

    def belief(self, state: DialogueState) -> Belief:
        """P(target = candidate) for every candidate of ``state``."""
        ...

    def reflect(self, state: DialogueState, rejected: tuple[int, ...], step: float) -> None:
        """Update the conversation's estimate after ``rejected`` was turned down."""
        ...


class CatalogPriorModel:
    """Popularity plus the answers so far, for a catalog with no interactions to learn from.

    log score = log(1 + popularity) + ``value_weight`` x (accepted values the item carries)
    - ``value_weight`` x (rejected values it carries). With no collaborative signal this is the
    honest prior: well-known items first, reordered by what the user said.
    """

    def __init__(self, kg: KnowledgeGraph, *, value_weight: float = 2.0) -> None:
        self.kg = kg
        self.value_weight = value_weight
        popularity = np.asarray([item.popularity for item in kg.catalog], dtype=np.float64)
        self.prior = np.log1p(np.maximum(popularity, 0.0))

    def log_scores(self, state: DialogueState) -> NDArray[np.float64]:
        per_value = np.zeros(self.kg.n_values)
        per_value[state.accepted] += self.value_weight
        per_value[state.rejected] -= self.value_weight
        candidates = state.candidates
        return self.prior[candidates] + self.kg.item_sums(candidates, per_value)

    def belief(self, state: DialogueState) -> Belief:
        return Belief(self.kg, state.candidates, self.log_scores(state))

    def reflect(self, state: DialogueState, rejected: tuple[int, ...], step: float) -> None:
        """No learned weights to move: the rejected list just leaves the candidates."""
        del state, rejected, step


class ShiftedModel:
    """``base`` plus a fixed per-item log-score shift (indexed by catalog index; None: none) for one
    turn. The last state's belief is kept: the policy and the reply that reads it compute it once."""

    def __init__(self, base: BeliefModel, shift: NDArray[np.float64] | None) -> None:
        if shift is not None and shift.shape != (base.kg.n_items,):
            raise ValueError(f"shift has shape {shift.shape}, expected ({base.kg.n_items},)")
        self.base = base
        self.kg = base.kg
        self.shift = shift
        self._last: tuple[DialogueState, Belief] | None = None

    def log_scores(self, state: DialogueState) -> NDArray[np.float64]:
        return self.belief(state).log_scores

    def belief(self, state: DialogueState) -> Belief:
        if self._last is not None and self._last[0] is state:
            return self._last[1]
        belief = self.base.belief(state)
        if self.shift is not None:  # the candidates' entries and counts do not depend on the scores
            scores = belief.log_scores + self.shift[belief.candidates]
            belief = replace(belief, log_scores=scores)
        self._last = (state, belief)
        return belief

    def reflect(self, state: DialogueState, rejected: tuple[int, ...], step: float) -> None:
        self._last = None
        self.base.reflect(state, rejected, step)
