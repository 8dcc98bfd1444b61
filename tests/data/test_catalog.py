from __future__ import annotations

import numpy as np
import pytest

from crsagent.data import Catalog, Interactions, Item, UnknownItemError
from crsagent.data.splits import temporal_leave_last_out, train_popularity
from crsagent.errors import CrsAgentError


def tiny_catalog() -> Catalog:
    return Catalog(
        [
            Item(id="1", title="Heat (1995)", attributes={"genre": ["Action", "Crime"]}, year=1995),
            Item(id="2", title="Matrix, The (1999)", attributes={"genre": ["Action", "Sci-Fi"]}, year=1999),
            Item(id="3", title="Heat (1986)", attributes={"genre": ["Action"]}, year=1986),
        ],
        name="tiny",
    )


def test_lookup_by_id_and_index() -> None:
    catalog = tiny_catalog()
    assert len(catalog) == 3
    assert catalog.index_of("2") == 1
    assert catalog.get("2").title == "Matrix, The (1999)"
    assert catalog.at(2).id == "3"
    assert "3" in catalog and "4" not in catalog


def test_unknown_id_is_a_clear_error() -> None:
    with pytest.raises(UnknownItemError, match=r"item id '42' is not in catalog 'tiny'"):
        tiny_catalog().get("42")


def test_duplicate_ids_are_refused() -> None:
    with pytest.raises(CrsAgentError, match="duplicate item id '1'"):
        Catalog([Item(id="1", title="A"), Item(id="1", title="B")], name="dup")


def test_vocabulary_and_counts() -> None:
    catalog = tiny_catalog()
    assert catalog.attribute_types == ["genre"]
    assert catalog.vocabulary == {"genre": ["Action", "Crime", "Sci-Fi"]}
    assert catalog.value_counts["genre"]["Action"] == 3


def test_title_index_finds_every_item_with_a_title() -> None:
    catalog = tiny_catalog()
    assert {item.id for item in catalog.find_by_title("heat")} == {"1", "3"}
    assert [item.id for item in catalog.find_by_title("The Matrix")] == ["2"]
    assert catalog.find_by_title("Alien") == []


def test_content_hash_changes_with_content() -> None:
    first = tiny_catalog()
    assert first.content_hash == tiny_catalog().content_hash
    changed = Catalog([*first.items[:2], Item(id="3", title="Heat (1986)")], name="tiny")
    assert changed.content_hash != first.content_hash


def interactions(rows: list[tuple[int, int, int]]) -> Interactions:
    array = np.asarray(rows, dtype=np.int64)
    return Interactions(
        ("u0", "u1", "u2"),
        array[:, 0].astype(np.int32),
        array[:, 1].astype(np.int32),
        np.full(len(rows), 5.0, dtype=np.float32),
        array[:, 2],
    )


def test_temporal_leave_last_out() -> None:
    # u0: four positives; u1: two (train only); u2: three with a timestamp tie broken by item key.
    data = interactions(
        [
            (0, 0, 10),
            (0, 1, 40),
            (0, 2, 20),
            (0, 3, 30),
            (1, 0, 5),
            (1, 1, 6),
            (2, 4, 7),
            (2, 2, 7),
            (2, 0, 1),
        ]
    )
    item_keys = np.asarray([100, 101, 102, 103, 104], dtype=np.int64)
    splits = temporal_leave_last_out(data, item_keys)
    assert splits["test"].pairs() == [(0, 1), (2, 4)]
    assert splits["valid"].pairs() == [(0, 3), (2, 2)]
    assert sorted(splits["train"].pairs()) == [(0, 0), (0, 2), (1, 0), (1, 1), (2, 0)]
    assert len(splits["train"]) + len(splits["valid"]) + len(splits["test"]) == len(data)
    assert train_popularity(splits["train"], 5).tolist() == [3, 1, 1, 0, 0]


def test_interactions_helpers() -> None:
    data = interactions([(0, 0, 1), (0, 2, 2), (2, 1, 3), (0, 2, 4)])
    assert data.n_users == 2 and data.n_items == 3
    grouped = data.items_by_user()
    assert grouped[0].tolist() == [0, 2, 2] and grouped[2].tolist() == [1]
    matrix = data.to_csr(3)
    assert matrix.shape == (3, 3)
    assert matrix.toarray().tolist() == [[1, 0, 1], [0, 0, 0], [0, 1, 0]]
    assert (
        data.subset(np.array([], dtype=np.intp)).items_by_user() == {}
    )  # an empty split (the demo's) groups to nothing


def test_interactions_reject_ragged_columns() -> None:
    with pytest.raises(ValueError, match="items has 1 rows"):
        Interactions(("u",), np.zeros(2, np.int32), np.zeros(1, np.int32))
