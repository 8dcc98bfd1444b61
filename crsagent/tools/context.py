"""What tools run against: the dataset, its SQL store, the candidate bus and the optional models."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from crsagent.data.catalog import Catalog
from crsagent.data.dataset import Dataset
from crsagent.data.item import Item
from crsagent.data.sqlstore import CatalogStore
from crsagent.tools.bus import CandidateBus
from crsagent.tools.vocabulary import Vocabulary

# Resolves free-text item names to catalog ids, best first (exact titles by default; the grounder
# replaces it when it is available).
TitleResolver = Callable[[str], list[str]]


def exact_title_resolver(catalog: Catalog) -> TitleResolver:
    """Names -> ids by normalised exact title only (no fuzzy matching)."""
    return lambda text: [item.id for item in catalog.find_by_title(text)]


@dataclass
class ToolContext:
    """Immutable resources (dataset, store, vocabulary) plus the per-conversation candidate bus."""

    dataset: Dataset
    store: CatalogStore
    bus: CandidateBus
    vocabulary: Vocabulary
    resolve_title: TitleResolver
    extras: dict[str, object] = field(default_factory=dict)

    @classmethod
    def create(cls, dataset: Dataset, cache_dir: Path | str | None = None) -> ToolContext:
        """A context with a fresh bus over the whole catalog."""
        catalog = dataset.catalog
        return cls(
            dataset=dataset,
            store=CatalogStore(catalog, cache_dir),
            bus=CandidateBus(len(catalog)),
            vocabulary=Vocabulary(catalog),
            resolve_title=exact_title_resolver(catalog),
        )

    @property
    def catalog(self) -> Catalog:
        """The dataset's catalog."""
        return self.dataset.catalog


def describe_item(item: Item, *, attribute_types: tuple[str, ...] = ("genre", "director", "tag")) -> str:
    """One line an LLM can read: id, title, a few attributes."""
    parts = [f"[{item.id}] {item.title}"]
    if item.year is not None and str(item.year) not in item.title:
        parts[0] += f" ({item.year})"
    facts = [f"{t}: {', '.join(item.values(t)[:4])}" for t in attribute_types if item.values(t)]
    if facts:
        parts.append("; ".join(facts))
    return " - ".join(parts)
