"""Shared behaviour of the built-in models: input checks, the cold-user fallback, batching, saving."""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar, Generic, Self, TypeVar, cast

import numpy as np
from numpy.typing import ArrayLike, NDArray
from pydantic import BaseModel, Field, ValidationError

from crsagent.data.interactions import Interactions
from crsagent.errors import CrsAgentError
from crsagent.recommenders.base import NotFittedError, RecommenderConfig, check_train, item_indices

ConfigT = TypeVar("ConfigT", bound=RecommenderConfig)

MANIFEST_FILE = "recommender.json"
ARRAYS_FILE = "arrays.npz"
FORMAT_VERSION = 1


class SavedModelError(CrsAgentError, ValueError):
    """A saved-model folder is missing, malformed, or holds another model than the one asked for."""


class SavedModelManifest(BaseModel):
    """``recommender.json``: what a saved-model folder holds."""

    format: int = Field(description="Layout version of the folder; only FORMAT_VERSION is readable.")
    model: str = Field(description="The model's registry name ('ease', 'sasrec', ...).")
    n_items: int = Field(gt=0, description="Catalog size the model was fitted for.")
    config: dict[str, Any] = Field(description="The model's typed config, as JSON.")


def read_manifest(folder: Path) -> SavedModelManifest:
    """The manifest of a saved-model folder, or a ``SavedModelError`` that says what is wrong."""
    path = folder / MANIFEST_FILE
    if not path.is_file():
        raise SavedModelError(f"{folder}: not a saved recommender (no {MANIFEST_FILE})")
    try:
        manifest = SavedModelManifest.model_validate_json(path.read_text(encoding="utf-8"))
    except ValidationError as error:
        raise SavedModelError(f"{path}: malformed manifest: {error}") from error
    if manifest.format != FORMAT_VERSION:
        raise SavedModelError(f"{path}: format {manifest.format}, this version reads {FORMAT_VERSION}")
    return manifest


class BaseRecommender(ABC, Generic[ConfigT]):
    """Checks inputs, answers cold users with train popularity, and saves / loads a folder.

    Subclasses implement ``_fit``, ``_score_history`` (one non-empty, checked history -> scores of
    every item) and ``_score_histories`` (the batched form), plus ``_arrays`` / ``_restore`` for
    persistence. A cold user (empty history) gets the train popularity counts: finite, and the best
    a model without any history can do. Scores include the history's own items: a caller that must
    not recommend them again masks them.
    """

    name: ClassVar[str]
    config_class: ClassVar[type[RecommenderConfig]]

    def __init__(self, config: ConfigT | None = None) -> None:
        if config is not None and not isinstance(config, self.config_class):
            raise TypeError(
                f"{type(self).__name__} takes a {self.config_class.__name__}, got {type(config).__name__}"
            )
        self.config: ConfigT = cast(ConfigT, config if config is not None else self.config_class())
        self._n_items = 0
        self._popularity = np.zeros(0, dtype=np.float32)

    def __repr__(self) -> str:
        state = f"{self._n_items} items" if self._n_items else "not fitted"
        return f"{type(self).__name__}({self.config!r}, {state})"

    @property
    def n_items(self) -> int:
        """Catalog size the model was fitted for (0 before ``fit``)."""
        return self._n_items

    @property
    def popularity(self) -> NDArray[np.float32]:
        """Train interactions per item (the cold-user scores)."""
        self._require_fitted()
        return self._popularity

    def fit(self, train: Interactions, n_items: int, *, valid: Interactions | None = None) -> Self:
        """Fit on ``train`` only; returns self.

        ``valid`` is read only by iteratively trained models (SASRec: early stopping); the others
        ignore it. It never adds training pairs.
        """
        check_train(train, n_items)
        self._n_items = 0  # a failed refit leaves no half-fitted model behind
        self._popularity = np.bincount(train.items, minlength=n_items).astype(np.float32)
        self._fit(train, n_items, valid)
        self._n_items = n_items
        return self

    def score(self, history: ArrayLike, candidates: ArrayLike | None = None) -> NDArray[np.float32]:
        """Scores of ``candidates`` (all items when None) for one history (catalog indices, oldest first)."""
        self._require_fitted()
        checked = item_indices(history, self._n_items, "history")
        selected = None if candidates is None else item_indices(candidates, self._n_items, "candidates")
        scores = self._popularity.copy() if checked.size == 0 else self._score_history(checked)
        return scores if selected is None else scores[selected]

    def score_users(
        self, histories: Sequence[ArrayLike], candidates: ArrayLike | None = None
    ) -> NDArray[np.float32]:
        """One row per history, equal to ``score(history, candidates)``; shape (users, candidates)."""
        self._require_fitted()
        checked = [item_indices(h, self._n_items, f"histories[{u}]") for u, h in enumerate(histories)]
        selected = None if candidates is None else item_indices(candidates, self._n_items, "candidates")
        scores = np.empty((len(checked), self._n_items), dtype=np.float32)
        scores[:] = self._popularity
        warm = [u for u, history in enumerate(checked) if history.size]
        if warm:
            scores[warm] = self._score_histories([checked[u] for u in warm])
        return scores if selected is None else scores[:, selected]

    def save(self, folder: Path | str) -> Path:
        """Write the fitted model to ``folder`` (created if needed): manifest, arrays, weights."""
        self._require_fitted()
        target = Path(folder)
        target.mkdir(parents=True, exist_ok=True)
        arrays: dict[str, Any] = {"popularity": self._popularity, **self._arrays()}
        np.savez(target / ARRAYS_FILE, **arrays)
        self._save_extra(target)
        manifest = SavedModelManifest(
            format=FORMAT_VERSION,
            model=self.name,
            n_items=self._n_items,
            config=self.config.model_dump(mode="json"),
        )
        # The manifest goes last: a folder with one holds everything it names.
        (target / MANIFEST_FILE).write_text(json.dumps(manifest.model_dump(), indent=2), encoding="utf-8")
        return target

    @classmethod
    def load(cls, folder: Path | str) -> Self:
        """A model saved by ``save``; refuses a folder that holds another kind of model."""
        source = Path(folder)
        manifest = read_manifest(source)
        if manifest.model != cls.name:
            raise SavedModelError(f"{source} holds a {manifest.model!r} model, not {cls.name!r}")
        try:
            config = cls.config_class.model_validate(manifest.config)
        except ValidationError as error:
            raise SavedModelError(
                f"{source}: saved config is not a valid {cls.config_class.__name__}: {error}"
            ) from error
        model = cls(cast(ConfigT, config))
        arrays_path = source / ARRAYS_FILE
        if not arrays_path.is_file():
            raise SavedModelError(f"{source}: {ARRAYS_FILE} is missing")
        with np.load(arrays_path, allow_pickle=False) as stored:
            arrays = {key: stored[key] for key in stored.files}
        if "popularity" not in arrays or arrays["popularity"].shape != (manifest.n_items,):
            raise SavedModelError(f"{arrays_path}: no popularity array of {manifest.n_items} items")
        model._popularity = arrays.pop("popularity").astype(np.float32)
        model._restore(manifest.n_items, arrays, source)
        model._n_items = manifest.n_items
        return model

    def _require_fitted(self) -> None:
        if not self._n_items:
            raise NotFittedError(
                f"{type(self).__name__} is not fitted: call fit(train, n_items) or load(path)"
            )

    @abstractmethod
    def _fit(self, train: Interactions, n_items: int, valid: Interactions | None) -> None:
        """Learn from ``train`` (already checked against ``n_items``)."""

    @abstractmethod
    def _score_history(self, history: NDArray[np.int64]) -> NDArray[np.float32]:
        """Scores of all items for one non-empty, checked history (a fresh array the caller may keep)."""

    def _score_histories(self, histories: list[NDArray[np.int64]]) -> NDArray[np.float32]:
        """Scores of all items for several non-empty histories; override for a faster batched path."""
        return np.stack([self._score_history(history) for history in histories])

    @abstractmethod
    def _arrays(self) -> dict[str, NDArray[Any]]:
        """The fitted state as named numpy arrays (saved in ``arrays.npz``)."""

    @abstractmethod
    def _restore(self, n_items: int, arrays: dict[str, NDArray[Any]], folder: Path) -> None:
        """Rebuild the fitted state from ``_arrays``' output (and files ``_save_extra`` wrote)."""

    def _save_extra(self, folder: Path) -> None:
        """Write state that is not a numpy array (torch weights); nothing by default."""
        del folder


# What callers hold: any fitted model (every one is a BaseRecommender; docs/architecture.md).
Recommender = BaseRecommender[Any]
