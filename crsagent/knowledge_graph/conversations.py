"""Random conversation states around a known target, for fitting the estimator's weights.

A state is what the CPR protocol could produce for the target: the opening names one of its values
at random, then a few random questions about values the candidates carry are answered truthfully.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from crsagent.knowledge_graph.graph import KnowledgeGraph


@dataclass(frozen=True)
class SimulatedState:
    """Accepted and rejected values, and the candidates: items carrying every accepted value."""

    accepted: list[int]
    rejected: list[int]
    candidates: NDArray[np.int64]


def simulate_state(
    kg: KnowledgeGraph,
    target: int,
    rng: np.random.Generator,
    *,
    max_questions: int,
    prune: bool,
    max_counted: int | None = None,
) -> SimulatedState | None:
    """A state with 0..``max_questions`` random answered questions; None when the target has no value.

    With ``prune`` the items carrying a rejected value leave the candidates (the ``prune`` protocol);
    otherwise they stay, so a model can learn what a rejection says about them. ``max_counted``:
    when the candidates are more, which values split them is read from a uniform sample of that
    many (on a million-item catalog an opening value can leave a third of it; smaller candidate
    sets draw nothing extra from ``rng``, so their states are unchanged).
    """
    target_values = kg.item_values(target)
    if target_values.size == 0:
        return None
    opening = int(rng.choice(target_values))
    accepted = [opening]
    rejected: list[int] = []
    candidates = kg.items_with(opening).astype(np.int64)
    target_set = set(target_values.tolist())
    for _ in range(int(rng.integers(0, max_questions + 1))):
        counted = candidates
        if max_counted is not None and candidates.size > max_counted:
            counted = np.sort(rng.choice(candidates, size=max_counted, replace=False))
        counts = kg.value_mass(counted, np.ones(counted.size))
        splits = (counts > 0) & (counts < counted.size)
        splits[accepted + rejected] = False
        askable = np.flatnonzero(splits)
        if askable.size == 0:
            break
        value = int(rng.choice(askable))
        carries = kg.has_value(candidates, value)
        if value in target_set:
            accepted.append(value)
            candidates = candidates[carries]
        else:
            rejected.append(value)
            if prune:
                candidates = candidates[~carries]
    return SimulatedState(accepted, rejected, candidates)
