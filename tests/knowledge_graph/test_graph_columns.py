"""The graph of a columnar (large-catalog) layout is the graph of the same items kept as objects."""

from __future__ import annotations

import numpy as np

from crsagent.data.catalog import Catalog
from crsagent.data.item import Item
from crsagent.knowledge_graph.graph import KnowledgeGraph

from .tiny_data import tiny_items


def _items() -> list[Item]:
    # Unsorted and repeated values, an empty list and a valueless item: the rows must still be
    # each item's distinct value ids, ascending.
    extra = [
        Item(id="x1", title="X1", attributes={"tag": ["soul", "folk", "soul"], "era": ["1990s"]}),
        Item(id="x2", title="X2", attributes={"era": [], "tag": ["rock"]}),
        Item(id="x3", title="X3"),
    ]
    return [*tiny_items(30), *extra]


def test_graph_from_columns_equals_graph_from_items() -> None:
    kept = KnowledgeGraph(Catalog(_items(), name="t"))
    lazy = KnowledgeGraph(Catalog(_items(), name="t", materialise_up_to=0))
    assert kept.values == lazy.values
    np.testing.assert_array_equal(kept.value_types, lazy.value_types)
    for first, second in ((kept.incidence, lazy.incidence), (kept.incidence_t, lazy.incidence_t)):
        np.testing.assert_array_equal(first.indptr, second.indptr)
        np.testing.assert_array_equal(first.indices, second.indices)
    for index, item in enumerate(_items()):
        expected = sorted({kept.value_id(f"{t}:{v}") for t, vs in item.attributes.items() for v in vs})
        assert lazy.item_values(index).tolist() == expected
    soul = lazy.value_id("tag:soul")
    assert lazy.items_with(soul).tolist() == [i for i, item in enumerate(_items()) if item.has("tag", "soul")]


def test_transposed_incidence_is_the_csc_layout() -> None:
    kg = KnowledgeGraph(Catalog(_items(), name="t"))
    dense = kg.incidence.toarray()
    np.testing.assert_array_equal(kg.incidence_t.toarray(), dense.T)
    weights = np.linspace(0.1, 1.0, kg.n_items)
    np.testing.assert_allclose(
        kg.value_mass(np.arange(kg.n_items), weights), dense.T.astype(np.float64) @ weights
    )
