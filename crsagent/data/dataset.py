"""A dataset: a catalog, its interactions, and the train / valid / test splits."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from crsagent.data.catalog import Catalog
from crsagent.data.interactions import Interactions

SPLIT_NAMES = ("train", "valid", "test")


@dataclass(frozen=True, eq=False)
class Dataset:
    """Everything a recommender, a policy or an evaluation needs from one data source.

    ``interactions`` are the raw events (every MovieLens rating); ``positives`` those that count as
    liked; ``splits`` partition the positives. Models are fitted on ``splits["train"]`` only.
    """

    name: str
    catalog: Catalog
    interactions: Interactions
    positives: Interactions
    splits: dict[str, Interactions]
    source: Path | None = None
    description: str = ""
    notes: dict[str, str] = field(default_factory=dict)

    @property
    def is_demo(self) -> bool:
        """True for the built-in demo catalog, which has no real interactions."""
        return self.catalog.is_demo

    @property
    def user_ids(self) -> tuple[str, ...]:
        """External user ids; interaction arrays index into this."""
        return self.interactions.user_ids

    def split(self, name: str) -> Interactions:
        """One split by name, with an error that lists the ones that exist."""
        try:
            return self.splits[name]
        except KeyError:
            known = ", ".join(self.splits) or "none"
            raise KeyError(f"dataset {self.name!r} has no split {name!r} (it has: {known})") from None

    def __repr__(self) -> str:
        sizes = ", ".join(f"{k}={len(v)}" for k, v in self.splits.items())
        return f"Dataset({self.name!r}, {len(self.catalog)} items, {len(self.user_ids)} users, {sizes})"
