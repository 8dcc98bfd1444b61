from __future__ import annotations

import numpy as np
import pytest

from crsagent.data.catalog import Catalog
from crsagent.data.item import Item
from crsagent.knowledge_graph import entries as entries_module
from crsagent.knowledge_graph import graph
from crsagent.knowledge_graph.graph import (
    AttributeValue,
    KnowledgeGraph,
    UnknownValueError,
    item_node,
    value_node,
)
from tests.knowledge_graph.tiny_data import tiny_dataset


def movies() -> KnowledgeGraph:
    items = [
        Item(
            id="m1",
            title="Sleepless in Seattle",
            attributes={"director": ["Nora Ephron"], "genre": ["Romance"]},
        ),
        Item(
            id="m2",
            title="You've Got Mail",
            attributes={"director": ["Nora Ephron"], "genre": ["Comedy", "Romance"]},
        ),
        Item(id="m3", title="Heat", attributes={"director": ["Michael Mann"], "genre": ["Crime"]}),
        Item(id="m4", title="Untitled", attributes={}),
        Item(id="m5", title="Notting Hill", attributes={"director": ["Roger Michell"], "genre": ["Romance"]}),
    ]
    return KnowledgeGraph(Catalog(items, name="movies"))


def test_values_are_typed_and_addressed_by_key() -> None:
    kg = movies()
    assert kg.n_items == 5
    assert [v.key for v in kg.values] == [
        "director:Michael Mann",
        "director:Nora Ephron",
        "director:Roger Michell",
        "genre:Comedy",
        "genre:Crime",
        "genre:Romance",
    ]
    ephron = kg.value_id("director:Nora Ephron")
    assert kg.value_id(AttributeValue("director", "Nora Ephron")) == ephron
    assert kg.values[ephron].value == "Nora Ephron"
    with pytest.raises(UnknownValueError, match="'director:Nobody' is not in the graph"):
        kg.value_id("director:Nobody")


def test_incidence_matches_the_items() -> None:
    kg = movies()
    ephron, romance = kg.value_id("director:Nora Ephron"), kg.value_id("genre:Romance")
    assert kg.items_with(ephron).tolist() == [0, 1]
    assert kg.item_values(1).tolist() == sorted([ephron, romance, kg.value_id("genre:Comedy")])
    assert kg.item_values(3).tolist() == []
    assert kg.items_with_all([ephron, kg.value_id("genre:Comedy")]).tolist() == [1]
    assert kg.items_with_all([]).tolist() == [0, 1, 2, 3, 4]
    assert kg.has_value(np.array([2, 0, 1]), ephron).tolist() == [False, True, True]
    assert kg.value_counts[romance] == 3
    assert kg.values_per_item.tolist() == [2, 3, 2, 0, 2]


def test_value_mass_and_item_sums_agree_with_the_dense_incidence() -> None:
    kg = KnowledgeGraph(tiny_dataset().catalog)
    dense = kg.incidence.toarray()
    items = np.array([3, 5, 8, 13])
    weights = np.array([0.1, 0.2, 0.3, 0.4])
    assert np.allclose(kg.value_mass(items, weights), weights @ dense[items])
    per_value = np.arange(kg.n_values, dtype=np.float64)
    assert np.allclose(kg.item_sums(items, per_value), dense[items] @ per_value)
    assert np.allclose(kg.item_sums(None, per_value), dense @ per_value)


def test_gathered_and_catalog_wide_sums_are_bit_identical(monkeypatch: pytest.MonkeyPatch) -> None:
    kg = KnowledgeGraph(tiny_dataset().catalog)
    rng = np.random.default_rng(0)
    items = np.sort(rng.choice(kg.n_items, size=kg.n_items // 3, replace=False))
    weights, per_value = rng.random(items.size), rng.random(kg.n_values)
    sums = []
    # Gathered and summed by bincounts, gathered and summed as sparse products, then catalog-wide.
    for gathered_entries, gathered_share, sparse_entries in (
        (10**9, 1.0, 10**9),
        (10**9, 1.0, 0),
        (0, 0.0, 0),
    ):
        monkeypatch.setattr(graph, "GATHERED_ENTRIES", gathered_entries)
        monkeypatch.setattr(graph, "GATHERED_SHARE", gathered_share)
        monkeypatch.setattr(entries_module, "SPARSE_ENTRIES", sparse_entries)
        entries = kg.entries(items)
        assert (entries is None) == (gathered_entries == 0)
        if entries is not None:  # the items' rows, on the incidence's own data
            assert np.array_equal(entries.matrix.toarray(), kg.incidence[items].toarray())
            assert np.shares_memory(entries.matrix.data, kg.incidence.data)
        counts = kg.count_values(items, entries)
        sums.append([kg.value_mass(items, weights, entries), kg.item_sums(items, per_value, entries), counts])
    assert all(np.array_equal(first, other) for first, *rest in zip(*sums, strict=True) for other in rest)
    assert sums[0][2].sum() == kg.values_per_item[items].sum()


def test_networkx_view_has_typed_relations() -> None:
    kg = movies()
    graph = kg.graph
    assert graph.number_of_nodes() == 5 + 6
    ephron = kg.value_id("director:Nora Ephron")
    assert graph.edges[item_node(0), value_node(ephron)]["relation"] == "director"
    assert graph.nodes[item_node(2)]["title"] == "Heat"
    assert graph.degree(item_node(3)) == 0


def test_shared_values_are_the_common_ones() -> None:
    kg = movies()
    assert kg.shared_values(0, 1) == sorted(
        [kg.value_id("director:Nora Ephron"), kg.value_id("genre:Romance")]
    )


def test_entries_are_the_items_rows_with_empty_rows_anywhere() -> None:
    """Items without values (first, between, last) gather as empty rows; the rest as their own."""
    rng = np.random.default_rng(3)
    items = [
        Item(
            id=f"x{i}",
            title=f"Film {i}",
            attributes={} if i % 3 == 0 else {"tag": [f"t{i % 7}", f"t{i % 5}"]},
        )
        for i in range(60)
    ]
    kg = KnowledgeGraph(Catalog(items, name="holes"))
    picks = [np.array([0]), np.array([0, 3, 4]), np.array([1, 3, 57]), np.array([57, 59]), np.arange(60)]
    picks += [np.sort(rng.choice(60, size=size, replace=False)) for size in (2, 9, 30) for _ in range(5)]
    for chosen in picks:
        entries = kg.entries(chosen)
        assert entries is not None
        assert np.array_equal(entries.matrix.toarray(), kg.incidence[chosen].toarray())
        assert np.array_equal(np.diff(entries.indptr), kg.values_per_item[chosen])
