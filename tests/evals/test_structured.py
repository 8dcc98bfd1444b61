from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from typing import ClassVar

import numpy as np
import pytest

from crsagent.evals.metrics import compute_metrics
from crsagent.evals.structured import CprProtocol, play_structured
from crsagent.knowledge_graph.graph import KnowledgeGraph
from crsagent.knowledge_graph.state import (
    Action,
    Ask,
    DialogueState,
    InvalidActionError,
    NegativeAnswers,
    Recommend,
)
from crsagent.simulators.base import Episode, Target
from crsagent.simulators.decisions import RuleTruth
from tests.knowledge_graph.tiny_data import tiny_dataset


class Scripted:
    """A policy that plays a fixed function of the state; records the states it saw."""

    name: ClassVar[str] = "scripted"

    def __init__(self, choose: Callable[[DialogueState], Action]) -> None:
        self.choose = choose
        self.seen: list[tuple[int, int]] = []

    def decide(self, state: DialogueState) -> Action:
        self.seen.append((state.turn, int(state.candidates.size)))
        return self.choose(state)

    def reflect(self, state: DialogueState, rejected: tuple[int, ...]) -> None:
        del state, rejected


class Liar(RuleTruth):
    """Says no to every question: under prune it can reject the target's own values."""

    def answer(self, value: int) -> bool:
        del value
        return False


@pytest.fixture(scope="module")
def kg() -> KnowledgeGraph:
    return KnowledgeGraph(tiny_dataset().catalog)


def play(
    kg: KnowledgeGraph,
    policy: Scripted,
    target: int,
    *,
    simulator: RuleTruth | None = None,
    mode: NegativeAnswers = "prune",
    seed: int = 0,
) -> Episode:
    return play_structured(
        kg,
        policy,
        simulator or RuleTruth(kg, target),
        Target(item_id=kg.catalog.at(target).id, user=0),
        index=0,
        protocol=CprProtocol(),
        negative_answers=mode,
        rng=np.random.default_rng(seed),
    )


def non_target_list(target: int, size: int = 10):  # type: ignore[no-untyped-def]
    """Lists that avoid the target while anything else is left, then the target."""
    return lambda state: Recommend(tuple(int(i) for i in state.candidates if i != target)[:size] or (target,))


def test_opening_names_a_value_of_the_target(kg: KnowledgeGraph) -> None:
    single = next(i for i in range(kg.n_items) if kg.values_per_item[i] == 1)
    only_value = kg.values[int(kg.item_values(single)[0])].key
    policy = Scripted(lambda state: Recommend((single,)))
    result = play(kg, policy, single)
    assert result.turns[0].user_text == only_value and result.turns[0].user_signal == "request"
    # The candidates after the opening are the items carrying that one value.
    assert policy.seen[0] == (0, int(kg.value_counts[kg.item_values(single)[0]]))
    assert result.success and result.success_turn == 1 and result.hit_rank == 1


def test_answers_are_yes_iff_the_target_has_the_value(kg: KnowledgeGraph) -> None:
    target = 4
    simulator = RuleTruth(kg, target)
    for value in range(kg.n_values):
        assert simulator.answer(value) == (value in kg.item_values(target).tolist())


def test_max_turns_means_fourteen_actions_and_a_failure_counts_fifteen(kg: KnowledgeGraph) -> None:
    target = 7
    policy = Scripted(lambda state: Recommend((int(next(i for i in state.candidates if i != target)),)))
    result = play(kg, policy, target)
    assert not result.success
    assert len(result.turns) == 14
    assert [t.decision for t in result.turns] == ["recommend"] * 14
    assert result.success_turn is None and result.end == "max_turns" and result.hit_rank is None
    assert compute_metrics([result], max_turns=15, sr_at=[15], recall_at=[]).at == 15


def test_rejected_lists_leave_the_candidates(kg: KnowledgeGraph) -> None:
    target = 9
    policy = Scripted(non_target_list(target, size=2))
    result = play(kg, policy, target)
    sizes = [size for _, size in policy.seen]
    # Each failed list of two leaves the candidates until only the target is left to show.
    assert all(b == a - 2 for a, b in itertools.pairwise(sizes) if a > 2)
    shown = [i for t in result.turns for i in t.shown_ids]
    assert [t.user_text for t in result.turns[1:]] == ["no"] * (len(result.turns) - 1)
    assert len(shown) == len(set(shown))
    assert result.success == (sizes[-1] == 1)


def test_target_in_position_ten_is_a_hit_at_rank_ten(kg: KnowledgeGraph) -> None:
    target = 12
    rock_items = kg.items_with(kg.item_values(target)[0])
    assert rock_items.size > 10

    def ten_with_target_last(state: DialogueState) -> Recommend:
        others = [int(i) for i in state.candidates if i != target][:9]
        return Recommend((*others, target))

    result = play(kg, Scripted(ten_with_target_last), target)
    assert result.success and result.hit_rank == 10 and result.success_turn == 1
    assert compute_metrics([result], max_turns=15, sr_at=[5], recall_at=[]).hdcg == pytest.approx(
        1 / math.log2(3) + (1 - 1 / math.log2(3)) / math.log2(11)
    )


def test_candidates_emptied_by_an_untruthful_user_end_the_episode(kg: KnowledgeGraph) -> None:
    # An opening value whose every carrier has another value too: saying no to all of those
    # other values removes every candidate (the target included).
    opening = next(v for v in range(kg.n_values) if (kg.values_per_item[kg.items_with(v)] > 1).all())
    target = int(kg.items_with(opening)[0])

    class LiarWithOpening(Liar):
        def opening(self, rng: np.random.Generator) -> list[int]:
            del rng
            return [opening]

    def ask_most_carried(state: DialogueState) -> Ask:
        counts = kg.value_mass(state.candidates, np.ones(state.candidates.size))
        counts[list(state.asked)] = -1
        return Ask(int(np.argmax(counts)))

    result = play(kg, Scripted(ask_most_carried), target, simulator=LiarWithOpening(kg, target))
    assert result.end == "no_candidates"
    assert not result.success and result.success_turn is None
    assert len(result.turns) < 14
    assert compute_metrics([result], max_turns=15, sr_at=[15], recall_at=[]).no_candidates == 1


def test_soft_no_keeps_the_candidates(kg: KnowledgeGraph) -> None:
    target = 3
    missing = next(v for v in range(kg.n_values) if v not in kg.item_values(target).tolist())

    def ask_once(state: DialogueState) -> Action:
        return Ask(missing) if state.turn == 0 else Recommend((target,))

    soft = Scripted(ask_once)
    play(kg, soft, target, mode="soft")
    assert soft.seen[0][1] == soft.seen[1][1]
    prune = Scripted(ask_once)
    play(kg, prune, target, mode="prune")
    assert prune.seen[1][1] < prune.seen[0][1]


def test_a_policy_breaking_the_protocol_is_stopped(kg: KnowledgeGraph) -> None:
    target = 5
    opening_value = None

    def repeat_opening(state: DialogueState) -> Ask:
        nonlocal opening_value
        opening_value = state.accepted[0]
        return Ask(state.accepted[0])

    with pytest.raises(InvalidActionError, match="already asked"):
        play(kg, Scripted(repeat_opening), target)
    outsider = int(np.setdiff1d(np.arange(kg.n_items), kg.items_with(kg.item_values(target)[0]))[0])
    with pytest.raises(InvalidActionError, match="not candidates"):
        play(kg, Scripted(lambda state: Recommend((outsider,))), target)
