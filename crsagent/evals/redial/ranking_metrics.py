"""Recall@k, MRR@50 and NDCG@10 of single-target samples from the 1-based rank of each target
(None when it is not in the top 50)."""

from __future__ import annotations

import math
from collections.abc import Sequence

CUTOFFS = (1, 10, 50)
DEPTH = 50


def rank_of(target: str, ranking: Sequence[str]) -> int | None:
    """1-based position of ``target`` in the first ``DEPTH`` of ``ranking``."""
    for position, item_id in enumerate(ranking[:DEPTH], start=1):
        if item_id == target:
            return position
    return None


def ranking_metrics(ranks: Sequence[int | None], suffix: str = "") -> dict[str, float]:
    """The metrics over ``ranks`` (one per target); keys carry ``suffix`` ("_new")."""
    n = len(ranks)
    if n == 0:
        return {}
    metrics = {f"Recall@{k}{suffix}": sum(1 for r in ranks if r is not None and r <= k) / n for k in CUTOFFS}
    metrics[f"MRR@{DEPTH}{suffix}"] = sum(1.0 / r for r in ranks if r is not None) / n
    metrics[f"NDCG@10{suffix}"] = sum(1.0 / math.log2(r + 1) for r in ranks if r is not None and r <= 10) / n
    return metrics
