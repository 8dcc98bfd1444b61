"""EASE (Steck 2019): a closed-form item-item linear model with a zero diagonal."""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray
from pydantic import Field
from scipy.linalg.lapack import get_lapack_funcs

from crsagent.data.interactions import Interactions
from crsagent.errors import CrsAgentError
from crsagent.recommenders.base import RecommenderConfig
from crsagent.recommenders.base_model import BaseRecommender, SavedModelError

# Rows copied at a time when mirroring a triangle: bounds the temporary memory to block x n.
_MIRROR_BLOCK = 1024


class EASEConfig(RecommenderConfig):
    """EASE's single hyper-parameter, and how large a fit it takes on."""

    l2: float = Field(
        default=500.0,
        gt=0,
        description="lambda, the L2 penalty on the weights: larger is smoother (closer to popularity).",
    )
    max_items: int = Field(
        default=40_000,
        ge=1,
        description=(
            "Most items with train interactions EASE fits: its dense item x item matrix takes 4 bytes "
            "times their square (6.4 GB at 40,000). A larger train split is refused, naming item-kNN."
        ),
    )


def _mirror_lower_triangle(matrix: NDArray[np.float32]) -> None:
    """Copy the lower triangle onto the upper one in place, one block of rows at a time."""
    size = matrix.shape[0]
    for start in range(0, size, _MIRROR_BLOCK):
        stop = min(start + _MIRROR_BLOCK, size)
        block = matrix[start:stop, start:stop]
        matrix[start:stop, start:stop] = np.tril(block) + np.tril(block, -1).T
        matrix[start:stop, stop:] = matrix[stop:, start:stop].T


def ease_weights(gram: NDArray[np.float32], l2: float) -> NDArray[np.float32]:
    """B = I - P diag(1 / diag P) with P = (G + l2 I)^-1, computed in place of ``gram``.

    G + l2 I is symmetric positive definite, so a Cholesky inverse (LAPACK potrf / potri) does it
    in about half the time of a general inverse and needs no second n x n matrix. LAPACK works in
    Fortran order: the transpose of a C-ordered symmetric matrix is the same matrix in Fortran
    order, so either layout goes in without a copy, and the result's transpose is C-ordered (rows
    of B contiguous, which makes scoring a history a fast gather of rows).
    """
    gram[np.diag_indices_from(gram)] += l2
    cholesky, inverse_from_cholesky = get_lapack_funcs(("potrf", "potri"), (gram,))
    fortran = gram if gram.flags.f_contiguous else np.asfortranarray(gram.T)
    factor, info = cholesky(fortran, lower=False, overwrite_a=True, clean=False)
    if info != 0:
        raise np.linalg.LinAlgError(f"EASE: Cholesky factorisation failed (LAPACK info {info})")
    upper, info = inverse_from_cholesky(factor, lower=False, overwrite_c=True)
    if info != 0:
        raise np.linalg.LinAlgError(f"EASE: inverse failed (LAPACK info {info})")
    # potri fills the upper triangle of its Fortran-ordered output: the lower one of the transpose.
    inverse = upper.T
    _mirror_lower_triangle(inverse)
    diagonal = np.diag(inverse).copy()
    inverse /= -diagonal[np.newaxis, :]
    np.fill_diagonal(inverse, 0.0)
    return inverse


class EASE(BaseRecommender[EASEConfig]):
    """Score of item j = sum over history items i of B[i, j].

    Only items with a train interaction take part: an item never seen in train has an all-zero row
    and column of B (the closed form gives exactly that), so it scores 0 and the dense matrix is
    active x active (6,227^2 floats, 155 MB, on ml-latest-small instead of 9,742^2).
    """

    name: ClassVar[str] = "ease"
    config_class = EASEConfig

    def __init__(self, config: EASEConfig | None = None) -> None:
        super().__init__(config)
        self._active = np.zeros(0, dtype=np.int64)
        self._position = np.zeros(0, dtype=np.int64)
        self._weights = np.zeros((0, 0), dtype=np.float32)

    @property
    def weights(self) -> NDArray[np.float32]:
        """B restricted to the active items (rows and columns in ``active_items`` order)."""
        self._require_fitted()
        return self._weights

    @property
    def active_items(self) -> NDArray[np.int64]:
        """Catalog indices of the items seen in train, in B's row order."""
        self._require_fitted()
        return self._active

    def _fit(self, train: Interactions, n_items: int, valid: Interactions | None) -> None:
        del valid
        active = np.unique(train.items).astype(np.int64)
        if active.size > self.config.max_items:
            raise CrsAgentError(
                f"EASE over {active.size:,} items with train interactions needs a dense {active.size:,} x "
                f"{active.size:,} matrix ({4 * active.size**2 / 1e9:.1f} GB; max_items is "
                f"{self.config.max_items:,}): use item-kNN (--cf-model itemknn, AgentConfig(cf_model="
                "'itemknn')) or raise EASEConfig.max_items"
            )
        matrix = train.to_csr(n_items)[:, active]
        gram = np.asarray((matrix.T @ matrix).toarray(), dtype=np.float32)
        self._set_state(n_items, active, ease_weights(gram, self.config.l2))

    def _set_state(self, n_items: int, active: NDArray[np.int64], weights: NDArray[np.float32]) -> None:
        self._active = active
        self._weights = weights
        # Catalog index -> row of B, -1 for items never seen in train.
        self._position = np.full(n_items, -1, dtype=np.int64)
        self._position[active] = np.arange(len(active))

    def _rows(self, history: NDArray[np.int64]) -> NDArray[np.int64]:
        rows = self._position[history]
        # The user vector is binary, as in fitting: a repeated item counts once.
        return np.unique(rows[rows >= 0])

    def _score_history(self, history: NDArray[np.int64]) -> NDArray[np.float32]:
        scores = np.zeros(self._n_items, dtype=np.float32)
        rows = self._rows(history)
        if rows.size:
            scores[self._active] = self._weights[rows].sum(axis=0)
        return scores

    def _score_histories(self, histories: list[NDArray[np.int64]]) -> NDArray[np.float32]:
        # Sparse user vectors times B: the cost is (history items) x (active items), as one at a time.
        rows = [self._rows(history) for history in histories]
        pointers = np.r_[0, np.cumsum([len(r) for r in rows])]
        columns = np.concatenate(rows) if rows else np.zeros(0, dtype=np.int64)
        user_vectors = sp.csr_matrix(
            (np.ones(len(columns), dtype=np.float32), columns, pointers),
            shape=(len(histories), len(self._active)),
        )
        scores = np.zeros((len(histories), self._n_items), dtype=np.float32)
        scores[:, self._active] = user_vectors @ self._weights
        return scores

    def _arrays(self) -> dict[str, NDArray[Any]]:
        return {"active": self._active, "weights": self._weights}

    def _restore(self, n_items: int, arrays: dict[str, NDArray[Any]], folder: Path) -> None:
        active, weights = arrays.get("active"), arrays.get("weights")
        if active is None or weights is None or weights.shape != (len(active), len(active)):
            raise SavedModelError(f"{folder}: EASE needs 'active' and a square 'weights' array")
        self._set_state(n_items, active.astype(np.int64), weights.astype(np.float32))
