"""Recommenders by name (registered in ``crsagent.registry``): build one from a typed (or plain dict)
config, or load a saved one."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from crsagent.data.dataset import Dataset
from crsagent.recommenders.base import RecommenderConfig
from crsagent.recommenders.base_model import MANIFEST_FILE, BaseRecommender, read_manifest
from crsagent.registry import RECOMMENDERS


def recommender_class(name: str) -> type[BaseRecommender[Any]]:
    """The model class registered under ``name``; an unknown name lists the known ones."""
    model_class: Any = RECOMMENDERS.get(name).factory()
    return model_class


def make_recommender(
    name: str, config: RecommenderConfig | Mapping[str, Any] | None = None
) -> BaseRecommender[Any]:
    """An unfitted model: ``make_recommender("ease", {"l2": 200})``.

    A mapping is validated against the model's config class; a wrong or unknown field raises a
    ``ValueError`` that names it.
    """
    model_class = recommender_class(name)
    if config is None or isinstance(config, RecommenderConfig):
        return model_class(config)
    typed = RECOMMENDERS.get(name).settings(config)
    assert isinstance(typed, RecommenderConfig)
    return model_class(typed)


def load_recommender(folder: Path | str) -> BaseRecommender[Any]:
    """Whatever model ``save`` wrote to ``folder`` (its manifest names the model)."""
    manifest = read_manifest(Path(folder))
    return recommender_class(manifest.model).load(folder)


def fitted_recommender(dataset: Dataset, name: str, cache_dir: Path) -> BaseRecommender[Any]:
    """``name`` fitted on ``dataset``'s train split with its default config, cached under
    ``cache_dir`` (keyed on the catalog and the train split, so a changed dataset refits)."""
    train = dataset.splits.get("train")
    if train is None or len(train) == 0:
        raise ValueError(f"{dataset.name} has no train split to fit {name!r} on")
    digest = hashlib.sha256(dataset.catalog.content_hash.encode())
    digest.update(np.ascontiguousarray(train.users).tobytes())
    digest.update(np.ascontiguousarray(train.items).tobytes())
    folder = cache_dir / "recommenders" / f"{name}-{digest.hexdigest()[:16]}"
    if (folder / MANIFEST_FILE).is_file():
        return load_recommender(folder)
    model = make_recommender(name).fit(train, len(dataset.catalog))
    model.save(folder)
    return model
