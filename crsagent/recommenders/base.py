"""The typed config base of every recommender, its errors and its input checks."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray
from pydantic import BaseModel, ConfigDict

from crsagent.data.interactions import Interactions
from crsagent.errors import CrsAgentError

# How many offending values an error message lists before it says "and N more".
_SHOWN_IN_ERRORS = 10


class UnknownItemIndexError(CrsAgentError, ValueError):
    """An item index outside the catalog the model was fitted for (negative or >= ``n_items``)."""


class NotFittedError(CrsAgentError, RuntimeError):
    """A model was asked to score (or save) before ``fit`` or ``load``."""


class RecommenderConfig(BaseModel):
    """Base of every model's typed config: unknown fields are refused, values are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def _describe(values: NDArray[np.int64]) -> str:
    shown = ", ".join(str(v) for v in values[:_SHOWN_IN_ERRORS].tolist())
    more = len(values) - _SHOWN_IN_ERRORS
    return f"[{shown}{f', and {more} more' if more > 0 else ''}]"


def item_indices(values: ArrayLike, n_items: int, what: str) -> NDArray[np.int64]:
    """``values`` as a 1-D int64 array of catalog indices; anything else raises a clear error.

    ``what`` names the argument in the message ("history", "candidates", "train items").
    """
    array = np.asarray(values)
    if array.ndim != 1:
        raise ValueError(f"{what} must be a 1-D array of item indices, got shape {array.shape}")
    if array.size == 0:
        return np.zeros(0, dtype=np.int64)
    if array.dtype.kind not in "iu":
        raise ValueError(f"{what} must hold integer item indices, got dtype {array.dtype}")
    indices = array.astype(np.int64, copy=False)
    bad = (indices < 0) | (indices >= n_items)
    if bad.any():
        unknown = np.unique(indices[bad])
        raise UnknownItemIndexError(
            f"unknown item indices in {what}: {_describe(unknown)} (the model knows {n_items} items: "
            f"indices 0..{n_items - 1})"
        )
    return indices


def check_train(train: Interactions, n_items: int) -> None:
    """Refuse a catalog size or train items that cannot belong together."""
    if n_items <= 0:
        raise ValueError(f"n_items must be positive, got {n_items}")
    item_indices(train.items, n_items, "train items")
