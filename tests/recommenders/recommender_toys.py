"""Tiny interaction sets built in code for the recommender tests, where the right answer is obvious."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from crsagent.data.interactions import Interactions
from crsagent.recommenders import (
    EASE,
    BaseRecommender,
    EASEConfig,
    ItemKNN,
    ItemKNNConfig,
    Popularity,
)

N_ITEMS = 12
# Item 11 occurs only in the held-out interactions; item 10 is a "hit" every train user has.
HELD_OUT_ONLY_ITEM = 11
POPULAR_ITEM = 10
TRAIN_USERS = 20
HELD_OUT_USERS = 30


def _user_ids(count: int) -> list[str]:
    return [f"u{index}" for index in range(count)]


def toy_train() -> Interactions:
    """Two taste groups walking their own cycle of five items, after the popular item 10.

    Even users: 10, then a run of 0 -> 1 -> 2 -> 3 -> 4 -> 0 ...; odd users: 10, then 5 -> ... -> 9.
    Rows are in time order (no timestamps), so sequential models see the cycles.
    """
    pairs: list[tuple[int, int]] = []
    for user in range(TRAIN_USERS):
        base = 0 if user % 2 == 0 else 5
        start = (user // 2) % 5
        pairs.append((user, POPULAR_ITEM))
        pairs.extend((user, base + (start + step) % 5) for step in range(3 + user % 3))
    return Interactions.from_pairs(_user_ids(TRAIN_USERS + HELD_OUT_USERS), pairs)


def toy_held_out() -> Interactions:
    """Thirty other users who each take item 0 and then item 11: 11 is seen nowhere else."""
    pairs: list[tuple[int, int]] = []
    for user in range(TRAIN_USERS, TRAIN_USERS + HELD_OUT_USERS):
        pairs.extend([(user, 0), (user, HELD_OUT_ONLY_ITEM)])
    return Interactions.from_pairs(_user_ids(TRAIN_USERS + HELD_OUT_USERS), pairs)


def concatenate(first: Interactions, second: Interactions) -> Interactions:
    """Rows of ``first`` then ``second`` (same user ids)."""
    return Interactions(
        first.user_ids,
        np.concatenate([first.users, second.users]),
        np.concatenate([first.items, second.items]),
    )


def _sasrec() -> BaseRecommender:
    from crsagent.recommenders.sasrec import SASRec, SASRecConfig

    config = SASRecConfig(
        max_len=8,
        hidden_size=16,
        n_layers=1,
        dropout=0.1,
        loss="ce",
        learning_rate=0.01,
        batch_size=16,
        max_epochs=40,
        fit_threads=1,
        seed=3,
    )
    return SASRec(config)


# One factory per model, each with settings that suit the toy data (and keep the suite fast).
MODEL_FACTORIES: dict[str, Callable[[], BaseRecommender]] = {
    "popularity": Popularity,
    "itemknn": lambda: ItemKNN(ItemKNNConfig(k=5)),
    "ease": lambda: EASE(EASEConfig(l2=1.0)),
    "sasrec": _sasrec,
}
