"""Conditional logit: which candidate is the target, as a softmax over a linear score.

Each training group is one (conversation state, target): a features matrix of its candidates, the
target's row, and an optional fixed offset per candidate. The weights maximise the mean log
probability of the targets minus an L2 penalty (L-BFGS; the problem is convex).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import minimize

from crsagent.errors import CrsAgentError


@dataclass
class LogitGroups:
    """Training groups stacked into flat arrays (one row per candidate of every group)."""

    features: NDArray[np.float32]
    offsets: NDArray[np.float64]
    starts: NDArray[np.int64]
    targets: NDArray[np.int64]

    @classmethod
    def stack(
        cls,
        features: list[NDArray[np.float32]],
        targets: list[int],
        offsets: list[NDArray[np.float64]] | None = None,
    ) -> LogitGroups:
        """Groups from per-group candidate features and the target's row in each."""
        if not features:
            raise CrsAgentError("a conditional logit needs at least one training group")
        sizes = np.array([len(f) for f in features], dtype=np.int64)
        if (sizes == 0).any():
            raise CrsAgentError("a training group has no candidates")
        starts = np.r_[0, np.cumsum(sizes)[:-1]].astype(np.int64)
        rows = np.asarray(targets, dtype=np.int64)
        if ((rows < 0) | (rows >= sizes)).any():
            raise CrsAgentError("a target row lies outside its group")
        stacked_offsets = (
            np.zeros(int(sizes.sum())) if offsets is None else np.concatenate(offsets).astype(np.float64)
        )
        return cls(np.concatenate(features).astype(np.float32), stacked_offsets, starts, starts + rows)

    def loss_and_gradient(self, weights: NDArray[np.float64], l2: float) -> tuple[float, NDArray[np.float64]]:
        """Mean negative log-likelihood + l2 * |w|^2, and its gradient.

        The two big products run in float32 (the features' type; a float64 weight vector would
        copy the whole matrix to float64 on every call); sums and exponentials run in float64.
        """
        scores = (self.features @ weights.astype(np.float32)).astype(np.float64) + self.offsets
        group_max = np.maximum.reduceat(scores, self.starts)
        sizes = np.diff(np.r_[self.starts, len(scores)])
        shifted = np.exp(scores - np.repeat(group_max, sizes))
        normaliser = np.add.reduceat(shifted, self.starts)
        log_z = np.log(normaliser) + group_max
        probabilities = shifted / np.repeat(normaliser, sizes)
        loss = float(np.mean(log_z - scores[self.targets]) + l2 * weights @ weights)
        expected = (self.features.T @ probabilities.astype(np.float32)).astype(np.float64)
        observed = self.features[self.targets].sum(axis=0, dtype=np.float64)
        gradient = (expected - observed) / len(self.starts) + 2.0 * l2 * weights
        return loss, np.asarray(gradient, dtype=np.float64)


def fit_conditional_logit(
    groups: LogitGroups, *, l2: float, max_iterations: int = 500
) -> NDArray[np.float64]:
    """The weights that maximise the penalised likelihood of the targets."""
    start = np.zeros(groups.features.shape[1])
    result = minimize(
        lambda w: groups.loss_and_gradient(w, l2),
        start,
        jac=True,
        method="L-BFGS-B",
        options={"maxiter": max_iterations},
    )
    if not np.all(np.isfinite(result.x)):
        raise CrsAgentError(f"conditional logit fit diverged: {result.message}")
    return np.asarray(result.x, dtype=np.float64)


def sample_candidates(
    candidates: NDArray[np.int64], target: int, size: int, rng: np.random.Generator
) -> tuple[NDArray[np.int64], int, NDArray[np.float64]]:
    """At most ``size`` candidates: the target plus uniformly drawn others (sampled softmax).

    Each drawn candidate stands for (others / drawn) candidates, so it gets the offset
    log(others / drawn): the sampled normaliser estimates the full one. Returns the kept candidates
    (ascending), the target's row among them, and the offsets.
    """
    if candidates.size <= size:
        return candidates, int(np.searchsorted(candidates, target)), np.zeros(candidates.size)
    others = candidates[candidates != target]
    drawn = np.sort(rng.choice(others, size=size - 1, replace=False))
    kept = np.sort(np.r_[drawn, target])
    row = int(np.searchsorted(kept, target))
    offsets = np.full(kept.size, np.log(others.size / drawn.size))
    offsets[row] = 0.0
    return kept, row, offsets
