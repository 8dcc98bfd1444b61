"""The estimator's belief about the target within the current candidates."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
from numpy.typing import NDArray

from crsagent.knowledge_graph.entries import Entries
from crsagent.knowledge_graph.graph import KnowledgeGraph


def binary_entropy(p: NDArray[np.float64]) -> NDArray[np.float64]:
    """Entropy in bits of a yes/no answer with P(yes) = p (0 at p = 0 or 1)."""
    # minimum/maximum: the same numbers as np.clip at a fraction of its call overhead (per turn).
    q = np.minimum(np.maximum(p, 1e-12), 1.0 - 1e-12)
    r = 1.0 - q
    entropy = -(q * np.log2(q) + r * np.log2(r))
    entropy[(p <= 1e-12) | (p >= 1.0 - 1e-12)] = 0.0  # in place: np.where costs more than the rest
    return entropy


@dataclass
class Belief:
    """A probability for each candidate being the target (softmax of the estimator's scores)."""

    kg: KnowledgeGraph
    candidates: NDArray[np.int64]
    log_scores: NDArray[np.float64]
    entries: Entries | None = field(default=None, repr=False)
    """The candidates' incidence entries when the scorer already gathered them."""
    counts: NDArray[np.float64] | None = field(default=None, repr=False)
    """The candidates' ``value_counts`` when the scorer kept them."""
    counted: NDArray[np.int64] | None = field(default=None, repr=False)
    """Positions of the candidates that the value sums (P(yes), counts) run over; None: all of them.
    On a large catalog a huge candidate set is summed over an evenly spaced sample
    (``LargeCatalogConfig.counted_candidates``)."""
    _prefix: NDArray[np.int64] | None = field(default=None, init=False, repr=False)

    @cached_property
    def probabilities(self) -> NDArray[np.float64]:
        """P(target = candidate), summing to 1 (empty when there are no candidates)."""
        if self.candidates.size == 0:
            return np.zeros(0)
        shifted = np.exp(self.log_scores - self.log_scores.max())
        return shifted / shifted.sum()

    @cached_property
    def order(self) -> NDArray[np.int64]:
        """Positions into ``candidates``, most probable first (ties: lower catalog index first)."""
        return np.lexsort((self.candidates, -self.log_scores))

    def top_positions(self, k: int) -> NDArray[np.int64]:
        """Positions of the ``k`` most probable candidates, best first (same ties as ``order``).

        A partial sort: most turns need the top list only, not the order of thousands of
        candidates (up to 512 candidates, one full sort costs less than a partition's extra steps).
        The longest prefix computed so far is kept, so a second, shorter request (the top list after
        the top two lists) costs nothing.
        """
        n = self.candidates.size
        k = min(k, n)
        if self._prefix is not None and self._prefix.size >= k:
            return self._prefix[:k]
        if k == n or n <= 512:
            prefix = self.order
        else:
            scores = self.log_scores
            threshold = np.partition(scores, n - k)[n - k]
            chosen = np.flatnonzero(scores >= threshold)
            prefix = chosen[np.lexsort((self.candidates[chosen], -scores[chosen]))][:k]
        self._prefix = prefix
        return prefix[:k]

    def top_items(self, k: int) -> tuple[int, ...]:
        """The ``k`` most probable candidates (catalog indices)."""
        return tuple(int(i) for i in self.candidates[self.top_positions(k)])

    def top_mass(self, k: int) -> float:
        """Probability that the target is among the ``k`` most probable candidates."""
        return float(self.probabilities[self.top_positions(k)].sum())

    @cached_property
    def _summed(self) -> tuple[NDArray[np.int64], Entries | None]:
        # Both value sums below run over the same items and gather their incidence entries once.
        if self.counted is not None:
            items = self.candidates[self.counted]
            return items, self.kg.entries(items)
        return self.candidates, self.entries if self.entries is not None else self.kg.entries(self.candidates)

    @cached_property
    def value_probability(self) -> NDArray[np.float64]:
        """Per value, P(the target carries it) = probability mass of the candidates that carry it."""
        items, entries = self._summed
        if self.counted is None:
            return self.kg.value_mass(items, self.probabilities, entries)
        sampled = self.probabilities[self.counted]
        return self.kg.value_mass(items, sampled / sampled.sum(), entries)

    @cached_property
    def value_counts(self) -> NDArray[np.float64]:
        """Per value, how many of the summed candidates carry it (all, unless ``counted``)."""
        if self.counts is not None:
            return self.counts
        items, entries = self._summed
        return self.kg.count_values(items, entries)

    def askable(self, asked: set[int]) -> NDArray[np.bool_]:
        """Values not asked yet that split the candidates (some carry it, some do not)."""
        counts = self.value_counts
        summed = self.candidates.size if self.counted is None else self.counted.size
        mask = (counts > 0) & (counts < summed)
        if asked:
            mask[list(asked)] = False
        return mask
