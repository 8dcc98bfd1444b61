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
    if len(interactions) == 0:
        return {}
    if interactions.timestamps is None:
        order = np.argsort(interactions.users, kind="stable")
    else:
        # lexsort sorts by the last key first: user, then timestamp; equal keys keep row order.
        order = np.lexsort((interactions.timestamps, interactions.users))
    users = interactions.users[order]
    items = interactions.items[order].astype(np.int64)
    starts = np.flatnonzero(np.r_[True, users[1:] != users[:-1]])
    ends = np.r_[starts[1:], len(users)]
    return {int(users[s]): items[s:e] for s, e in zip(starts.tolist(), ends.tolist(), strict=True)}


def targets_by_user(interactions: Interactions) -> dict[int, NDArray[np.int64]]:
    """User index -> the distinct items of a held-out split (the targets a ranking should find)."""
    return {user: np.unique(items) for user, items in user_sequences(interactions).items()}
