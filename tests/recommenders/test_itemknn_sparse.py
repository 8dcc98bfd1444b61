"""Item-kNN's two similarity paths (dense blocks, sparse co-occurrences) and its ragged saved rows."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from crsagent.data.interactions import Interactions
from crsagent.recommenders import ItemKNN, ItemKNNConfig
from crsagent.recommenders.base_model import SavedModelError


def _random_train(seed: int, n_users: int = 60, n_items: int = 40) -> Interactions:
    rng = np.random.default_rng(seed)
    pairs = [(u, i) for u in range(n_users) for i in range(n_items - 5) if rng.random() < 0.15]
    return Interactions.from_pairs([f"u{u}" for u in range(n_users)], pairs)


def _rows(model: ItemKNN, n_items: int) -> list[tuple[list[int], list[float]]]:
    return [(ids.tolist(), sims.tolist()) for ids, sims in (model.neighbours(i) for i in range(n_items))]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_sparse_path_keeps_the_dense_paths_neighbours_when_all_fit(seed: int) -> None:
    # k >= n_items: no tie at the k-th place to settle, so both paths must agree exactly.
    train = _random_train(seed)
    dense = ItemKNN(ItemKNNConfig(k=40, block_size=7)).fit(train, 40)
    sparse = ItemKNN(ItemKNNConfig(k=40, block_size=7, dense_items=0)).fit(train, 40)
    assert _rows(dense, 40) == _rows(sparse, 40)
    for history in ([0], [1, 2, 3], [5, 5, 30]):
        np.testing.assert_array_equal(dense.score(history), sparse.score(history))
    histories = [[0, 4], [7], [10, 11, 12]]
    np.testing.assert_array_equal(dense.score_users(histories), sparse.score_users(histories))


def test_sparse_path_keeps_the_k_most_similar_and_breaks_ties_by_lower_index() -> None:
    # Item 0 co-occurs once with each of 3, 2 and 1 (equal cosines) and twice with 4.
    pairs = [(0, 0), (0, 4), (1, 0), (1, 4), (2, 0), (2, 3), (3, 0), (3, 2), (4, 0), (4, 1)]
    train = Interactions.from_pairs([f"u{u}" for u in range(5)], pairs)
    sparse = ItemKNN(ItemKNNConfig(k=2, dense_items=0)).fit(train, 6)
    assert sparse.neighbours(0)[0].tolist() == [4, 1]
    assert sparse.neighbours(5)[0].size == 0  # no interactions: no neighbours, no storage


def test_items_without_interactions_take_no_room() -> None:
    train = _random_train(3)  # items 35..39 never occur
    model = ItemKNN(ItemKNNConfig(k=10, dense_items=0)).fit(train, 10_000)
    assert all(model.neighbours(i)[0].size == 0 for i in range(35, 10_000, 997))
    assert model.neighbours(0)[0].size <= 10
    assert model._arrays()["neighbours"].size <= 35 * 10  # ragged rows: active items only


def test_saved_ragged_rows_load_back(tmp_path: Path) -> None:
    model = ItemKNN(ItemKNNConfig(k=5)).fit(_random_train(4), 40)
    loaded = ItemKNN.load(model.save(tmp_path / "knn"))
    assert _rows(loaded, 40) == _rows(model, 40)
    np.testing.assert_array_equal(loaded.score([1, 2]), model.score([1, 2]))


def test_models_saved_as_dense_neighbour_tables_still_load(tmp_path: Path) -> None:
    model = ItemKNN(ItemKNNConfig(k=5)).fit(_random_train(5), 40)
    folder = model.save(tmp_path / "knn")
    # The layout saved before the rows were ragged: n_items x k, zero similarities last.
    table_ids = np.zeros((40, 5), dtype=np.int32)
    table_sims = np.zeros((40, 5), dtype=np.float32)
    for item in range(40):
        ids, sims = model.neighbours(item)
        table_ids[item, : ids.size], table_sims[item, : sims.size] = ids, sims
    np.savez(
        folder / "arrays.npz", popularity=model.popularity, neighbours=table_ids, similarities=table_sims
    )
    loaded = ItemKNN.load(folder)
    assert _rows(loaded, 40) == _rows(model, 40)


def test_ragged_rows_that_do_not_fit_the_catalog_are_refused(tmp_path: Path) -> None:
    model = ItemKNN(ItemKNNConfig(k=5)).fit(_random_train(6), 40)
    folder = model.save(tmp_path / "knn")
    arrays = dict(np.load(folder / "arrays.npz"))
    arrays["indptr"] = arrays["indptr"][:-1]
    np.savez(folder / "arrays.npz", **arrays)
    with pytest.raises(SavedModelError, match="'indptr' does not fit 40 items"):
        ItemKNN.load(folder)
