"""A persistent Chroma collection of a catalog's item documents, with metadata filters.

Built once per (catalog content, embedder, document style) and cached under
``<cache_dir>/vectors/``: the collection name carries the catalog's ``content_hash`` and the
embedder's fingerprint, so a changed catalog or embedder opens (and builds) a new collection and
the stale ones of the same catalog are deleted. An interrupted build leaves fewer vectors than items
and is rebuilt on the next open.

Metadata (Chroma values are scalars): ``year`` (int), ``popularity`` (float), and one boolean flag
per attribute value, keyed ``"<type>=<value>"`` (``"genre=Comedy": True``); ``where_attributes``
builds filters from them.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, Literal

import chromadb
import numpy as np
from chromadb.api import ClientAPI
from chromadb.api.models.Collection import Collection
from chromadb.config import Settings as ChromaSettings
from chromadb.utils.embedding_functions import register_embedding_function
from pydantic import BaseModel, ConfigDict, Field

from crsagent.data.candidates import Candidates
from crsagent.data.catalog import Catalog
from crsagent.data.item import Item
from crsagent.data.titles import display_title
from crsagent.errors import CrsAgentError
from crsagent.tools.embeddings import CatalogEmbedder, EmbedderUnavailableError, embedder_from_fingerprint

logger = logging.getLogger(__name__)

DocumentStyle = Literal["full", "title"]
# Attribute types already in the document's title line; not repeated as text.
_TITLE_ATTRIBUTES = frozenset({"year", "decade"})
_SLUG = re.compile(r"[^a-z0-9]+")


class VectorIndexError(CrsAgentError):
    """Bad input to the vector index (empty text, k < 1, a malformed filter)."""


class VectorIndexConfig(BaseModel):
    """How item documents are written and added."""

    model_config = ConfigDict(frozen=True)

    style: DocumentStyle = Field(
        default="full",
        description="'full': title, attributes and plot (semantic search); 'title': the names alone "
        "(grounding, where a plot would dilute the match of a name).",
    )
    batch_size: int = Field(
        default=256, ge=1, le=5000, description="Items embedded and added per Chroma call."
    )


def attribute_key(attribute_type: str, value: str) -> str:
    """Metadata key of one attribute value's flag: ``attribute_key("genre", "Comedy") == "genre=Comedy"``."""
    return f"{attribute_type}={value}"


def where_attributes(
    attributes: dict[str, list[str]] | None = None,
    *,
    year_min: int | None = None,
    year_max: int | None = None,
) -> dict[str, Any] | None:
    """A Chroma ``where`` filter: every listed value (AND) and the year range; None when empty."""
    clauses: list[dict[str, Any]] = [
        {attribute_key(attribute_type, value): True}
        for attribute_type, values in (attributes or {}).items()
        for value in values
    ]
    if year_min is not None:
        clauses.append({"year": {"$gte": year_min}})
    if year_max is not None:
        clauses.append({"year": {"$lte": year_max}})
    if not clauses:
        return None
    return clauses[0] if len(clauses) == 1 else {"$and": clauses}


def item_document(item: Item, style: DocumentStyle = "full") -> str:
    """The text embedded for an item: its names (and, in 'full' style, attributes and plot)."""
    title = display_title(item.title)
    if item.year is not None and f"({item.year})" not in title:
        title = f"{title} ({item.year})"
    if style == "title":
        return title
    lines = [title]
    for attribute_type, values in item.attributes.items():
        if attribute_type not in _TITLE_ATTRIBUTES and values:
            lines.append(f"{attribute_type.capitalize()}: {', '.join(values)}.")
    if item.text:
        lines.append(item.text)
    return "\n".join(lines)


def item_metadata(item: Item) -> dict[str, str | int | float | bool]:
    """Scalar metadata for filters: year, popularity and one flag per attribute value."""
    metadata: dict[str, str | int | float | bool] = {"popularity": float(item.popularity)}
    if item.year is not None:
        metadata["year"] = item.year
    for attribute_type, values in item.attributes.items():
        if attribute_type == "year":
            continue
        for value in values:
            metadata[attribute_key(attribute_type, value)] = True
    return metadata


def collection_name(catalog: Catalog, embedder: CatalogEmbedder, style: DocumentStyle) -> str:
    """``<catalog>-<style>-<embedder>-<hash>``: at most 63 characters (Chroma's limit)."""
    return f"{_collection_prefix(catalog, embedder, style)}{catalog.content_hash[:16]}"


def _collection_prefix(catalog: Catalog, embedder: CatalogEmbedder, style: DocumentStyle) -> str:
    slug = _SLUG.sub("-", catalog.name.lower()).strip("-")[:24] or "catalog"
    return f"{slug}-{style}-{embedder.fingerprint}-"


def built_fingerprints(catalog: Catalog, style: DocumentStyle, cache_dir: Path) -> list[str]:
    """Fingerprints of the embedders this catalog's ``style`` index is built with (complete ones only),
    read from the collections' own metadata: a query must embed with the embedder of the index."""
    client = chroma_client(cache_dir)
    fingerprints = []
    for collection in client.list_collections():
        metadata = collection.metadata or {}
        if (
            metadata.get("content_hash") == catalog.content_hash
            and metadata.get("style") == style
            and isinstance(metadata.get("embedder"), str)
            and collection.count() == len(catalog)
        ):
            fingerprints.append(str(metadata["embedder"]))
    return sorted(fingerprints)


def built_index(catalog: Catalog, cache_dir: Path, style: DocumentStyle = "full") -> VectorIndex | None:
    """The catalog's ``style`` index if one was built (``crsagent index build``), opened without
    building anything: MiniLM's when there are two, one whose embedder loads here otherwise; None
    when there is none (an agent does not embed a catalog on its own)."""
    if not (cache_dir / "vectors").is_dir():
        return None
    for fingerprint in sorted(
        built_fingerprints(catalog, style, cache_dir), key=lambda f: not f.startswith("minilm")
    ):
        try:
            embedder = embedder_from_fingerprint(fingerprint)
        except EmbedderUnavailableError as error:  # built with the ml extra, which is not here now
            logger.info("vector index %s of %s left unused: %s", fingerprint, catalog.name, error)
            continue
        return VectorIndex.open(catalog, embedder, cache_dir=cache_dir, config=VectorIndexConfig(style=style))
    return None


def chroma_client(cache_dir: Path) -> ClientAPI:
    """The persistent Chroma client of ``<cache_dir>/vectors/`` (telemetry off).

    Chroma allows one set of settings per folder and process: open the folder through here only.
    """
    folder = cache_dir / "vectors"
    folder.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(folder), settings=ChromaSettings(anonymized_telemetry=False))


def _batches(count: int, size: int) -> Iterator[range]:
    for start in range(0, count, size):
        yield range(start, min(start + size, count))


class VectorIndex:
    """Nearest-neighbour search over one catalog's item documents (open with ``VectorIndex.open``)."""

    def __init__(
        self,
        collection: Collection,
        catalog: Catalog,
        embedder: CatalogEmbedder,
        config: VectorIndexConfig,
        *,
        build_seconds: float | None,
    ) -> None:
        self.collection = collection
        self.catalog = catalog
        self.embedder = embedder
        self.config = config
        self.build_seconds = build_seconds
        """Seconds the build took when ``open`` built the collection; None when it was cached."""
        self._matrix: np.ndarray | None = None

    @classmethod
    def open(
        cls,
        catalog: Catalog,
        embedder: CatalogEmbedder,
        *,
        cache_dir: Path,
        config: VectorIndexConfig | None = None,
        rebuild: bool = False,
        progress: Callable[[int, int], None] | None = None,
    ) -> VectorIndex:
        """The cached collection for this catalog and embedder, built first when absent or stale."""
        config = config or VectorIndexConfig()
        if len(catalog) == 0:
            raise VectorIndexError(f"catalog {catalog.name!r} is empty: nothing to index")
        # A stored collection names its embedding function; Chroma must know the class to reopen it.
        register_embedding_function(type(embedder))
        client = chroma_client(cache_dir)
        name = collection_name(catalog, embedder, config.style)
        prefix = _collection_prefix(catalog, embedder, config.style)
        existing = {collection.name for collection in client.list_collections()}
        for stale in sorted(n for n in existing if n.startswith(prefix) and n != name):
            logger.info("deleting stale vector collection %s", stale)
            client.delete_collection(stale)
        if name in existing and not rebuild:
            collection = client.get_collection(name, embedding_function=embedder)  # pyright: ignore[reportArgumentType]
            if collection.count() == len(catalog):
                return cls(collection, catalog, embedder, config, build_seconds=None)
            logger.warning("vector collection %s is incomplete; rebuilding it", name)
        if name in existing:
            client.delete_collection(name)
        start = time.perf_counter()
        collection = client.create_collection(
            name,
            embedding_function=embedder,  # pyright: ignore[reportArgumentType]
            configuration={"hnsw": {"space": "cosine"}},
            metadata={
                "catalog": catalog.name,
                "content_hash": catalog.content_hash,
                "embedder": embedder.fingerprint,
                "style": config.style,
            },
        )
        index = cls(collection, catalog, embedder, config, build_seconds=None)
        index._add_all(progress)
        index.build_seconds = time.perf_counter() - start
        logger.info("built %s (%d items) in %.1f s", name, len(catalog), index.build_seconds)
        return index

    def _add_all(self, progress: Callable[[int, int], None] | None) -> None:
        items = self.catalog.items
        for batch in _batches(len(items), self.config.batch_size):
            chunk = [items[i] for i in batch]
            documents = [item_document(item, self.config.style) for item in chunk]
            self.collection.add(
                ids=[item.id for item in chunk],
                documents=documents,
                embeddings=self.embedder.embed(documents),
                metadatas=[item_metadata(item) for item in chunk],  # pyright: ignore[reportArgumentType]
            )
            if progress is not None:
                progress(batch.stop, len(items))

    @property
    def name(self) -> str:
        return self.collection.name

    def __len__(self) -> int:
        return self.collection.count()

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        """Unit query vectors, one row per text."""
        for text in texts:
            if not text.strip():
                raise VectorIndexError("cannot search for an empty text")
        return self.embedder.embed(list(texts))

    def search(self, text: str, k: int = 10, where: dict[str, Any] | None = None) -> Candidates:
        """The ``k`` items nearest to ``text`` with their cosine similarity, best first."""
        return self.search_many([text], k, where)[0]

    def search_many(
        self, texts: Sequence[str], k: int = 10, where: dict[str, Any] | None = None
    ) -> list[Candidates]:
        """``search`` for several texts at once (one embedding batch, one Chroma query)."""
        if k < 1:
            raise VectorIndexError(f"k must be >= 1, got {k}")
        if not texts:
            return []
        vectors = self.embed_queries(texts)
        try:
            result = self.collection.query(
                query_embeddings=vectors,
                n_results=min(k, len(self.catalog)),
                where=where,  # pyright: ignore[reportArgumentType]
                include=["distances"],
            )
        except ValueError as error:  # Chroma rejects malformed filters with ValueError
            raise VectorIndexError(f"bad filter {where!r}: {error}") from None
        distances = result["distances"] or [[] for _ in texts]
        # Chroma answers in catalog ids, nearest first; the code passes catalog indices.
        return [
            Candidates.from_lists(
                [self.catalog.index_of(item_id) for item_id in ids], [1.0 - float(d) for d in row]
            )
            for ids, row in zip(result["ids"], distances, strict=True)
        ]

    def matrix(self) -> np.ndarray:
        """Every item's stored vector, in catalog order (read from Chroma once, then kept)."""
        if self._matrix is None:
            ids = self.catalog.ids
            rows: dict[str, Any] = {}
            for batch in _batches(len(ids), 2000):
                got = self.collection.get(ids=[ids[i] for i in batch], include=["embeddings"])
                embeddings = got["embeddings"]
                if embeddings is None:
                    raise VectorIndexError(f"collection {self.name} returned no embeddings")
                rows.update(zip(got["ids"], embeddings, strict=True))
            missing = [item_id for item_id in ids if item_id not in rows]
            if missing:
                raise VectorIndexError(
                    f"collection {self.name} lacks {len(missing)} item(s), e.g. {missing[:3]}; "
                    "open it with rebuild=True"
                )
            self._matrix = np.asarray([rows[item_id] for item_id in ids], dtype=np.float32)
        return self._matrix
