"""Metrics of hand-made episodes, where each number can be worked out by hand."""

from __future__ import annotations

import math

import pytest

from crsagent.evals.metrics import EvalMetrics, compute_metrics, hdcg
from crsagent.simulators.base import Episode
from tests.evals.eval_helpers import episode, turn


def metrics(episodes: list[Episode], max_turns: int = 6) -> EvalMetrics:
    return compute_metrics(episodes, max_turns=max_turns, sr_at=[2, 6], recall_at=[1, 2, 50])


def test_sr_at_and_hdcg_follow_the_cpr_definitions() -> None:
    # Hits at turns 1 and 4 (ranks 1 and 3), one miss after 6 turns, one miss after 2 (the user quit).
    result = metrics(
        [episode(0, hit_at=1), episode(1, hit_at=4, rank=3), episode(2, played=6), episode(3, played=2)]
    )
    assert result.n_episodes == 4 and result.n_errors == 0
    assert result.sr == {2: 0.25, 6: 0.5}
    # A failure counts max_turns, however early it ended.
    assert result.at == pytest.approx((1 + 4 + 6 + 6) / 4)
    assert result.hdcg == pytest.approx((hdcg(1, 1) + hdcg(4, 3)) / 4)
    assert result.hdcg == pytest.approx(
        (1.0 + 1 / math.log2(6) + (1 / math.log2(5) - 1 / math.log2(6)) / 2) / 4
    )
    assert result.sr_by_turn == [0.25, 0.25, 0.25, 0.5, 0.5, 0.5]
    assert result.turns_success == [1, 0, 0, 1, 0, 0] and result.turns_failure == [0, 1, 0, 0, 0, 1]
    record = result.record()
    assert list(record)[:4] == ["SR@2", "SR@6", "AT", "hDCG"] and record["Recall@50"] == 0.0


def test_recall_reads_the_ranked_list_at_any_turn_and_after_the_opening() -> None:
    first = episode(0, item="t", turns=[turn(ranked=["a", "t"]), turn(ranked=["t"])])
    later = episode(1, item="t", turns=[turn(ranked=["a", "b"]), turn(ranked=["b", "t"])])
    never = episode(2, item="t", turns=[turn(ranked=["a"])])
    result = metrics([first, later, never])
    assert result.recall == {1: pytest.approx(1 / 3), 2: pytest.approx(2 / 3), 50: pytest.approx(2 / 3)}
    assert result.recall_first_turn == {1: 0.0, 2: pytest.approx(1 / 3), 50: pytest.approx(1 / 3)}


def test_costs_leaks_and_out_of_catalog_items() -> None:
    turns = [
        turn("recommend", shown=["a", "b", "c"], dropped_titles=1, llm_calls=2, prompt_tokens=100,
             completion_tokens=10, latency_ms=30.0, simulator_llm_calls=1, leaked=True),
        turn("ask", llm_calls=1, prompt_tokens=50, completion_tokens=4, latency_ms=10.0, simulator_llm_calls=1),
    ]  # fmt: skip
    result = metrics([episode(0, turns=turns), episode(1, turns=[turn(latency_ms=20.0)])])
    assert result.out_of_catalog_rate == pytest.approx(1 / 4)
    assert result.leak_rate == pytest.approx(1 / 3) and result.episodes_with_leak == 0.5
    assert result.agent_llm_calls_per_turn == 1.0 and result.simulator_llm_calls_per_turn == pytest.approx(
        2 / 3
    )
    assert result.prompt_tokens_per_turn == 50.0 and result.completion_tokens_per_turn == pytest.approx(
        14 / 3
    )
    assert result.latency_ms_mean == 20.0 and result.latency_ms_p50 == 20.0
    assert (result.mean_questions, result.mean_lists, result.mean_turns) == (1.0, 0.5, 1.5)


def test_failed_to_run_episodes_are_counted_apart() -> None:
    result = metrics([episode(0, hit_at=2), episode(1, error="Traceback...\nRuntimeError: boom", turns=[])])
    assert result.n_episodes == 1 and result.n_errors == 1 and result.sr[2] == 1.0
    with pytest.raises(ValueError, match="no episode ran to an end"):
        metrics([episode(0, error="boom", turns=[])])


def test_the_cpr_benchmark_figures_of_hand_computed_episodes() -> None:
    # Asks then a winning list at action t = 0 (rank 1), 4 (rank 3), 9 (rank 10), 13 (rank 2); one
    # failure after 14 actions. SR@k counts t < k; AT counts a failure as 15.
    def cpr(index: int, hit_at: int | None, rank: int = 1) -> Episode:
        actions = hit_at or 14
        turns = [turn("ask") for _ in range(actions - 1)] + [turn("recommend", shown=["t"])]
        return episode(index, hit_at=hit_at, rank=rank, turns=turns)

    episodes = [cpr(0, 1, 1), cpr(1, 5, 3), cpr(2, 10, 10), cpr(3, 14, 2), cpr(4, None)]
    result = compute_metrics(episodes, max_turns=15, sr_at=[5, 10, 15], recall_at=[])
    assert result.n_episodes == 5
    assert result.sr == pytest.approx({5: 2 / 5, 10: 3 / 5, 15: 4 / 5})
    assert result.at == pytest.approx((1 + 5 + 10 + 14 + 15) / 5)

    def h(turn: int, rank: int) -> float:
        return 1 / math.log2(turn + 2) + (1 / math.log2(turn + 1) - 1 / math.log2(turn + 2)) / math.log2(
            rank + 1
        )

    assert result.hdcg == pytest.approx((h(1, 1) + h(5, 3) + h(10, 10) + h(14, 2)) / 5)
    assert result.sr_by_turn[0] == pytest.approx(1 / 5) and result.sr_by_turn[4] == pytest.approx(2 / 5)
    assert len(result.sr_by_turn) == 15 and result.sr_by_turn[-1] == pytest.approx(4 / 5)
    assert result.mean_lists == pytest.approx(1.0)
    assert result.mean_questions == pytest.approx((0 + 4 + 9 + 13 + 13) / 5)
    record = result.record()
    assert list(record)[:5] == ["SR@5", "SR@10", "SR@15", "AT", "hDCG"]
    assert not any(key.startswith("Recall@") for key in record)


def test_hdcg_needs_a_turn_and_a_rank() -> None:
    # T = t + 1; 1/log2(T+2) + (1/log2(T+1) - 1/log2(T+2)) / log2(k+1)
    assert hdcg(1, 1) == pytest.approx(1.0)
    assert hdcg(3, 4) == pytest.approx(
        1 / math.log2(5) + (1 / math.log2(4) - 1 / math.log2(5)) / math.log2(5)
    )
    with pytest.raises(ValueError, match="rank >= 1"):
        hdcg(2, 0)
