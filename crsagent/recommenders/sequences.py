"""Per-user item sequences in time order: the histories models are fitted on and scored with."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from crsagent.data.interactions import Interactions


def user_sequences(interactions: Interactions) -> dict[int, NDArray[np.int64]]:
    """User index -> item indices, oldest first.

    Ordered by timestamp where the interactions have timestamps (MovieLens), else by row order (the
    SCPR files have none). Ties in time keep row order (a stable sort), so MovieLens ratings given
    in the same second stay in file order.
    """
    if interactions.timestamps is not None:
        interactions = interactions.subset(np.argsort(interactions.timestamps, kind="stable"))
    return {user: items.astype(np.int64) for user, items in interactions.items_by_user().items()}


def targets_by_user(interactions: Interactions) -> dict[int, NDArray[np.int64]]:
    """User index -> the distinct items of a held-out split (the targets a ranking should find)."""
    return {user: np.unique(items) for user, items in user_sequences(interactions).items()}
