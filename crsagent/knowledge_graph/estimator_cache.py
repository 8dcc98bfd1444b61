"""A disk cache of fitted estimators, keyed on everything the fit reads.

Fitting takes seconds to tens of seconds (two item-kNN models, simulated conversations, two
conditional logits); a run that reuses the same catalog, train and valid pairs and config loads
the fitted estimator instead.
"""

from __future__ import annotations

import copy
import hashlib
from pathlib import Path

from crsagent.data.interactions import Interactions
from crsagent.knowledge_graph.estimator import EstimatorConfig, PreferenceEstimator
from crsagent.knowledge_graph.graph import KnowledgeGraph
from crsagent.pickle_cache import read_cached, write_cached

# Bump when the estimator's fitting or pickled layout changes.
ESTIMATOR_CACHE_VERSION = "1"


def data_digest(
    kg: KnowledgeGraph, train: Interactions, valid: Interactions, *, prefix: str = "", suffix: str = ""
) -> str:
    """Changes whenever the catalog or the train or valid pairs (what a fit reads) change, or the
    ``prefix`` / ``suffix`` hashed around them."""
    digest = hashlib.sha256((prefix + kg.catalog.content_hash).encode())
    for split in (train, valid):
        digest.update(split.users.tobytes())
        digest.update(b"|")
        digest.update(split.items.tobytes())
        digest.update(b"#")
    digest.update(suffix.encode())
    return digest.hexdigest()[:32]


def load_or_fit(
    kg: KnowledgeGraph,
    train: Interactions,
    valid: Interactions,
    config: EstimatorConfig,
    cache_dir: Path | None,
) -> PreferenceEstimator:
    """The cached estimator for these inputs, or a fresh fit (then cached) when there is none."""
    if cache_dir is None:
        return PreferenceEstimator.fit(kg, train, valid, config)
    key = data_digest(kg, train, valid, prefix=ESTIMATOR_CACHE_VERSION, suffix=config.model_dump_json())
    path = cache_dir / "estimators" / f"{kg.catalog.name}-{key}.pickle"
    cached = read_cached(path, PreferenceEstimator)
    if cached is not None:
        cached.kg = kg  # the same catalog (the key says so); share the caller's graph
        cached.prior.kg = kg
        cached.affinity.kg = kg
        return cached
    estimator = PreferenceEstimator.fit(kg, train, valid, config)
    write_cached(path, _without_graph(estimator))
    return estimator


def _without_graph(estimator: PreferenceEstimator) -> PreferenceEstimator:
    """A shallow copy to store: no graph (the catalog would be stored twice: the caller's graph is
    set again on load) and no per-user cache (a catalog-long matrix)."""
    prior = copy.copy(estimator.prior)
    affinity = copy.copy(estimator.affinity)
    stored = copy.copy(estimator)
    prior.kg = affinity.kg = stored.kg = None  # type: ignore[assignment]  # restored by load_or_fit
    stored.prior, stored.affinity = prior, affinity
    stored.forget_user()
    return stored
