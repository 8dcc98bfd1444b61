"""Item-based k-nearest neighbours (Deshpande & Karypis 2004) with cosine similarity."""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray
from pydantic import Field

from crsagent.data.interactions import Interactions
from crsagent.recommenders.base import RecommenderConfig
from crsagent.recommenders.base_model import BaseRecommender, SavedModelError


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


class ItemKNN(BaseRecommender[ItemKNNConfig]):
    """Score of item j = sum over distinct history items i of sim(i, j), if j is among i's k neighbours.

    Similarity is the cosine of the binary item columns of the train matrix. Each item keeps its k
    most similar other items (ties at the k-th place settled deterministically), so scoring one user
    reads len(history) x k numbers.
    """

    name: ClassVar[str] = "itemknn"
    config_class = ItemKNNConfig

    def __init__(self, config: ItemKNNConfig | None = None) -> None:
        super().__init__(config)
        self._neighbours = np.zeros((0, 0), dtype=np.int32)
        self._similarities = np.zeros((0, 0), dtype=np.float32)
        self._matrix = sp.csr_matrix((0, 0), dtype=np.float32)

    def neighbours(self, item: int) -> tuple[NDArray[np.int32], NDArray[np.float32]]:
        """An item's neighbours (most similar first) and their similarities; only non-zero ones."""
        self._require_fitted()
        if not 0 <= item < self._n_items:
            raise ValueError(f"unknown item index {item} (the model knows indices 0..{self._n_items - 1})")
        keep = self._similarities[item] > 0
        return self._neighbours[item][keep], self._similarities[item][keep]

    def _fit(self, train: Interactions, n_items: int, valid: Interactions | None) -> None:
        del valid
        users_by_items = train.to_csr(n_items)
        items_by_users = users_by_items.T.tocsr()
        norms = np.sqrt(np.diff(items_by_users.indptr)).astype(np.float32)
        k = min(self.config.k, n_items)
        neighbours = np.zeros((n_items, k), dtype=np.int32)
        similarities = np.zeros((n_items, k), dtype=np.float32)
        # Items without train interactions have no similar items: their rows stay zero.
        active = np.flatnonzero(norms > 0)
        for start in range(0, len(active), self.config.block_size):
            rows = active[start : start + self.config.block_size]
            cooccurrence = np.asarray((items_by_users[rows] @ users_by_items).toarray(), dtype=np.float32)
            denominator = norms[rows, np.newaxis] * norms[np.newaxis, :] + np.float32(self.config.shrinkage)
            block = np.divide(
                cooccurrence,
                denominator,
                out=np.zeros_like(cooccurrence),
                where=denominator > 0,
            )
            block[np.arange(len(rows)), rows] = 0.0  # an item is not its own neighbour
            neighbours[rows], similarities[rows] = _top_k(block, k)
        self._set_state(n_items, neighbours, similarities)

    def _set_state(
        self, n_items: int, neighbours: NDArray[np.int32], similarities: NDArray[np.float32]
    ) -> None:
        self._neighbours = neighbours
        self._similarities = similarities
        # The same numbers as a sparse item x item matrix, for the batched path.
        rows = np.repeat(np.arange(n_items), neighbours.shape[1])
        self._matrix = sp.csr_matrix(
            (similarities.ravel(), (rows, neighbours.ravel())), shape=(n_items, n_items), dtype=np.float32
        )
        self._matrix.eliminate_zeros()

    def _score_history(self, history: NDArray[np.int64]) -> NDArray[np.float32]:
        rows = np.unique(history)  # the user vector is binary, as in fitting
        summed = np.bincount(
            self._neighbours[rows].ravel(),
            weights=self._similarities[rows].ravel(),
            minlength=self._n_items,
        )
        return summed.astype(np.float32)

    def _score_histories(self, histories: list[NDArray[np.int64]]) -> NDArray[np.float32]:
        rows = [np.unique(history) for history in histories]
        pointers = np.r_[0, np.cumsum([len(r) for r in rows])]
        columns = np.concatenate(rows)
        user_vectors = sp.csr_matrix(
            (np.ones(len(columns), dtype=np.float32), columns, pointers),
            shape=(len(histories), self._n_items),
        )
        return np.asarray(sp.csr_matrix(user_vectors @ self._matrix).toarray(), dtype=np.float32)

    def _arrays(self) -> dict[str, NDArray[Any]]:
        return {"neighbours": self._neighbours, "similarities": self._similarities}

    def _restore(self, n_items: int, arrays: dict[str, NDArray[Any]], folder: Path) -> None:
        neighbours, similarities = arrays.get("neighbours"), arrays.get("similarities")
        if neighbours is None or similarities is None or neighbours.shape != similarities.shape:
            raise SavedModelError(f"{folder}: item-kNN needs 'neighbours' and 'similarities' of one shape")
        if neighbours.shape[0] != n_items:
            raise SavedModelError(f"{folder}: neighbour rows {neighbours.shape[0]} != n_items {n_items}")
        self._set_state(n_items, neighbours.astype(np.int32), similarities.astype(np.float32))


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
