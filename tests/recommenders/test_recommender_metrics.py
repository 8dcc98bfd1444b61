"""Ranking metrics with their tie rule, and the time-ordered user sequences."""

from __future__ import annotations

import numpy as np
import pytest

from crsagent.data.interactions import Interactions
from crsagent.recommenders import Popularity, evaluate_model, evaluate_scores, user_sequences
from crsagent.recommenders.metrics import ndcg_at, recall_at, target_ranks


def test_ranks_skip_excluded_items_and_break_ties_by_lower_index() -> None:
    scores = np.array([0.9, 0.5, 0.5, 0.7, 0.5])
    # Item 3 is excluded; item 2 ties with 1 (lower index, ahead) and 4 (behind).
    np.testing.assert_array_equal(target_ranks(scores, np.array([2]), np.array([3])), [3])
    np.testing.assert_array_equal(
        target_ranks(scores, np.array([0, 4]), np.array([], dtype=np.int64)), [1, 5]
    )


def test_a_target_inside_the_exclusions_is_an_error() -> None:
    with pytest.raises(ValueError, match=r"targets \[1\]"):
        target_ranks(np.zeros(3), np.array([1]), np.array([1]))


def test_single_target_metrics_are_hit_and_discounted_gain() -> None:
    assert recall_at(np.array([3]), 10) == 1.0
    assert recall_at(np.array([11]), 10) == 0.0
    assert ndcg_at(np.array([1]), 10) == 1.0
    assert ndcg_at(np.array([3]), 10) == pytest.approx(0.5)
    assert ndcg_at(np.array([11]), 10) == 0.0


def test_several_targets_are_normalised_by_the_ideal_ranking() -> None:
    assert recall_at(np.array([1, 30]), 10) == 0.5
    ideal = 1 + 1 / np.log2(3)
    assert ndcg_at(np.array([1, 3]), 10) == pytest.approx((1 + 0.5) / ideal)
    assert ndcg_at(np.array([1, 2]), 10) == pytest.approx(1.0)


def test_evaluate_scores_per_user() -> None:
    scores = np.array([[0.1, 0.9, 0.5], [0.3, 0.2, 0.1]])
    metrics = evaluate_scores(
        scores, [np.array([2]), np.array([2])], [np.array([1]), np.array([0])], cutoffs=(1,)
    )
    np.testing.assert_array_equal(metrics["recall@1"], [1.0, 0.0])
    np.testing.assert_allclose(metrics["ndcg@1"], [1.0, 0.0])
    with pytest.raises(ValueError, match="2 score rows, 1 target lists"):
        evaluate_scores(scores, [np.array([2])], [np.array([1])])


def test_evaluate_model_scores_in_batches_and_excludes_histories() -> None:
    train = Interactions.from_pairs(["a", "b", "c"], [(0, 0), (1, 0), (2, 0), (0, 1), (1, 1), (2, 2)])
    model = Popularity().fit(train, 4)
    histories = [np.array([0]), np.array([0, 1]), np.array([], dtype=np.int64)]
    targets = [np.array([1]), np.array([2]), np.array([3])]
    metrics = evaluate_model(model, histories, targets, cutoffs=(1, 2), batch_size=2)
    # Popularity order 0 > 1 > 2 > 3; each user's history is skipped.
    np.testing.assert_array_equal(metrics["recall@1"], [1.0, 1.0, 0.0])
    np.testing.assert_array_equal(metrics["recall@2"], [1.0, 1.0, 0.0])


def test_sequences_follow_timestamps_and_keep_file_order_on_ties() -> None:
    events = Interactions(
        ("a", "b"),
        np.array([0, 1, 0, 0, 1], dtype=np.int32),
        np.array([5, 6, 7, 8, 9], dtype=np.int32),
        timestamps=np.array([30, 1, 10, 30, 0], dtype=np.int64),
    )
    sequences = user_sequences(events)
    assert sequences[0].tolist() == [7, 5, 8]
    assert sequences[1].tolist() == [9, 6]
    untimed = Interactions.from_pairs(["a"], [(0, 3), (0, 1), (0, 2)])
    assert user_sequences(untimed)[0].tolist() == [3, 1, 2]
    assert user_sequences(untimed.subset(np.zeros(3, dtype=bool))) == {}
