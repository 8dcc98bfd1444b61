"""The knowledge graph: items, typed attribute values, and the item x value incidence matrix.

Two views of one structure. ``incidence`` (scipy.sparse, items x values) is what everything in
crsagent uses: candidate masks, value marginals, entropies, and the paths of explanations and
neighbourhood queries (an item's values are a CSR row, a value's items a CSC column). ``graph``
(networkx, built only when asked for) is the same structure for users who want networkx's
algorithms: item nodes ``("item", index)`` and value nodes ``("value", value_id)``, joined by an
edge whose ``relation`` is the attribute type ("director"). It costs seconds and gigabytes on a
large catalog, so no per-turn code touches it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property

import networkx as nx
import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from crsagent.data.catalog import Catalog
from crsagent.data.dataset import Dataset
from crsagent.errors import CrsAgentError
from crsagent.knowledge_graph.entries import Entries, Index
from crsagent.knowledge_graph.row_blocks import RowBlocks


class UnknownValueError(CrsAgentError, KeyError):
    """An attribute value that the graph does not hold."""

    def __str__(self) -> str:  # KeyError would quote the whole message
        return str(self.args[0]) if self.args else "unknown attribute value"


@dataclass(frozen=True, order=True)
class AttributeValue:
    """One value node: an attribute type and a value of it, e.g. ``director`` / ``Nora Ephron``."""

    type: str
    value: str

    @property
    def key(self) -> str:
        """``type:value``, the form episode logs and the CLI use."""
        return f"{self.type}:{self.value}"

    def __str__(self) -> str:
        return self.key


# Entries a large gathering may hold whatever the share of the incidence (4 MB).
GATHERED_ENTRIES = 1_000_000
# Past that, items are gathered only while they hold at most this share of the incidence: gathering
# costs ~10 ns an entry (random rows, page faults), a catalog-wide product ~0.6 ns (26M entries: 16 ms
# on 2 cores). At a million items 1/8 made the turn p99 148 ms, 1/32 and 1/16 91-92 ms.
GATHERED_SHARE = 1 / 16


def ascending(items: NDArray[np.int64]) -> bool:
    """Whether ``items`` is strictly increasing (a dialogue state's candidates are)."""
    return items.size < 2 or bool((items[1:] > items[:-1]).all())


def item_node(index: int) -> tuple[str, int]:
    """The networkx node of the item at catalog index ``index``."""
    return ("item", index)


def value_node(value_id: int) -> tuple[str, int]:
    """The networkx node of value ``value_id``."""
    return ("value", value_id)


class KnowledgeGraph:
    """Items and attribute values of one catalog; immutable once built."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        # Values sorted by (type, value), as AttributeValue orders them; ids are positions: the
        # catalog's value table, whose item rows are the incidence (no pass over Item objects).
        columns = catalog.columns
        types = sorted(catalog.vocabulary)
        type_index = {attribute_type: i for i, attribute_type in enumerate(types)}
        values = [AttributeValue(t, v) for t, v in zip(columns.value_types, columns.value_names, strict=True)]
        type_of_value = [type_index[t] for t in columns.value_types]
        self.values: tuple[AttributeValue, ...] = tuple(values)
        self._value_ids: dict[AttributeValue, int] = {v: i for i, v in enumerate(values)}
        self._keys: dict[str, int] = {v.key: i for i, v in enumerate(values)}
        indptr, indices = columns.value_rows()
        shape = (len(catalog), len(values))
        indptr = indptr.astype(np.int32)
        # One float64 array of ones is the data of both layouts, in the memory two float32 copies
        # took: products with the float64 vectors run on the matrices as they are (float32 data is
        # converted on every product: 0.15 s of a 0.02 s product at a million items).
        ones = np.ones(indices.size)
        self.incidence: sp.csr_matrix = sp.csr_matrix((ones, indices, indptr), shape=shape)
        columns_of = sp.csr_matrix((np.ones(indices.size, dtype=bool), indices, indptr), shape=shape).tocsc()
        self.incidence_csc: sp.csc_matrix = sp.csc_matrix(
            (ones, columns_of.indices, columns_of.indptr), shape=shape, copy=False
        )
        # values x items, row-compressed: the fast layout for ``value_mass``; the CSC arrays are
        # exactly that layout, so it shares them (a million items hold 26M entries).
        csc = self.incidence_csc
        self.incidence_t: sp.csr_matrix = sp.csr_matrix(
            (csc.data, csc.indices, csc.indptr), shape=(shape[1], shape[0]), copy=False
        )
        self.value_counts: NDArray[np.int64] = np.diff(self.incidence_csc.indptr).astype(np.int64)
        self.values_per_item: NDArray[np.int64] = np.diff(self.incidence.indptr).astype(np.int64)
        self.value_types: NDArray[np.int64] = np.asarray(type_of_value, dtype=np.int64)
        self.n_items: int = shape[0]
        self.n_values: int = shape[1]
        # The sparse matrices' own int32 index arrays (no int64 copies: 400 MB at a million items);
        # slices of them are what item_values / items_with return.
        self._row_values: Index = self.incidence.indices
        self._column_items: Index = self.incidence_csc.indices
        self._row_starts: Index = self.incidence.indptr[:-1]
        # Catalog-wide products in row blocks on threads (one block below a few million entries).
        self._item_product = RowBlocks(self.incidence)
        self._value_product = RowBlocks(self.incidence_t)

    @classmethod
    def from_dataset(cls, dataset: Dataset) -> KnowledgeGraph:
        """The graph of a dataset's catalog (interactions are not part of the graph)."""
        return cls(dataset.catalog)

    def __repr__(self) -> str:
        return f"KnowledgeGraph({self.catalog.name!r}, {self.n_items} items, {self.n_values} values)"

    @cached_property
    def dense_incidence(self) -> NDArray[np.bool_] | None:
        """The incidence as a dense boolean array when it is small (<= 4 M cells), else None.

        Small vocabularies (crs-lastfm: 7,432 x 33, 245 kB) are faster to look up densely than
        through CSR (one indexing per answer instead of a binary search).
        """
        if self.n_items * self.n_values > 4_000_000:
            return None
        return self.incidence.toarray() > 0

    def value_id(self, value: AttributeValue | str) -> int:
        """The id of a value, given as an ``AttributeValue`` or a ``type:value`` key."""
        found = self._keys.get(value) if isinstance(value, str) else self._value_ids.get(value)
        if found is None:
            raise UnknownValueError(
                f"attribute value {str(value)!r} is not in the graph of {self.catalog.name!r}"
            )
        return found

    def item_values(self, index: int) -> Index:
        """Value ids of the item at ``index``, ascending."""
        start, end = self.incidence.indptr[index], self.incidence.indptr[index + 1]
        return self._row_values[start:end]

    def items_with(self, value_id: int) -> Index:
        """Catalog indices of the items carrying ``value_id``, ascending."""
        start, end = self.incidence_csc.indptr[value_id], self.incidence_csc.indptr[value_id + 1]
        return self._column_items[start:end]

    def has_value(self, items: NDArray[np.int64] | Sequence[int], value_id: int) -> NDArray[np.bool_]:
        """For each item index, whether it carries ``value_id``."""
        items = np.asarray(items, dtype=np.int64)
        if self.dense_incidence is not None:
            return self.dense_incidence[items, value_id]
        carriers = self.items_with(value_id)
        if carriers.size == 0:
            return np.zeros(items.shape, dtype=bool)
        # A binary search in the value's (ascending) items: no catalog-length mask per answer.
        # In the carriers' int32: a search with int64 items would first copy the carriers to int64.
        rows = np.minimum(np.searchsorted(carriers, items.astype(carriers.dtype)), carriers.size - 1)
        return carriers[rows] == items

    def items_with_all(self, value_ids: Iterable[int]) -> NDArray[np.int64]:
        """Items carrying every value in ``value_ids`` (all items when it is empty)."""
        ids = list(value_ids)
        if not ids:
            return np.arange(self.n_items, dtype=np.int64)
        result = self.items_with(ids[0]).astype(np.int64)
        for value_id in ids[1:]:
            result = np.intersect1d(result, self.items_with(value_id), assume_unique=True).astype(
                np.int64, copy=False
            )
        return result

    def entries(self, items: NDArray[np.int64]) -> Entries | None:
        """The incidence rows of ascending ``items`` (row i: ``items[i]``'s values).

        What the per-turn sums gather instead of multiplying the whole catalog, so a turn costs
        what its candidates hold. None when gathering does not pay: unsorted or repeated items,
        or items holding more than ``GATHERED_SHARE`` of a large incidence's entries (a few
        catalog-wide products are cheaper than gathering millions of entries).
        """
        items = np.asarray(items, dtype=np.int64)
        large = self._row_values.size > GATHERED_ENTRIES
        # Items past the share are refused before any pass over them: callers ask again and again
        # for a huge first answer's candidates (either path gives the same sums).
        if (large and items.size > GATHERED_SHARE * self.n_items) or not ascending(items):
            return None
        lengths = self.values_per_item[items]
        ends = np.cumsum(lengths)
        total = int(ends[-1]) if items.size else 0
        if large and total > GATHERED_SHARE * self._row_values.size:
            return None
        # Where each output entry sits in the incidence, built in one array: +1 within a row, a jump
        # to the next row's start at its first entry (each catalog-long temporary costs its page
        # faults: ~3 ms for 1.6M entries).
        full = lengths > 0
        starts, firsts, sizes = (
            self._row_starts[items[full]].astype(np.int64),
            (ends - lengths)[full],
            lengths[full],
        )
        where = np.ones(total, dtype=np.int64)
        if starts.size:
            where[firsts[1:]] = starts[1:] - (starts[:-1] + sizes[:-1] - 1)
            where[0] = starts[0]
        values = self._row_values[np.cumsum(where, out=where)]
        indptr = np.zeros(items.size + 1, dtype=values.dtype)
        indptr[1:] = ends
        return Entries(indptr, values, self.incidence.data, self.n_values)

    def value_mass(
        self, items: NDArray[np.int64], weights: NDArray[np.float64], entries: Entries | None = None
    ) -> NDArray[np.float64]:
        """Per value, the summed weight of the given items that carry it (the per-turn workhorse).

        Each value's sum runs over its items in ascending catalog order, as the sparse product
        with the transposed incidence does (a repeated item counts once, with its last weight):
        the gathered and the catalog-wide paths give bit-identical sums. ``entries``: the items'
        ``entries``, when the caller already gathered them.
        """
        items = np.asarray(items, dtype=np.int64)
        weights = np.asarray(weights, dtype=np.float64)
        gathered = entries if entries is not None else self.entries(items)
        if gathered is None:
            full = np.zeros(self.n_items)
            full[items] = weights
            return self._value_product @ full
        return gathered.value_mass(weights)

    def count_values(self, items: NDArray[np.int64], entries: Entries | None = None) -> NDArray[np.float64]:
        """Per value, how many of ascending ``items`` carry it (``entries``: theirs, when gathered)."""
        if entries is None:
            return self.value_mass(items, np.ones(items.size))
        return entries.counts()

    def item_sums(
        self,
        items: NDArray[np.int64] | None,
        per_value: NDArray[np.float64],
        entries: Entries | None = None,
    ) -> NDArray[np.float64]:
        """Per item (every item when ``items`` is None), the sum of ``per_value`` over its values.

        Each item's sum runs over its values in ascending order, as the sparse product does, so the
        gathered path is bit-identical to the same rows of the catalog-wide product.
        """
        per_value = np.asarray(per_value, dtype=np.float64)
        if items is None:
            return self._item_product @ per_value
        items = np.asarray(items, dtype=np.int64)
        gathered = entries if entries is not None else self.entries(items)
        if gathered is None:
            return (self._item_product @ per_value)[items]
        return gathered.item_sums(per_value)

    @cached_property
    def graph(self) -> nx.Graph:
        """Item and value nodes; an edge per (item, value) with ``relation`` = the attribute type."""
        graph = nx.Graph()
        for index, item in enumerate(self.catalog.items):
            graph.add_node(item_node(index), kind="item", id=item.id, title=item.title)
        for value_id, value in enumerate(self.values):
            graph.add_node(value_node(value_id), kind="value", type=value.type, value=value.value)
        coo = self.incidence.tocoo()
        graph.add_edges_from(
            (item_node(int(i)), value_node(int(v)), {"relation": self.values[int(v)].type})
            for i, v in zip(coo.row.tolist(), coo.col.tolist(), strict=True)
        )
        return graph

    def shared_values(self, first: int, second: int) -> list[int]:
        """Value ids two items have in common, ascending."""
        return np.intersect1d(self.item_values(first), self.item_values(second)).tolist()
