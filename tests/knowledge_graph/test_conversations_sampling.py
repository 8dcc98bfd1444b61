"""Simulated fitting states on large candidate sets: askable values read from a bounded sample."""

from __future__ import annotations

import numpy as np

from crsagent.knowledge_graph.conversations import simulate_state
from crsagent.knowledge_graph.graph import KnowledgeGraph

from .tiny_data import tiny_dataset


def _states(
    kg: KnowledgeGraph, max_counted: int | None, prune: bool
) -> list[tuple[list[int], list[int], list[int]]]:
    rng = np.random.default_rng(5)
    states = []
    for target in range(kg.n_items):
        state = simulate_state(kg, target, rng, max_questions=6, prune=prune, max_counted=max_counted)
        assert state is not None
        states.append((state.accepted, state.rejected, state.candidates.tolist()))
    return states


def test_a_bound_above_every_candidate_set_changes_no_state() -> None:
    kg = KnowledgeGraph.from_dataset(tiny_dataset(n_items=48))
    for prune in (True, False):
        assert _states(kg, 48, prune) == _states(kg, None, prune)


def test_sampled_counting_still_gives_states_the_target_could_produce() -> None:
    kg = KnowledgeGraph.from_dataset(tiny_dataset(n_items=240))
    states = _states(kg, 5, prune=True)
    assert states != _states(kg, None, prune=True)  # the sample did decide some questions
    for target, (accepted, rejected, candidates) in enumerate(states):
        target_values = set(kg.item_values(target).tolist())
        assert set(accepted) <= target_values and not set(rejected) & target_values
        assert target in candidates
        for item in candidates:  # every candidate carries the accepted values and no rejected one
            values = set(kg.item_values(item).tolist())
            assert set(accepted) <= values and not set(rejected) & values
