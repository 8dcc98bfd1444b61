from __future__ import annotations

import pickle

import numpy as np

from crsagent.knowledge_graph.features import AFFINITY_CACHE_BYTES, BoundedRows


def test_rows_leave_least_recently_used_first_within_the_byte_budget() -> None:
    rows: BoundedRows[np.ndarray] = BoundedRows(budget_bytes=3 * 80)
    for key in "abc":
        rows.put(key, np.zeros(10), 80)
    assert rows.get("a") is not None  # a is now the most recently used
    rows.put("d", np.zeros(10), 80)
    assert rows.get("b") is None and all(rows.get(k) is not None for k in "acd")
    rows.put("e", np.zeros(30), 240)  # alone fills the budget: everything older leaves
    assert [k for k in "acde" if rows.get(k) is not None] == ["e"]
    rows.put("f", np.zeros(40), 320)  # over the budget alone: still kept, as the newest
    assert rows.get("f") is not None and rows.get("e") is None


def test_pickles_keep_the_budget_not_the_rows_and_read_older_ones() -> None:
    rows: BoundedRows[np.ndarray] = BoundedRows(budget_bytes=1000)
    rows.put("a", np.zeros(10), 80)
    loaded = pickle.loads(pickle.dumps(rows))
    assert loaded.budget == 1000 and loaded.get("a") is None
    older = BoundedRows.__new__(BoundedRows)
    older.__setstate__({"capacity": 12})  # stored when the budget was a row count
    assert older.budget == AFFINITY_CACHE_BYTES
