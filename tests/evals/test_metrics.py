from __future__ import annotations

import math

import pytest

from crsagent.evals.cpr.metrics import compute_metrics
from crsagent.evals.cpr.protocol import ActionRecord, EpisodeResult


def episode(index: int, success_turn: int | None, rank: int | None = None) -> EpisodeResult:
    """An episode of asks followed by a winning list at action ``success_turn - 1`` (or a failure)."""
    n_actions = success_turn if success_turn is not None else 14
    actions = [
        ActionRecord(turn=t, kind="ask", candidates=100, value="tag:x", answer=True)
        for t in range(n_actions - 1)
    ]
    actions.append(
        ActionRecord(turn=n_actions - 1, kind="recommend", candidates=10, items=["a"], hit_rank=rank)
    )
    success = success_turn is not None
    return EpisodeResult(
        index=index,
        user="u",
        target="a",
        opening=["tag:y"],
        actions=actions,
        success=success,
        turns=success_turn if success else 15,
        rank=rank if success else None,
        end="success" if success else "max_turns",
    )


def test_metrics_of_hand_computed_episodes() -> None:
    # Successes at t = 0 (rank 1), t = 4 (rank 3), t = 9 (rank 10), t = 13 (rank 2); one failure.
    episodes = [episode(0, 1, 1), episode(1, 5, 3), episode(2, 10, 10), episode(3, 14, 2), episode(4, None)]
    metrics = compute_metrics(episodes)
    assert metrics.n_episodes == 5
    assert metrics.sr5 == pytest.approx(2 / 5)  # t < 5: t = 0 and t = 4
    assert metrics.sr10 == pytest.approx(3 / 5)  # t < 10 adds t = 9
    assert metrics.sr15 == pytest.approx(4 / 5)
    assert metrics.at == pytest.approx((1 + 5 + 10 + 14 + 15) / 5)

    def h(turn: int, rank: int) -> float:
        return 1 / math.log2(turn + 2) + (1 / math.log2(turn + 1) - 1 / math.log2(turn + 2)) / math.log2(
            rank + 1
        )

    assert metrics.hdcg == pytest.approx((h(1, 1) + h(5, 3) + h(10, 10) + h(14, 2)) / 5)
    assert metrics.sr_by_turn[0] == pytest.approx(1 / 5)
    assert metrics.sr_by_turn[4] == pytest.approx(2 / 5)
    assert metrics.sr_by_turn[-1] == pytest.approx(4 / 5)
    assert len(metrics.sr_by_turn) == 15
    assert metrics.mean_lists == pytest.approx(1.0)
    assert metrics.mean_questions == pytest.approx((0 + 4 + 9 + 13 + 13) / 5)


def test_metric_keys_are_the_published_names() -> None:
    dumped = compute_metrics([episode(0, 2, 1)]).model_dump(by_alias=True)
    assert {"SR@5", "SR@10", "SR@15", "AT", "hDCG", "n_episodes"} <= set(dumped)


def test_no_episodes_is_an_error() -> None:
    with pytest.raises(ValueError, match="no episodes"):
        compute_metrics([])
