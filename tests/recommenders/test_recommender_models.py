"""Popularity, item-kNN and EASE on data small enough to check by hand."""

from __future__ import annotations

import numpy as np
import pytest

from crsagent.data.interactions import Interactions
from crsagent.errors import CrsAgentError
from crsagent.recommenders import EASE, EASEConfig, ItemKNN, ItemKNNConfig, Popularity
from crsagent.recommenders.ease import ease_weights


def _three_users() -> Interactions:
    """u0 {0, 1}, u1 {0, 1, 2}, u2 {2}; item 3 exists in the catalog but nobody has it."""
    return Interactions.from_pairs(["u0", "u1", "u2"], [(0, 0), (0, 1), (1, 0), (1, 1), (1, 2), (2, 2)])


def test_popularity_scores_are_train_counts_whatever_the_history() -> None:
    model = Popularity().fit(_three_users(), 4)
    np.testing.assert_array_equal(model.score([2]), [2.0, 2.0, 2.0, 0.0])
    np.testing.assert_array_equal(model.score([0, 1]), model.score([]))


def test_itemknn_similarities_are_cosines_of_item_columns() -> None:
    model = ItemKNN().fit(_three_users(), 4)
    # Each of items 0, 1, 2 has two users; 0 and 1 share two, 0-2 and 1-2 share one.
    neighbours, similarities = model.neighbours(0)
    assert neighbours.tolist() == [1, 2]
    np.testing.assert_allclose(similarities, [1.0, 0.5], rtol=1e-6)
    # Scores sum the history items' similarities; the item nobody has gets none.
    np.testing.assert_allclose(model.score([0]), [0.0, 1.0, 0.5, 0.0], rtol=1e-6)
    np.testing.assert_allclose(model.score([0, 1, 1]), [1.0, 1.0, 1.0, 0.0], rtol=1e-6)
    assert model.neighbours(3)[0].size == 0


def test_itemknn_keeps_k_neighbours_and_shrinks_rare_evidence() -> None:
    one_neighbour = ItemKNN(ItemKNNConfig(k=1)).fit(_three_users(), 4)
    assert one_neighbour.neighbours(0)[0].tolist() == [1]
    np.testing.assert_allclose(one_neighbour.score([0]), [0.0, 1.0, 0.0, 0.0], rtol=1e-6)
    shrunk = ItemKNN(ItemKNNConfig(shrinkage=1.0)).fit(_three_users(), 4)
    # 2 / (sqrt(2 * 2) + 1) and 1 / (sqrt(2 * 2) + 1)
    np.testing.assert_allclose(shrunk.neighbours(0)[1], [2 / 3, 1 / 3], rtol=1e-6)


def test_itemknn_neighbours_of_an_unknown_item_is_an_error() -> None:
    with pytest.raises(ValueError, match="unknown item index 4"):
        ItemKNN().fit(_three_users(), 4).neighbours(4)


def test_ease_matches_the_closed_form_in_float64() -> None:
    rng = np.random.default_rng(7)
    matrix = (rng.random((40, 9)) < 0.3).astype(np.float64)
    gram = matrix.T @ matrix
    precision = np.linalg.inv(gram + 5.0 * np.eye(9))
    expected = -precision / np.diag(precision)[np.newaxis, :]
    np.fill_diagonal(expected, 0.0)
    for layout in (np.ascontiguousarray, np.asfortranarray):
        weights = ease_weights(layout(gram.astype(np.float32)), 5.0)
        np.testing.assert_allclose(weights, expected, atol=1e-6)
        assert weights.flags.c_contiguous  # rows are gathered when scoring


def test_ease_recovers_co_occurrence() -> None:
    # Items 0 and 1 always go together, as do 2 and 3; the pairs never meet; 4 is never taken.
    pairs = [(u, i) for u in range(6) for i in ((0, 1) if u < 3 else (2, 3))]
    model = EASE(EASEConfig(l2=0.5)).fit(Interactions.from_pairs([f"u{u}" for u in range(6)], pairs), 5)
    scores = model.score([0])
    assert scores[1] > 0.5
    np.testing.assert_allclose(scores[[0, 2, 3, 4]], 0.0, atol=1e-6)
    assert model.active_items.tolist() == [0, 1, 2, 3]
    np.testing.assert_array_equal(np.diag(model.weights), 0.0)
    # A history of an item nobody had in train has no collaborative signal.
    np.testing.assert_array_equal(model.score([4]), np.zeros(5, dtype=np.float32))


def test_ease_refuses_a_train_split_too_large_for_its_dense_matrix() -> None:
    pairs = [(u, i) for u in range(6) for i in ((0, 1) if u < 3 else (2, 3))]
    data = Interactions.from_pairs([f"u{u}" for u in range(6)], pairs)
    with pytest.raises(CrsAgentError, match=r"EASE over 4 items.*max_items is 3.*itemknn"):
        EASE(EASEConfig(max_items=3)).fit(data, 5)
    assert EASE(EASEConfig(max_items=4)).fit(data, 5).active_items.tolist() == [0, 1, 2, 3]


def test_ease_strong_l2_shrinks_weights_towards_zero() -> None:
    data = _three_users()
    weak = EASE(EASEConfig(l2=0.1)).fit(data, 4).weights
    strong = EASE(EASEConfig(l2=1000.0)).fit(data, 4).weights
    assert np.abs(strong).max() < 0.01 < np.abs(weak).max()


def test_repeated_history_items_count_once_for_item_models() -> None:
    for model in (EASE().fit(_three_users(), 4), ItemKNN().fit(_three_users(), 4)):
        np.testing.assert_array_equal(model.score([0, 0, 0]), model.score([0]))


@pytest.mark.parametrize("bad", [{"l2": 0}, {"l2": -1.0}, {"l2": 1.0, "lambda_": 2.0}])
def test_ease_config_refuses_bad_values(bad: dict[str, float]) -> None:
    with pytest.raises(ValueError, match=r"l2|lambda_"):
        EASEConfig.model_validate(bad)


def test_a_model_refuses_another_models_config() -> None:
    with pytest.raises(TypeError, match="EASEConfig"):
        EASE(ItemKNNConfig())  # type: ignore[arg-type]
