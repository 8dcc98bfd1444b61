"""Recommenders by name: build one from a typed (or plain dict) config, or load a saved one."""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from crsagent.tools.recommenders.base import RecommenderConfig
from crsagent.tools.recommenders.base_model import BaseRecommender, read_manifest

# name -> (module, class). Imported on demand: SASRec needs torch (the `ml` extra), the others do not.
_MODELS: dict[str, tuple[str, str]] = {
    "popularity": ("crsagent.tools.recommenders.popularity", "Popularity"),
    "itemknn": ("crsagent.tools.recommenders.itemknn", "ItemKNN"),
    "ease": ("crsagent.tools.recommenders.ease", "EASE"),
    "sasrec": ("crsagent.tools.recommenders.sasrec", "SASRec"),
}
RECOMMENDER_NAMES: tuple[str, ...] = tuple(_MODELS)


def recommender_class(name: str) -> type[BaseRecommender[Any]]:
    """The model class registered under ``name``; an unknown name lists the known ones."""
    if name not in _MODELS:
        raise ValueError(f"unknown recommender {name!r}; known: {', '.join(RECOMMENDER_NAMES)}")
    module_name, class_name = _MODELS[name]
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as error:
        raise ModuleNotFoundError(
            f"recommender {name!r} needs {error.name!r}: install the `ml` extra (pip install 'crsagent[ml]')"
        ) from error
    model_class: type[BaseRecommender[Any]] = getattr(module, class_name)
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
    try:
        typed = model_class.config_class.model_validate(dict(config))
    except ValidationError as error:
        raise ValueError(f"invalid config for recommender {name!r}: {error}") from error
    return model_class(typed)


def load_recommender(folder: Path | str) -> BaseRecommender[Any]:
    """Whatever model ``save`` wrote to ``folder`` (its manifest names the model)."""
    manifest = read_manifest(Path(folder))
    return recommender_class(manifest.model).load(folder)
