"""Row-block products: the same bits as one sparse product, on the matrix's own arrays."""

from __future__ import annotations

import multiprocessing
import os
from typing import Any

import numpy as np
import pytest
import scipy.sparse as sp

from crsagent.knowledge_graph import row_blocks
from crsagent.knowledge_graph.row_blocks import RowBlocks


def _binary(rows: int, columns: int, seed: int) -> sp.csr_matrix:
    dense = np.random.default_rng(seed).random((rows, columns)) < 0.01
    return sp.csr_matrix(dense.astype(np.float64))


@pytest.mark.parametrize("threads", [2, 3, 4])
def test_blocks_multiply_bit_identically_on_shared_arrays(
    monkeypatch: pytest.MonkeyPatch, threads: int
) -> None:
    monkeypatch.setattr(row_blocks, "PARALLEL_ENTRIES", 1000)
    matrix = _binary(20_000, 300, seed=threads)
    blocks = RowBlocks(matrix, threads)
    assert len(blocks.blocks) == threads
    assert sum(block.get_shape()[0] for block in blocks.blocks) == blocks.n_rows
    # Each block holds about its share of the entries.
    assert max(block.nnz for block in blocks.blocks) < 1.1 * matrix.nnz / threads
    for block in blocks.blocks:  # views, not copies (scipy copies small views on construction)
        assert np.shares_memory(block.indices, matrix.indices)
        assert np.shares_memory(block.data, matrix.data)
    vector = np.random.default_rng(threads).normal(size=blocks.n_columns)
    assert np.array_equal(blocks @ vector, matrix @ vector)


def test_small_matrices_stay_one_product() -> None:
    matrix = _binary(500, 40, seed=0)
    blocks = RowBlocks(matrix, threads=4)
    assert blocks.blocks == [matrix]
    vector = np.arange(40, dtype=np.float64)
    assert np.array_equal(blocks @ vector, matrix @ vector)


def test_more_threads_than_rows_keeps_every_row_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(row_blocks, "PARALLEL_ENTRIES", 1)
    matrix = sp.csr_matrix(np.array([[1.0, 0.0, 1.0], [0.0, 1.0, 0.0]]))
    blocks = RowBlocks(matrix, threads=4)
    assert [block.get_shape()[0] for block in blocks.blocks] == [1, 1]
    assert np.array_equal(blocks @ np.array([1.0, 2.0, 3.0]), np.array([4.0, 2.0]))


def _product_in_child(blocks: RowBlocks, vector: np.ndarray, results: Any) -> None:
    results.put((blocks @ vector).tolist())


def test_a_forked_process_multiplies_with_threads_of_its_own(monkeypatch: pytest.MonkeyPatch) -> None:
    """Evaluation workers fork after the parent used the pool: their products must not hang."""
    monkeypatch.setattr(row_blocks, "PARALLEL_ENTRIES", 1000)
    matrix = _binary(5_000, 200, seed=1)
    blocks = RowBlocks(matrix, threads=2)
    vector = np.linspace(0.0, 1.0, 200)
    expected = blocks @ vector  # the parent's pool now has threads
    context = multiprocessing.get_context("fork")
    results = context.Queue()
    child = context.Process(target=_product_in_child, args=(blocks, vector, results))
    child.start()
    child.join(timeout=60)
    if child.is_alive():  # hung on the parent's threads
        child.kill()
    assert child.exitcode == 0
    assert np.array_equal(np.array(results.get(timeout=5)), expected)


def test_thread_count_without_cpu_affinity(monkeypatch: pytest.MonkeyPatch) -> None:
    """macOS and Windows have no sched_getaffinity: every core counts there."""
    monkeypatch.delattr(os, "sched_getaffinity", raising=False)
    monkeypatch.setattr(os, "cpu_count", lambda: 8)
    assert row_blocks.usable_cpus() == 8
    assert row_blocks.product_threads() == row_blocks.MAX_THREADS
    monkeypatch.setattr(os, "cpu_count", lambda: None)
    assert row_blocks.product_threads() == 1
