"""Item-based k-nearest neighbours (Deshpande & Karypis 2004) with cosine similarity."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray
from pydantic import Field

from crsagent.data.interactions import Interactions
from crsagent.recommenders.base import RecommenderConfig
from crsagent.recommenders.base_model import BaseRecommender, SavedModelError

# Neighbour lists of some items: (the items' neighbour ids, their similarities, the row lengths).
Rows = tuple[NDArray[np.int32], NDArray[np.float32], NDArray[np.int64]]


@dataclass(frozen=True)
class Block:
    """Co-occurrence counts of some active items (``rows``) with every item, and the cosine's parts."""

    cooccurrence: sp.csr_matrix
    rows: NDArray[np.int64]
    norms: NDArray[np.float32]
    shrinkage: np.float32


class ItemKNNConfig(RecommenderConfig):
    """Neighbourhood size, shrinkage, and the memory block of the similarity computation."""

    k: int = Field(default=100, ge=1, description="Neighbours kept per item: its k most similar items.")
    shrinkage: float = Field(
        default=0.0,
        ge=0,
        description=(
            "Added to the cosine denominator, sqrt(n_i n_j) + shrinkage: damps similarities that rest on "
            "few co-occurrences. 0 is plain cosine."
        ),
    )
    block_size: int = Field(
        default=1024,
        ge=1,
        description="Items whose similarity rows are computed at once (a block x n_items float32 matrix).",
    )
    dense_items: int = Field(
        default=50_000,
        ge=0,
        description=(
            "Catalogs of up to this many items compute similarity rows as dense block x n_items "
            "matrices (the path every published figure was made with: ties at the k-th place are "
            "settled by argpartition). Larger catalogs compute only the co-occurring items of each "
            "row (sparse: memory and time follow the interactions, not the catalog), ties at the "
            "k-th place going to the lower item index."
        ),
    )


class ItemKNN(BaseRecommender[ItemKNNConfig]):
    """Score of item j = sum over distinct history items i of sim(i, j), if j is among i's k neighbours.

    Similarity is the cosine of the binary item columns of the train matrix. Each item keeps its k
    most similar other items with a non-zero similarity (ties at the k-th place settled
    deterministically), as ragged rows: items without train interactions cost nothing, so a
    million-item catalog with tens of thousands of active items stays small. Scoring one user reads
    len(history) x k numbers.
    """

    name: ClassVar[str] = "itemknn"
    config_class = ItemKNNConfig

    def __init__(self, config: ItemKNNConfig | None = None) -> None:
        super().__init__(config)
        # Row i's neighbours are _ids[_indptr[i]:_indptr[i + 1]], most similar first.
        self._indptr = np.zeros(1, dtype=np.int64)
        self._ids = np.zeros(0, dtype=np.int32)
        self._sims = np.zeros(0, dtype=np.float32)

    def __setstate__(self, state: dict[str, Any]) -> None:
        # Models pickled before kept a CSR copy of the same rows; the batched path builds it now.
        state.pop("_matrix", None)
        vars(self).update(state)

    def neighbours(self, item: int) -> tuple[NDArray[np.int32], NDArray[np.float32]]:
        """An item's neighbours (most similar first) and their similarities; only non-zero ones."""
        self._require_fitted()
        if not 0 <= item < self._n_items:
            raise ValueError(f"unknown item index {item} (the model knows indices 0..{self._n_items - 1})")
        start, end = int(self._indptr[item]), int(self._indptr[item + 1])
        return self._ids[start:end], self._sims[start:end]

    def _fit(self, train: Interactions, n_items: int, valid: Interactions | None) -> None:
        del valid
        users_by_items = train.to_csr(n_items)
        items_by_users = users_by_items.T.tocsr()
        norms = np.sqrt(np.diff(items_by_users.indptr)).astype(np.float32)
        k = min(self.config.k, n_items)
        lengths = np.zeros(n_items, dtype=np.int64)
        ids: list[NDArray[np.int32]] = []
        sims: list[NDArray[np.float32]] = []
        # Items without train interactions have no similar items: their rows stay empty.
        active = np.flatnonzero(norms > 0)
        dense = n_items <= self.config.dense_items
        for start in range(0, len(active), self.config.block_size):
            rows = active[start : start + self.config.block_size]
            cooccurrence = sp.csr_matrix(items_by_users[rows] @ users_by_items)
            block = Block(cooccurrence, rows, norms, np.float32(self.config.shrinkage))
            block_rows = (_dense_rows if dense else _sparse_rows)(block, k)
            ids.append(block_rows[0])
            sims.append(block_rows[1])
            lengths[rows] = block_rows[2]
        indptr = np.r_[0, np.cumsum(lengths)].astype(np.int64)
        empty_ids, empty_sims = np.zeros(0, dtype=np.int32), np.zeros(0, dtype=np.float32)
        self._indptr = indptr
        self._ids, self._sims = np.concatenate([empty_ids, *ids]), np.concatenate([empty_sims, *sims])

    def _score_history(self, history: NDArray[np.int64]) -> NDArray[np.float32]:
        rows = np.unique(history)  # the user vector is binary, as in fitting
        starts, ends = self._indptr[rows], self._indptr[rows + 1]
        lengths = ends - starts
        # The rows' entries in order: entry j of item i sits at start[i] + (j - first entry of i).
        offsets = np.repeat(starts - (np.cumsum(lengths) - lengths), lengths)
        entries = offsets + np.arange(int(lengths.sum()), dtype=np.int64)
        summed = np.bincount(self._ids[entries], weights=self._sims[entries], minlength=self._n_items)
        return summed.astype(np.float32)

    def _score_histories(self, histories: list[NDArray[np.int64]]) -> NDArray[np.float32]:
        rows = [np.unique(history) for history in histories]
        pointers = np.r_[0, np.cumsum([len(r) for r in rows])]
        columns = np.concatenate(rows)
        user_vectors = sp.csr_matrix(
            (np.ones(len(columns), dtype=np.float32), columns, pointers),
            shape=(len(histories), self._n_items),
        )
        # The rows as an item x item matrix, only while scoring (not kept: it would double the model).
        # A cell's sum runs over the user's items in ascending order whatever the order within rows.
        similarities = sp.csr_matrix((self._sims, self._ids, self._indptr), shape=(self._n_items,) * 2)
        return np.asarray(sp.csr_matrix(user_vectors @ similarities).toarray(), dtype=np.float32)

    def _arrays(self) -> dict[str, NDArray[Any]]:
        return {"indptr": self._indptr, "neighbours": self._ids, "similarities": self._sims}

    def _restore(self, n_items: int, arrays: dict[str, NDArray[Any]], folder: Path) -> None:
        neighbours, similarities = arrays.get("neighbours"), arrays.get("similarities")
        if neighbours is None or similarities is None or neighbours.shape != similarities.shape:
            raise SavedModelError(f"{folder}: item-kNN needs 'neighbours' and 'similarities' of one shape")
        if neighbours.ndim == 2:  # saved before the rows were ragged: n_items x k, zeros last
            if neighbours.shape[0] != n_items:
                raise SavedModelError(f"{folder}: neighbour rows {neighbours.shape[0]} != n_items {n_items}")
            keep = similarities > 0
            indptr = np.r_[0, np.cumsum(keep.sum(axis=1))]
            neighbours, similarities = neighbours[keep], similarities[keep]
        else:
            indptr = arrays.get("indptr")
            if indptr is None or indptr.shape != (n_items + 1,) or int(indptr[-1]) != neighbours.size:
                raise SavedModelError(f"{folder}: item-kNN's 'indptr' does not fit {n_items} items")
        self._indptr = indptr.astype(np.int64)
        self._ids, self._sims = neighbours.astype(np.int32), similarities.astype(np.float32)


def _dense_rows(block: Block, k: int) -> Rows:
    """The k nearest neighbours of ``rows`` from dense block x n_items similarities (argpartition)."""
    rows, norms = block.rows, block.norms
    counts = np.asarray(block.cooccurrence.toarray(), dtype=np.float32)
    denominator = norms[rows, np.newaxis] * norms[np.newaxis, :] + block.shrinkage
    cosines = np.divide(counts, denominator, out=np.zeros_like(counts), where=denominator > 0)
    cosines[np.arange(len(rows)), rows] = 0.0  # an item is not its own neighbour
    neighbours, similarities = _top_k(cosines, k)
    keep = similarities > 0  # sorted most similar first: the zeros are each row's tail
    return neighbours[keep], similarities[keep], keep.sum(axis=1).astype(np.int64)


def _sparse_rows(block: Block, k: int) -> Rows:
    """The k nearest neighbours of ``rows`` among the items they co-occur with (ties: lower index)."""
    rows, norms, cooccurrence = block.rows, block.norms, block.cooccurrence
    row = np.repeat(np.arange(len(rows), dtype=np.int64), np.diff(cooccurrence.indptr))
    column = cooccurrence.indices.astype(np.int64)
    # The same float32 arithmetic as the dense path, on the non-zero cells only.
    denominator = norms[rows][row] * norms[column] + block.shrinkage
    counts = cooccurrence.data.astype(np.float32)
    similarity = np.divide(counts, denominator, out=np.zeros_like(counts), where=denominator > 0)
    keep = (column != rows[row]) & (similarity > 0)
    row, column, similarity = row[keep], column[keep], similarity[keep]
    order = np.lexsort((column, -similarity, row))
    row, column, similarity = row[order], column[order], similarity[order]
    per_row = np.bincount(row, minlength=len(rows))
    rank = np.arange(row.size) - np.repeat(np.cumsum(per_row) - per_row, per_row)
    top = rank < k
    return column[top].astype(np.int32), similarity[top], np.minimum(per_row, k).astype(np.int64)


def _top_k(block: NDArray[np.float32], k: int) -> tuple[NDArray[np.int32], NDArray[np.float32]]:
    """Per row, the k largest values and their columns, largest first (ties: lower column first)."""
    if k < block.shape[1]:
        # argpartition is O(n) per row; ties at the k-th place are settled by the sort below only
        # among the chosen k, which is deterministic for a given input.
        chosen = np.argpartition(-block, k - 1, axis=1)[:, :k]
    else:
        chosen = np.broadcast_to(np.arange(block.shape[1]), block.shape).copy()
    values = np.take_along_axis(block, chosen, axis=1)
    order = np.lexsort((chosen, -values), axis=1)
    return (
        np.take_along_axis(chosen, order, axis=1).astype(np.int32),
        np.take_along_axis(values, order, axis=1).astype(np.float32),
    )
