from __future__ import annotations

import numpy as np
import pytest

from crsagent.errors import CrsAgentError
from crsagent.knowledge_graph.graph import KnowledgeGraph
from crsagent.knowledge_graph.state import Ask, DialogueState, InvalidActionError, Recommend
from tests.knowledge_graph.tiny_data import tiny_dataset


@pytest.fixture(scope="module")
def kg() -> KnowledgeGraph:
    return KnowledgeGraph(tiny_dataset().catalog)


def test_opening_keeps_the_items_with_the_named_value(kg: KnowledgeGraph) -> None:
    rock = kg.value_id("tag:rock")
    state = DialogueState.open(kg, 0, [rock])
    assert state.candidates.tolist() == kg.items_with(rock).tolist()
    assert state.accepted == [rock]
    assert state.actions_left == 14
    with pytest.raises(CrsAgentError, match="negative answers must be one of"):
        DialogueState.open(kg, 0, [rock], negative_answers="ignore")  # type: ignore[arg-type]


@pytest.mark.parametrize("mode", ["prune", "soft"])
def test_answers_update_the_candidates(kg: KnowledgeGraph, mode: str) -> None:
    rock, pop, jazz = kg.value_id("tag:rock"), kg.value_id("tag:pop"), kg.value_id("tag:jazz")
    state = DialogueState.open(kg, 0, [rock], negative_answers=mode)  # type: ignore[arg-type]
    state.answer(kg, pop, yes=True)
    with_both = np.intersect1d(kg.items_with(rock), kg.items_with(pop))
    assert state.candidates.tolist() == with_both.tolist()
    state.answer(kg, jazz, yes=False)
    if mode == "prune":
        assert state.candidates.tolist() == np.setdiff1d(with_both, kg.items_with(jazz)).tolist()
    else:
        assert state.candidates.tolist() == with_both.tolist()
    assert state.rejected == [jazz]
    with pytest.raises(InvalidActionError, match="'tag:jazz' was already asked"):
        state.answer(kg, jazz, yes=True)


def test_a_rejected_list_leaves_the_candidates(kg: KnowledgeGraph) -> None:
    state = DialogueState.open(kg, 0, [kg.value_id("tag:rock")])
    shown = tuple(int(i) for i in state.candidates[:3])
    state.reject_items(shown)
    assert not set(shown) & set(state.candidates.tolist())
    assert state.failed_lists == 1
    assert state.rejected_items == list(shown)


def test_the_protocol_refuses_bad_actions(kg: KnowledgeGraph) -> None:
    rock = kg.value_id("tag:rock")
    state = DialogueState.open(kg, 0, [rock], list_size=3)
    candidates = [int(i) for i in state.candidates]
    outsider = int(np.setdiff1d(np.arange(kg.n_items), state.candidates)[0])
    state.check(kg, Ask(kg.value_id("tag:pop")))
    state.check(kg, Recommend(tuple(candidates[:3])))
    cases = [
        (Ask(rock), "already asked"),
        (Ask(kg.n_values), "not in the graph"),
        (Recommend(()), "at least one item"),
        (Recommend(tuple(candidates[:4])), "at most 3 items"),
        (Recommend((candidates[0], candidates[0])), "repeats an item"),
        (Recommend((outsider,)), "are not candidates"),
    ]
    for action, message in cases:
        with pytest.raises(InvalidActionError, match=message):
            state.check(kg, action)
