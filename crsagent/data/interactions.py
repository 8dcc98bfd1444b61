"""User-item interactions as parallel numpy arrays, and the splits built from them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray


@dataclass(frozen=True, eq=False)
class Interactions:
    """Parallel arrays, one row per (user, item) event.

    ``users`` index into ``user_ids`` (shared by every split of a dataset); ``items`` are catalog
    indices. ``ratings`` and ``timestamps`` are ``None`` for implicit data without them.
    """

    user_ids: tuple[str, ...]
    users: NDArray[np.int32]
    items: NDArray[np.int32]
    ratings: NDArray[np.float32] | None = None
    timestamps: NDArray[np.int64] | None = None

    def __post_init__(self) -> None:
        n = len(self.users)
        for name in ("items", "ratings", "timestamps"):
            column = getattr(self, name)
            if column is not None and len(column) != n:
                raise ValueError(f"Interactions.{name} has {len(column)} rows, users has {n}")

    @classmethod
    def from_pairs(
        cls,
        user_ids: Sequence[str],
        pairs: Sequence[tuple[int, int]],
    ) -> Interactions:
        """Implicit interactions from (user index, item index) pairs, kept in the given order."""
        array = np.asarray(pairs, dtype=np.int32).reshape(-1, 2)
        return cls(tuple(user_ids), array[:, 0].copy(), array[:, 1].copy())

    def __len__(self) -> int:
        return len(self.users)

    @property
    def n_users(self) -> int:
        """Distinct users with at least one row here."""
        return int(np.unique(self.users).size)

    @property
    def n_items(self) -> int:
        """Distinct items with at least one row here."""
        return int(np.unique(self.items).size)

    def subset(self, mask: NDArray[np.bool_] | NDArray[np.intp]) -> Interactions:
        """The rows selected by a boolean mask or an index array, order kept."""
        return Interactions(
            self.user_ids,
            self.users[mask],
            self.items[mask],
            None if self.ratings is None else self.ratings[mask],
            None if self.timestamps is None else self.timestamps[mask],
        )

    def pairs(self) -> list[tuple[int, int]]:
        """(user index, item index) rows in order: one CPR evaluation episode each."""
        return list(zip(self.users.tolist(), self.items.tolist(), strict=True))

    def items_by_user(self) -> dict[int, NDArray[np.int32]]:
        """User index -> item indices in row order."""
        if len(self.users) == 0:
            return {}
        order = np.argsort(self.users, kind="stable")
        users = self.users[order]
        items = self.items[order]
        starts = np.flatnonzero(np.r_[True, users[1:] != users[:-1]])
        ends = np.r_[starts[1:], len(users)]
        return {int(users[s]): items[s:e] for s, e in zip(starts, ends, strict=True)}

    def to_csr(self, n_items: int) -> sp.csr_matrix:
        """Binary user x item matrix (duplicates count once), shape (len(user_ids), n_items)."""
        data = np.ones(len(self), dtype=np.float32)
        matrix = sp.csr_matrix(
            (data, (self.users, self.items)), shape=(len(self.user_ids), n_items), dtype=np.float32
        )
        matrix.data[:] = 1.0
        return matrix
