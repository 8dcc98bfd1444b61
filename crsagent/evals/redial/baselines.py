"""The baselines of the ReDial benchmark, on the same samples as the agent.

* popularity: the catalog's most popular items (train-split positives), the same list everywhere;
* mentions-CF: the movies named so far in the dialogue, found by exact title lookup, as the history
  of a collaborative model fitted on the catalog's train split (EASE); items of the history are not
  recommended again; no history falls back to popularity.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from crsagent.data.candidates import Candidates
from crsagent.data.catalog import Catalog
from crsagent.evals.redial.ranking_metrics import DEPTH
from crsagent.recommenders.base_model import Recommender


class PopularityBaseline:
    """The top items by train popularity."""

    name = "popularity"

    def __init__(self, catalog: Catalog) -> None:
        popularity = np.asarray([item.popularity for item in catalog], dtype=np.float64)
        self.ranking = Candidates.ranked(np.arange(len(catalog)), popularity, top=DEPTH).ids(catalog)

    def rank(self, named: Sequence[str]) -> list[str]:
        del named
        return self.ranking


class MentionsCFBaseline:
    """A CF model over the movies named so far (exact title lookup)."""

    name = "mentions_cf"

    def __init__(self, catalog: Catalog, model: Recommender, fallback: PopularityBaseline) -> None:
        self.catalog = catalog
        self.model = model
        self.fallback = fallback

    def history(self, named: Sequence[str]) -> list[int]:
        """Catalog indices of the named movies an exact title lookup finds (most popular on ties)."""
        found: list[int] = []
        for name in named:
            items = sorted(self.catalog.find_by_title(name), key=lambda item: -item.popularity)
            if items:
                index = self.catalog.index_of(items[0].id)
                if index not in found:
                    found.append(index)
        return found

    def rank(self, named: Sequence[str]) -> list[str]:
        history = self.history(named)
        if not history:
            return self.fallback.ranking
        scores = np.asarray(self.model.score(np.asarray(history, dtype=np.int64)), dtype=np.float64)
        scores[history] = -np.inf
        return Candidates.ranked(np.arange(scores.size), scores, top=DEPTH).ids(self.catalog)
