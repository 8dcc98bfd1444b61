"""Split builders and the per-item statistics derived from the train split."""

from __future__ import annotations

import itertools

import numpy as np
from numpy.typing import NDArray

from crsagent.data.interactions import Interactions


def temporal_leave_last_out(
    positives: Interactions, item_keys: NDArray[np.int64], *, min_positives: int = 3
) -> dict[str, Interactions]:
    """Per user, positives sorted by (timestamp, item key): last -> test, the one before -> valid.

    Users with fewer than ``min_positives`` positives keep all of them in train, so every valid or
    test user also has at least one train positive. ``item_keys`` is the tie-break per catalog index
    (MovieLens sorts by movieId, so it is the numeric movieId).
    """
    if positives.timestamps is None:
        raise ValueError("a temporal split needs timestamps")
    # lexsort sorts by the last key first: user, then timestamp, then item key.
    order = np.lexsort((item_keys[positives.items], positives.timestamps, positives.users))
    users = positives.users[order]
    position_from_end = np.zeros(len(order), dtype=np.int64)
    group_size = np.zeros(len(order), dtype=np.int64)
    if len(order):
        boundaries = np.flatnonzero(np.r_[True, users[1:] != users[:-1], True])
        for start, end in itertools.pairwise(boundaries.tolist()):
            position_from_end[start:end] = np.arange(end - start)[::-1]
            group_size[start:end] = end - start
    eligible = group_size >= min_positives
    test = order[eligible & (position_from_end == 0)]
    valid = order[eligible & (position_from_end == 1)]
    train = order[~eligible | (position_from_end >= 2)]
    # Keep the original row order inside each split (sorted indices into positives).
    return {
        "train": positives.subset(np.sort(train)),
        "valid": positives.subset(np.sort(valid)),
        "test": positives.subset(np.sort(test)),
    }


def train_popularity(train: Interactions, n_items: int) -> NDArray[np.float64]:
    """Positives per catalog index in the train split: the only popularity models may see."""
    return np.bincount(train.items, minlength=n_items).astype(np.float64)
