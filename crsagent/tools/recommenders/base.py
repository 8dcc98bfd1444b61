"""The protocol every recommender implements."""

from __future__ import annotations

from typing import Protocol, Self, runtime_checkable

import numpy as np
from numpy.typing import NDArray

from crsagent.data.interactions import Interactions


@runtime_checkable
class Recommender(Protocol):
    """A model fitted on train interactions that scores catalog items for a user's history.

    Items are catalog indices. ``score`` returns one float per candidate (every catalog item when
    ``candidates`` is None); higher is better. Unknown (out-of-range) items raise ``ValueError``; an
    empty history (a cold user) still returns finite scores.
    """

    name: str

    def fit(self, train: Interactions, n_items: int) -> Self:
        """Fit on ``train`` only (never valid / test pairs); returns self."""
        ...

    def score(
        self, history: NDArray[np.int64], candidates: NDArray[np.int64] | None = None
    ) -> NDArray[np.float32]:
        """Scores of ``candidates`` (or of all items) for a user whose liked items are ``history``."""
        ...
