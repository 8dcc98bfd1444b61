"""What tools run against: the dataset, its SQL store, the candidate bus and the optional models."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from crsagent.data.catalog import Catalog
from crsagent.data.dataset import Dataset
from crsagent.data.item import Item
from crsagent.data.sqlstore import CatalogStore
from crsagent.tools.bus import CandidateBus
from crsagent.tools.vocabulary import Vocabulary

if TYPE_CHECKING:  # heavy optional parts: imported only by those who build them
    from crsagent.knowledge_graph.graph import KnowledgeGraph
    from crsagent.recommenders.base_model import Recommender
    from crsagent.tools.vector_index import VectorIndex

# Resolves free-text item names to catalog ids, best first (exact titles by default; the grounder
# replaces it when it is available).
TitleResolver = Callable[[str], list[str]]


@dataclass
class ToolContext:
    """Immutable resources (dataset, store, vocabulary) plus the per-conversation candidate bus."""

    dataset: Dataset
    store: CatalogStore
    bus: CandidateBus
    vocabulary: Vocabulary
    resolve_title: TitleResolver
    vectors: VectorIndex | None = None
    """Item embeddings: enables ``semantic_search``."""
    recommender: Recommender | None = None
    """A recommender fitted on the train split: enables ``rank_candidates``."""
    graph: KnowledgeGraph | None = None
    """The knowledge graph: enables ``similar_items`` (personalized PageRank)."""

    @classmethod
    def create(
        cls,
        dataset: Dataset,
        cache_dir: Path | str | None = None,
        *,
        resolve_title: TitleResolver | None = None,
        vectors: VectorIndex | None = None,
        recommender: Recommender | None = None,
        graph: KnowledgeGraph | None = None,
    ) -> ToolContext:
        """A context with a fresh bus over the whole catalog; names resolve by exact title by default."""
        catalog = dataset.catalog
        return cls(
            dataset=dataset,
            store=CatalogStore(catalog, cache_dir),
            bus=CandidateBus(len(catalog)),
            vocabulary=Vocabulary(catalog),
            resolve_title=resolve_title or (lambda text: [item.id for item in catalog.find_by_title(text)]),
            vectors=vectors,
            recommender=recommender,
            graph=graph,
        )

    def ids_for(self, item_ids: list[str], titles: list[str]) -> tuple[list[int], list[str]]:
        """Catalog indices of items named by id or title, and the titles that could not be placed."""
        indices = [self.catalog.index_of(item_id) for item_id in item_ids]
        unplaced = []
        for title in titles:
            found = self.resolve_title(title)
            if found:
                indices.append(self.catalog.index_of(found[0]))
            else:
                unplaced.append(title)
        return list(dict.fromkeys(indices)), unplaced

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
