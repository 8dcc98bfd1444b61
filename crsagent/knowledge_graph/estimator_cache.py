"""A disk cache of fitted estimators, keyed on everything the fit reads.

Fitting takes seconds to tens of seconds (two item-kNN models, simulated conversations, two
conditional logits); a run that reuses the same catalog, train and valid pairs and config loads
the fitted estimator instead.
"""

from __future__ import annotations

import hashlib
import logging
import os
import pickle
import tempfile
from pathlib import Path

from crsagent.data.interactions import Interactions
from crsagent.knowledge_graph.estimator import EstimatorConfig, PreferenceEstimator
from crsagent.knowledge_graph.graph import KnowledgeGraph

logger = logging.getLogger(__name__)

# Bump when the estimator's fitting or pickled layout changes.
ESTIMATOR_CACHE_VERSION = "1"


def estimator_key(
    kg: KnowledgeGraph, train: Interactions, valid: Interactions, config: EstimatorConfig
) -> str:
    """Changes whenever the catalog, the train or valid pairs, or the config change."""
    digest = hashlib.sha256(ESTIMATOR_CACHE_VERSION.encode())
    digest.update(kg.catalog.content_hash.encode())
    for split in (train, valid):
        digest.update(split.users.tobytes())
        digest.update(b"|")
        digest.update(split.items.tobytes())
        digest.update(b"#")
    digest.update(config.model_dump_json().encode())
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
    path = cache_dir / "estimators" / f"{kg.catalog.name}-{estimator_key(kg, train, valid, config)}.pickle"
    if path.is_file():
        try:
            with path.open("rb") as handle:
                cached = pickle.load(handle)
        except (pickle.UnpicklingError, EOFError, AttributeError, ImportError) as error:
            logger.warning("estimator cache %s is unreadable (%s); fitting again", path, error)
        else:
            if isinstance(cached, PreferenceEstimator):
                cached.kg = kg  # the same catalog (the key says so); share the caller's graph
                cached.prior.kg = kg
                cached.affinity.kg = kg
                return cached
    estimator = PreferenceEstimator.fit(kg, train, valid, config)
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary_name = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    temporary = Path(temporary_name)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            pickle.dump(estimator, handle, protocol=pickle.HIGHEST_PROTOCOL)
        temporary.replace(path)
    finally:
        temporary.unlink(missing_ok=True)
    return estimator
