"""Full-ranking accuracy: Recall@k and NDCG@k of held-out items, with a fixed tie rule."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from crsagent.recommenders.base_model import Recommender


def target_ranks(
    scores: NDArray[np.floating], targets: NDArray[np.int64], exclude: NDArray[np.int64]
) -> NDArray[np.int64]:
    """1-based rank of each target among all items except ``exclude``, for one user.

    Higher score first; equal scores are ordered by lower item index (what a stable sort by
    descending score gives), so ties neither help nor hurt a model at random. The other targets
    stay in the ranking, as in a top-k list.
    """
    if np.isin(targets, exclude).any():
        clash = targets[np.isin(targets, exclude)].tolist()
        raise ValueError(f"targets {clash} are also excluded items: a held-out item cannot be in the history")
    ranked = np.ones(len(scores), dtype=bool)
    ranked[exclude] = False
    target_scores = scores[targets]
    above = (scores[np.newaxis, :] > target_scores[:, np.newaxis]) & ranked
    tied_before = (
        (scores[np.newaxis, :] == target_scores[:, np.newaxis])
        & ranked
        & (np.arange(len(scores))[np.newaxis, :] < targets[:, np.newaxis])
    )
    return 1 + above.sum(axis=1) + tied_before.sum(axis=1)


def recall_at(ranks: NDArray[np.int64], k: int) -> float:
    """Share of one user's targets ranked in the top k (hit@k for a single target)."""
    return float(np.mean(ranks <= k)) if len(ranks) else 0.0


def ndcg_at(ranks: NDArray[np.int64], k: int) -> float:
    """Binary-relevance NDCG@k of one user's targets (1 / log2(rank + 1) for a single target)."""
    gains = np.where(ranks <= k, 1.0 / np.log2(ranks + 1.0), 0.0).sum()
    ideal = (1.0 / np.log2(np.arange(2, min(k, len(ranks)) + 2))).sum()
    return float(gains / ideal) if ideal > 0 else 0.0


def evaluate_scores(
    scores: NDArray[np.floating],
    targets: Sequence[NDArray[np.int64]],
    exclude: Sequence[NDArray[np.int64]],
    *,
    cutoffs: Sequence[int] = (10, 20),
) -> dict[str, NDArray[np.float64]]:
    """Per-user ``recall@k`` and ``ndcg@k`` for each cutoff, from a users x items score matrix."""
    if not len(scores) == len(targets) == len(exclude):
        raise ValueError(f"{len(scores)} score rows, {len(targets)} target lists, {len(exclude)} exclusions")
    metrics = {f"{name}@{k}": np.zeros(len(scores)) for k in cutoffs for name in ("recall", "ndcg")}
    for user, (row, user_targets, user_exclude) in enumerate(zip(scores, targets, exclude, strict=True)):
        ranks = target_ranks(row, user_targets, user_exclude)
        for k in cutoffs:
            metrics[f"recall@{k}"][user] = recall_at(ranks, k)
            metrics[f"ndcg@{k}"][user] = ndcg_at(ranks, k)
    return metrics


def evaluate_model(
    model: Recommender,
    histories: Sequence[NDArray[np.int64]],
    targets: Sequence[NDArray[np.int64]],
    *,
    exclude: Sequence[NDArray[np.int64]] | None = None,
    cutoffs: Sequence[int] = (10, 20),
    batch_size: int = 512,
) -> dict[str, NDArray[np.float64]]:
    """Per-user metrics of a fitted model over all items, excluding each user's ``exclude`` items.

    ``exclude`` defaults to the histories (items a user already has are not recommended again).
    Users are scored ``batch_size`` at a time, so memory stays at batch_size x n_items floats.
    """
    excluded = histories if exclude is None else exclude
    parts: list[dict[str, NDArray[np.float64]]] = []
    for start in range(0, len(histories), batch_size):
        stop = start + batch_size
        scores = model.score_users(histories[start:stop])
        parts.append(evaluate_scores(scores, targets[start:stop], excluded[start:stop], cutoffs=cutoffs))
    if not parts:
        return {f"{name}@{k}": np.zeros(0) for k in cutoffs for name in ("recall", "ndcg")}
    return {name: np.concatenate([part[name] for part in parts]) for name in parts[0]}
