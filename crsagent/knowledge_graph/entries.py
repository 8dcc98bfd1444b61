"""The incidence rows of some items, and the per-turn sums over them.

Small gatherings sum with ``np.bincount``; large ones as sparse products (3-5x faster per entry,
but a scipy matrix costs ~13 us to build and its transpose ~12 us a product: a CPR episode's few
hundred candidates would pay that on every turn). Both sum each row, and each value, in the same
order (items ascending, a row's values ascending), so the results are bit-identical.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from crsagent.knowledge_graph.row_blocks import csr_on

# At or above this many entries the sums run as sparse products.
SPARSE_ENTRIES = 16_384

Index = NDArray[np.int32 | np.int64]  # int32 unless the incidence outgrows it


@dataclass
class Entries:
    """The incidence rows of ascending items, in their order: row i holds the i-th item's values."""

    indptr: Index
    """Row i's values are ``values[indptr[i]:indptr[i + 1]]``."""
    values: Index
    """Value ids, ascending within a row."""
    ones: NDArray[Any]
    """The incidence's own data (all ones), at least as long as ``values``: the sparse products' data."""
    n_values: int

    @property
    def n_rows(self) -> int:
        """How many items."""
        return self.indptr.size - 1

    @property
    def nbytes(self) -> int:
        """Memory held of its own (``ones`` is the incidence's)."""
        return int(self.indptr.nbytes + self.values.nbytes)

    @cached_property
    def _sparse(self) -> bool:
        return self.values.size >= SPARSE_ENTRIES

    @cached_property
    def _positions(self) -> NDArray[np.int64]:
        # The row of each entry, for the bincounts.
        return np.repeat(np.arange(self.n_rows, dtype=np.int64), np.diff(self.indptr))

    @cached_property
    def matrix(self) -> sp.csr_matrix:
        """The rows as a CSR matrix on the same arrays."""
        return csr_on(self.indptr, self.values, self.ones[: self.values.size], (self.n_rows, self.n_values))

    def item_sums(self, per_value: NDArray[np.float64]) -> NDArray[np.float64]:
        """Per row, the sum of ``per_value`` over its values."""
        if self._sparse:
            return np.asarray(self.matrix @ per_value, dtype=np.float64)
        sums = np.bincount(self._positions, weights=per_value[self.values], minlength=self.n_rows)
        return np.asarray(sums, dtype=np.float64)  # already float64 (weighted); for the type checker

    def value_mass(self, weights: NDArray[np.float64]) -> NDArray[np.float64]:
        """Per value, the summed ``weights`` (one per row) of the rows that hold it."""
        if self._sparse:
            return np.asarray(self.matrix.T @ weights, dtype=np.float64)
        sums = np.bincount(self.values, weights=weights[self._positions], minlength=self.n_values)
        return np.asarray(sums, dtype=np.float64)

    def counts(self) -> NDArray[np.float64]:
        """Per value, how many rows hold it (whole numbers: exact either way)."""
        if self._sparse:
            return self.value_mass(np.ones(self.n_rows))
        return np.bincount(self.values, minlength=self.n_values).astype(np.float64)
