"""Most-popular items: the baseline every collaborative model has to beat."""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

import numpy as np
from numpy.typing import NDArray

from crsagent.data.interactions import Interactions
from crsagent.recommenders.base import RecommenderConfig
from crsagent.recommenders.base_model import BaseRecommender


class PopularityConfig(RecommenderConfig):
    """Popularity has no hyper-parameters: an item's score is its number of train interactions."""


class Popularity(BaseRecommender[PopularityConfig]):
    """Scores every item by its train interaction count, whatever the history (so cold = warm)."""

    name: ClassVar[str] = "popularity"
    config_class = PopularityConfig

    def _fit(self, train: Interactions, n_items: int, valid: Interactions | None) -> None:
        del train, n_items, valid  # the counts are the base class's cold-user scores

    def _score_history(self, history: NDArray[np.int64]) -> NDArray[np.float32]:
        return self._popularity.copy()

    def _score_histories(self, histories: list[NDArray[np.int64]]) -> NDArray[np.float32]:
        return np.tile(self._popularity, (len(histories), 1))

    def _arrays(self) -> dict[str, NDArray[Any]]:
        return {}

    def _restore(self, n_items: int, arrays: dict[str, NDArray[Any]], folder: Path) -> None:
        del n_items, arrays, folder
