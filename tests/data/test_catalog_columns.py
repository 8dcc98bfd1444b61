"""Catalogs stored as columns: items built on access equal the items given, and pickles stay small."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

from crsagent.data import Catalog, Item, UnknownItemError
from crsagent.errors import CrsAgentError


def odd_items() -> list[Item]:
    """Attribute orders, repeated and empty lists, missing years: what a rebuilt Item must keep."""
    return [
        Item(id="a", title="Heat (1995)", attributes={"genre": ["Crime", "Action"], "cast": ["Al Pacino"]},
             text="A heist.", year=1995, popularity=3.0),
        Item(id="b", title="Alien", attributes={"cast": ["Sigourney Weaver"], "genre": ["Horror"], "tag": []}),
        Item(id="c", title="Heat", attributes={"genre": ["Action", "Action"], "tag": ["remake"]}, year=1986),
        Item(id="d", title="Nothing known"),
    ]  # fmt: skip


def both() -> tuple[Catalog, Catalog]:
    return Catalog(odd_items(), name="odd"), Catalog(odd_items(), name="odd", materialise_up_to=2)


def test_items_built_from_columns_equal_the_items_given() -> None:
    kept, lazy = both()
    assert isinstance(kept.items, tuple) and not isinstance(lazy.items, tuple)
    for built, given in zip(lazy, odd_items(), strict=True):
        assert built == given
        assert built.model_dump() == given.model_dump()
        assert list(built.attributes) == list(given.attributes)  # the item's own type order
    assert lazy.at(1).attributes["tag"] == [] and lazy.at(2).values("genre") == ["Action", "Action"]
    assert lazy.get("c").year == 1986 and lazy.get("d").year is None
    assert lazy.items[-1].id == "d" and [i.id for i in lazy.items[1:3]] == ["b", "c"]
    with pytest.raises(IndexError, match="item index 4 out of range for 4 items"):
        lazy.at(4)


def test_both_layouts_answer_every_catalog_question_alike() -> None:
    kept, lazy = both()
    for catalog in (kept, lazy):
        assert len(catalog) == 4 and "b" in catalog and catalog.index_of("c") == 2
        assert catalog.attribute_types == ["genre", "cast", "tag"]
        assert catalog.vocabulary == {"genre": ["Action", "Crime", "Horror"], "cast": ["Al Pacino", "Sigourney Weaver"], "tag": ["remake"]}  # fmt: skip
        assert catalog.value_counts["genre"]["Action"] == 2  # item c's repeated value counts once
        assert {i.id for i in catalog.find_by_title("heat")} == {"a", "c"}
        assert catalog.ids == ["a", "b", "c", "d"] and catalog.titles[1] == "Alien"
        np.testing.assert_array_equal(catalog.years, [1995, np.nan, 1986, np.nan])
        np.testing.assert_array_equal(catalog.popularity, [3.0, 0.0, 0.0, 0.0])
        with pytest.raises(UnknownItemError, match="item id 'z' is not in catalog 'odd'"):
            catalog.get("z")
    assert kept.content_hash == lazy.content_hash


def test_a_type_with_only_empty_lists_stays_in_the_vocabulary() -> None:
    catalog = Catalog([Item(id="x", title="X", attributes={"tag": []})], name="e", materialise_up_to=0)
    assert catalog.vocabulary == {"tag": []} and catalog.at(0).attributes == {"tag": []}


def test_duplicate_ids_are_refused_in_either_layout() -> None:
    for limit in (0, 10):
        with pytest.raises(CrsAgentError, match="duplicate item id '1'"):
            Catalog([Item(id="1", title="A"), Item(id="1", title="B")], name="dup", materialise_up_to=limit)


def test_a_large_catalog_pickles_as_columns_with_its_hash() -> None:
    kept, lazy = both()
    restored = pickle.loads(pickle.dumps(lazy))
    # Not recomputed: every cache key reads the hash; the rest is a pass over every item.
    assert {"content_hash", "title_index"} <= restored.__dict__.keys()
    assert "_value_rows" in restored.columns.__dict__
    assert restored.content_hash == kept.content_hash and restored.title_index == kept.title_index
    (indptr, values), (kept_indptr, kept_values) = restored.columns.value_rows(), kept.columns.value_rows()
    assert np.array_equal(indptr, kept_indptr) and np.array_equal(values, kept_values)
    assert list(restored) == odd_items() and restored.index_of("d") == 3
    small = pickle.loads(pickle.dumps(kept))
    assert isinstance(small.items, tuple) and list(small) == odd_items()


def test_catalogs_pickled_before_columns_still_load() -> None:
    catalog = Catalog.__new__(Catalog)
    # The state an older crsagent pickled: its attributes, items as a tuple.
    catalog.__setstate__({"name": "old", "is_demo": False, "items": tuple(odd_items()), "_index": {}})
    assert catalog.index_of("c") == 2 and catalog.vocabulary["cast"] == ["Al Pacino", "Sigourney Weaver"]


def test_a_negative_materialise_limit_is_refused() -> None:
    with pytest.raises(ValueError, match="materialise_up_to must be >= 0, got -1"):
        Catalog(odd_items(), name="odd", materialise_up_to=-1)


def test_items_from_an_iterator_are_kept_only_under_the_limit() -> None:
    small = Catalog((item for item in odd_items()), name="odd", materialise_up_to=4)
    large = Catalog((item for item in odd_items()), name="odd", materialise_up_to=3)
    assert isinstance(small.items, tuple) and not isinstance(large.items, tuple)
    assert list(small) == list(large) == odd_items()
