"""The candidate-list type the layers pass each other: catalog indices, best first, aligned scores."""

from __future__ import annotations

import numpy as np
import pytest

from crsagent.data.candidates import Candidates
from crsagent.data.catalog import Catalog
from crsagent.data.item import Item


def test_ranking_orders_by_score_and_keeps_ties_in_place() -> None:
    ranked = Candidates.ranked([7, 3, 5, 1], [0.2, 0.9, 0.2, 0.5])
    assert ranked.indices.tolist() == [3, 1, 7, 5]
    assert ranked.scores is not None and ranked.scores.tolist() == [0.9, 0.5, 0.2, 0.2]
    assert Candidates.ranked([7, 3, 5, 1], [0.2, 0.9, 0.2, 0.5], top=2) == Candidates.from_lists(
        [3, 1], [0.9, 0.5]
    )
    assert len(Candidates.ranked([1, 2], [0.0, 1.0], top=0)) == 0


def test_narrowing_keeps_order_and_scores_aligned() -> None:
    ranked = Candidates.from_lists([4, 2, 9, 0], [4.0, 3.0, 2.0, 1.0])
    assert ranked.restricted_to([0, 9, 6], n_items=10) == Candidates.from_lists([9, 0], [2.0, 1.0])
    assert ranked.top(2) == Candidates.from_lists([4, 2], [4.0, 3.0])
    assert ranked.top(10) == ranked
    unranked = Candidates.everything(3)
    assert unranked.indices.tolist() == [0, 1, 2] and not unranked.is_ranked
    assert unranked != Candidates.from_lists([0, 1, 2], [0.0, 0.0, 0.0])


def test_lists_round_trip_and_ids_come_from_the_catalog() -> None:
    ranked = Candidates.from_lists([2, 0], [0.5, 0.25])
    indices, scores = ranked.to_lists()
    assert (indices, scores) == ([2, 0], [0.5, 0.25])
    assert Candidates.from_lists(indices, scores) == ranked
    assert Candidates.from_lists([1]).to_lists() == ([1], None)
    catalog = Catalog([Item(id=f"m{n}", title=f"Movie {n}") for n in range(3)], name="toy")
    assert ranked.ids(catalog) == ["m2", "m0"]


def test_lists_are_immutable_copies_and_bad_shapes_are_refused() -> None:
    source = np.asarray([1, 2, 3])
    candidates = Candidates(source)
    source[0] = 99
    assert candidates.indices.tolist() == [1, 2, 3]
    with pytest.raises(ValueError, match="read-only"):
        candidates.indices[0] = 5
    with pytest.raises(ValueError, match="2 scores for 3 candidates"):
        Candidates.from_lists([1, 2, 3], [0.1, 0.2])
    with pytest.raises(ValueError, match="2 scores for 3 candidates"):
        Candidates.ranked([1, 2, 3], [0.1, 0.2])
    with pytest.raises(ValueError, match="one-dimensional"):
        Candidates(np.zeros((2, 2), dtype=np.int64))
    with pytest.raises(ValueError, match="a mask of 2 for 3 candidates"):
        candidates.where(np.asarray([True, False]))
    with pytest.raises(TypeError, match="unhashable"):
        hash(candidates)
