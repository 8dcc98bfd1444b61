"""Grounding: a name someone wrote -> ranked catalog ids, or "not in catalog" (BIGRec-style bi-step).

Step one gathers candidates: canonical title keys (exact, prefix, containment, fuzzy; see
``grounding_index``) and the embedding nearest neighbours of the name. Step two scores every
candidate with the same features, so the signals can be weighed against each other:

    score = text + embedding_weight * cosine + year term + popularity_weight * popularity prior

``text`` is 1 for an exact key match, 0.85-0.95 for a name that starts a longer title, 0.8-0.9 for one
inside a longer title or a title inside a longer name (more for more of it covered), or the best
rapidfuzz ratio / token-sort ratio (0..1) when higher;
``cosine`` compares the name with the item's title document (exact nearest neighbours over the
vectors kept in memory); the year term, when the name gives a year, adds a bonus for the same year,
another (tuned to 0) for one year off (release years differ between sources) and subtracts a penalty
for two or more; the prior is log(1 + train positives), scaled to 0..1 over the catalog (BIGRec
re-weights by popularity). The best score under ``threshold`` means the name is not in the catalog.
Accuracy, latency and the tuning are in docs/results/grounding.md.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from crsagent.config import Settings
from crsagent.data.catalog import Catalog
from crsagent.data.titles import canonical_key, parse_title
from crsagent.errors import CrsAgentError
from crsagent.tools.embeddings import CatalogEmbedder, make_embedder
from crsagent.tools.grounding_index import TitleKeyIndex
from crsagent.tools.vector_index import VectorIndex, VectorIndexConfig

MAX_NAME_LENGTH = 500
MatchMethod = Literal["exact", "fuzzy", "embedding"]


class GroundingError(CrsAgentError):
    """A name that cannot be grounded at all (empty, too long, no letters or digits), or k < 1."""


class Match(BaseModel):
    """One catalog item a name may refer to."""

    model_config = ConfigDict(frozen=True)

    item_id: str = Field(description="Catalog id of the item.")
    title: str = Field(description="The item's catalog title.")
    score: float = Field(description="Combined score (see the module docstring); higher is better.")
    method: MatchMethod = Field(
        description="The strongest signal: 'exact' title key, 'fuzzy' spelling, or 'embedding'."
    )


class GroundingResult(BaseModel):
    """The ranked matches of one name, and whether the best of them is good enough to be it."""

    model_config = ConfigDict(frozen=True)

    query: str = Field(description="The name as given.")
    matches: list[Match] = Field(description="Best first; the nearest items even when not in catalog.")
    in_catalog: bool = Field(description="True when the best match scores at least the threshold.")

    @property
    def item_id(self) -> str | None:
        """The grounded id: the best match's when in catalog, else None."""
        return self.matches[0].item_id if self.in_catalog and self.matches else None


class GrounderConfig(BaseModel):
    """Weights, threshold and candidate limits.

    The defaults are those tuned for lexical signals alone; ``tuned_config`` gives the ones tuned
    with each embedder (its cosine term shifts the scores, so the threshold differs). All were tuned
    on the dev half of ReDial -> ml-latest-small (benchmarks/grounding.py, docs/results/grounding.md).
    """

    model_config = ConfigDict(frozen=True)

    embedding_weight: float = Field(default=0.0, ge=0.0, description="Weight of the cosine similarity.")
    year_match_bonus: float = Field(default=0.05, ge=0.0, description="Added when the years are equal.")
    year_near_bonus: float = Field(default=0.0, description="Added when the years are one apart.")
    year_mismatch_penalty: float = Field(
        default=0.2, ge=0.0, description="Subtracted when the years are two or more apart."
    )
    popularity_weight: float = Field(default=0.1, ge=0.0, description="Weight of the popularity prior.")
    threshold: float = Field(default=0.943, description="Best score below this: 'not in catalog'.")
    use_embedding: bool = Field(default=True, description="False: lexical signals only.")
    fuzzy_limit: int = Field(default=10, ge=1, le=200, description="Fuzzy candidates per query key.")
    fuzzy_cutoff: float = Field(
        default=60.0, ge=0.0, le=100.0, description="Least ratio of a fuzzy candidate."
    )
    lookup_limit: int = Field(
        default=30, ge=1, le=500, description="Most popular items kept per prefix / containment lookup."
    )
    embedding_limit: int = Field(default=10, ge=0, le=200, description="Embedding nearest neighbours.")


# Tuned with each embedder (by fingerprint) on the dev half; see GrounderConfig.
# The tuning chose the same weights for both; only the threshold differs.
_TUNED_WITH_EMBEDDER: dict[str, GrounderConfig] = {
    fingerprint: GrounderConfig(
        embedding_weight=0.3,
        year_match_bonus=0.05,
        year_near_bonus=0.0,
        year_mismatch_penalty=0.3,
        popularity_weight=0.05,
        threshold=threshold,
    )
    for fingerprint, threshold in (("hash512n3", 1.113), ("minilm-l6-v2", 1.135))
}


def tuned_config(vectors: VectorIndex | None) -> GrounderConfig:
    """The tuned configuration for these vectors' embedder (lexical-only defaults without vectors).

    An embedder that was never tuned gets its cosine ignored (weight 0) rather than untuned weights.
    """
    if vectors is None:
        return GrounderConfig(use_embedding=False)
    return _TUNED_WITH_EMBEDDER.get(vectors.embedder.fingerprint, GrounderConfig())


@dataclass(frozen=True)
class CandidateFeatures:
    """Step one's output for one name: candidates (catalog indices) and their features."""

    query: str
    year: int | None
    items: np.ndarray
    """Catalog indices of the candidates (int64)."""
    exact: np.ndarray
    """True where a query key equals an item key (bool)."""
    text: np.ndarray
    """1 for an exact key, else the best structural or spelling similarity, 0..1 (float64)."""
    embedding: np.ndarray
    """Cosine similarity of the name and the item's title document; 0 without vectors (float64)."""
    year_delta: np.ndarray
    """|query year - item year|; NaN when either is unknown (float64)."""
    popularity: np.ndarray
    """log(1 + popularity) scaled to 0..1 over the catalog (float64)."""


def score_candidates(features: CandidateFeatures, config: GrounderConfig) -> np.ndarray:
    """Step two: the combined score of every candidate under ``config``."""
    delta = features.year_delta
    known = ~np.isnan(delta)
    year_term = np.zeros_like(delta)
    year_term[known & (delta == 0)] = config.year_match_bonus
    year_term[known & (delta == 1)] = config.year_near_bonus
    year_term[known & (delta >= 2)] = -config.year_mismatch_penalty
    embedding_weight = config.embedding_weight if config.use_embedding else 0.0
    return (
        features.text
        + embedding_weight * features.embedding
        + year_term
        + config.popularity_weight * features.popularity
    )


def _query_keys(text: str) -> tuple[list[str], int | None]:
    if not text.strip():
        raise GroundingError("cannot ground an empty name")
    if len(text) > MAX_NAME_LENGTH:
        raise GroundingError(f"a name is at most {MAX_NAME_LENGTH} characters, got {len(text)}")
    parts = parse_title(text)
    keys = list(dict.fromkeys(key for key in map(canonical_key, parts.names) if key))
    if not keys:
        raise GroundingError(f"{text!r} has no letters or digits to match a title with")
    return keys, parts.year


class Grounder:
    """Grounds names to one catalog; build once per catalog (``Grounder.open`` adds the vectors)."""

    def __init__(
        self, catalog: Catalog, *, vectors: VectorIndex | None = None, config: GrounderConfig | None = None
    ) -> None:
        if vectors is not None and vectors.catalog is not catalog:
            raise GroundingError("the vector index was built for another catalog object")
        self.catalog = catalog
        self.vectors = vectors
        self.config = config or tuned_config(vectors)
        popularity = np.log1p(np.asarray([item.popularity for item in catalog], dtype=np.float64))
        top = popularity.max() if len(popularity) else 0.0
        self._prior = popularity / top if top > 0 else np.zeros_like(popularity)
        self._years = np.asarray(
            [np.nan if item.year is None else item.year for item in catalog], dtype=np.float64
        )
        self.keys = TitleKeyIndex(catalog, popularity=popularity)
        self._matrix = vectors.matrix() if vectors is not None else None

    @classmethod
    def open(
        cls,
        catalog: Catalog,
        *,
        settings: Settings | None = None,
        embedder: str | CatalogEmbedder = "auto",
        config: GrounderConfig | None = None,
    ) -> Grounder:
        """A grounder with its title vectors (built under the cache dir on first use, then reused).

        ``config=None`` takes the configuration tuned for the embedder (see ``tuned_config``).
        """
        if config is not None and not config.use_embedding:
            return cls(catalog, config=config)
        settings = settings or Settings()
        function = make_embedder(embedder) if isinstance(embedder, str) else embedder
        vectors = VectorIndex.open(
            catalog, function, cache_dir=settings.cache_dir, config=VectorIndexConfig(style="title")
        )
        return cls(catalog, vectors=vectors, config=config)

    def _candidates(self, keys: list[str], similarities: np.ndarray | None) -> tuple[set[int], set[int]]:
        config = self.config
        exact: set[int] = set()
        found: set[int] = set()
        for key in keys:
            exact |= self.keys.exact(key)
            found |= self.keys.prefixed(key, config.lookup_limit)
            found |= self.keys.containing(key, config.lookup_limit)
            found |= self.keys.inner_keys(key)
            found |= self.keys.fuzzy(key, config.fuzzy_limit, config.fuzzy_cutoff)
        if similarities is not None and config.embedding_limit > 0:
            limit = min(config.embedding_limit, len(similarities))
            found |= {int(i) for i in np.argpartition(-similarities, limit - 1)[:limit]}
        return exact, found | exact

    def _features(self, text: str, query_vector: np.ndarray | None) -> CandidateFeatures:
        keys, year = _query_keys(text)
        similarities = (
            self._matrix @ query_vector if self._matrix is not None and query_vector is not None else None
        )
        exact, candidates = self._candidates(keys, similarities)
        items = np.asarray(sorted(candidates), dtype=np.int64)
        is_exact = np.asarray([item in exact for item in items], dtype=bool)
        text_score = np.asarray(
            [
                1.0 if hit else self.keys.text_similarity(keys, int(item))
                for item, hit in zip(items, is_exact, strict=True)
            ],
            dtype=np.float64,
        )
        embedding = (
            similarities[items].astype(np.float64) if similarities is not None else np.zeros(len(items))
        )
        year_delta = np.abs(self._years[items] - year) if year is not None else np.full(len(items), np.nan)
        return CandidateFeatures(
            text, year, items, is_exact, text_score, embedding, year_delta, self._prior[items]
        )

    def _query_vectors(self, texts: Sequence[str]) -> list[np.ndarray | None]:
        if self.vectors is None or not self.config.use_embedding:
            return [None] * len(texts)
        return list(self.vectors.embed_queries(texts))

    def features(self, text: str) -> CandidateFeatures:
        """Step one for one name (the benchmark re-scores these under other configs)."""
        return self.features_many([text])[0]

    def features_many(self, texts: Sequence[str]) -> list[CandidateFeatures]:
        """Step one for several names, with one embedding batch."""
        for text in texts:
            _query_keys(text)  # validate before paying for an embedding
        vectors = self._query_vectors(texts)
        return [self._features(text, vector) for text, vector in zip(texts, vectors, strict=True)]

    def rank(
        self, features: CandidateFeatures, k: int = 5, config: GrounderConfig | None = None
    ) -> GroundingResult:
        """Step two: the top ``k`` candidates under ``config`` (default: this grounder's)."""
        if k < 1:
            raise GroundingError(f"k must be >= 1, got {k}")
        config = config or self.config
        scores = score_candidates(features, config)
        # Best score first; ties go to the more popular item, then to catalog order.
        order = np.lexsort((features.items, -features.popularity, -scores))[:k]
        matches = [
            Match(
                item_id=self.catalog.at(int(features.items[i])).id,
                title=self.catalog.at(int(features.items[i])).title,
                score=round(float(scores[i]), 6),
                method=_method(
                    bool(features.exact[i]), float(features.text[i]), float(features.embedding[i]), config
                ),
            )
            for i in order
        ]
        in_catalog = bool(matches) and matches[0].score >= config.threshold
        return GroundingResult(query=features.query, matches=matches, in_catalog=in_catalog)

    def ground(self, text: str, k: int = 5) -> GroundingResult:
        """The ``k`` best catalog matches of a name, and whether it is in the catalog."""
        return self.ground_many([text], k)[0]

    def ground_many(self, texts: Sequence[str], k: int = 5) -> list[GroundingResult]:
        """``ground`` for several names, embedding them in one batch."""
        return [self.rank(features, k) for features in self.features_many(texts)]


def _method(exact: bool, text: float, embedding: float, config: GrounderConfig) -> MatchMethod:
    if exact:
        return "exact"
    if config.use_embedding and config.embedding_weight > 0 and embedding > text:
        return "embedding"
    return "fuzzy"
