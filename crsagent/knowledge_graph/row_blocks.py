"""Products of a large CSR matrix with a vector, in row blocks on threads, bit-identical to one product.

A catalog-wide product at a million items reads ~300 MB (26M entries) and is bound by one core's
memory bandwidth: ~30 ms. scipy's sparse kernels release the GIL, so row blocks of about equal
entries run side by side (2 cores: ~16 ms). Each row's sum is the same sequence of additions as in
the single product, so the result is bit-identical and no figure moves.
"""

from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

# Below this many entries one product is cheaper than handing blocks to threads (~50 us).
PARALLEL_ENTRIES = 4_000_000
# More threads than this gain nothing on memory-bound products.
MAX_THREADS = 4

_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()


def usable_cpus() -> int:
    """The CPUs this process may use (its affinity on Linux, else every core)."""
    try:
        return max(len(os.sched_getaffinity(0)), 1)
    except AttributeError:  # not on Linux
        return max(os.cpu_count() or 1, 1)


def product_threads() -> int:
    """Threads a large product is split over: the usable CPUs, at most ``MAX_THREADS``."""
    return min(MAX_THREADS, usable_cpus())


def _forget_pool() -> None:
    # A forked child (process-pool evaluation workers) has none of its parent's threads: the
    # parent's executor would take work that no thread ever runs.
    global _pool, _pool_lock
    _pool, _pool_lock = None, threading.Lock()


if hasattr(os, "register_at_fork"):  # no fork (and no such hook) on Windows
    os.register_at_fork(after_in_child=_forget_pool)


def _shared_pool() -> ThreadPoolExecutor:
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(max_workers=product_threads(), thread_name_prefix="crsagent-product")
        return _pool


def csr_on(
    indptr: NDArray[np.int32 | np.int64],
    indices: NDArray[np.int32 | np.int64],
    data: NDArray[Any],
    shape: tuple[int, int],
) -> sp.csr_matrix:
    """A CSR matrix on exactly these arrays (views stay views).

    The arrays are set after construction: scipy's constructor copies a view holding less than
    half of its base array (0.3 GB more at a million items).
    """
    matrix = sp.csr_matrix(shape, dtype=data.dtype)
    matrix.indptr, matrix.indices, matrix.data = indptr, indices, data
    return matrix


class RowBlocks:
    """``matrix @ vector`` over row blocks of about equal entries, each block on its own thread."""

    def __init__(self, matrix: sp.csr_matrix, threads: int | None = None) -> None:
        self.matrix = matrix
        self.n_rows, self.n_columns = int(matrix.indptr.size - 1), int(matrix.get_shape()[1])
        threads = product_threads() if threads is None else threads
        blocks = 1 if matrix.nnz < PARALLEL_ENTRIES else threads
        # Block b starts at the first row whose entries begin at or after b/blocks of all entries.
        bounds = np.searchsorted(matrix.indptr, np.linspace(0, matrix.nnz, blocks + 1)[1:-1], side="left")
        self.bounds = [0, *sorted(set(int(b) for b in bounds) - {0, self.n_rows}), self.n_rows]
        pairs = zip(self.bounds[:-1], self.bounds[1:], strict=True)
        self.blocks = [matrix] if blocks == 1 else [self._view(start, end) for start, end in pairs]

    def _view(self, start: int, end: int) -> sp.csr_matrix:
        """Rows ``start:end`` on the matrix's own arrays: only the shifted row pointers are new memory."""
        indptr = self.matrix.indptr
        return csr_on(
            indptr[start : end + 1] - indptr[start],
            self.matrix.indices[indptr[start] : indptr[end]],
            self.matrix.data[indptr[start] : indptr[end]],
            (end - start, self.n_columns),
        )

    def __matmul__(self, vector: NDArray[np.float64]) -> NDArray[np.float64]:
        if len(self.blocks) == 1:
            return np.asarray(self.matrix @ vector, dtype=np.float64)
        result = np.empty(self.n_rows)

        def run(block: int) -> None:
            result[self.bounds[block] : self.bounds[block + 1]] = self.blocks[block] @ vector

        for future in [_shared_pool().submit(run, block) for block in range(len(self.blocks))]:
            future.result()
        return result
