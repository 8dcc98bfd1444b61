"""Per-user item features from models fitted on the train split only.

For one user, ``PriorFeatures.user_rows`` is an items x features matrix: the collaborative
scores of the user's train history (EASE, item-kNN: the recommenders of ``crsagent.tools``), train
popularity, whether the item never occurs in train, how well the item's attribute values match the
values of the user's train items, how many values the item has, and whether the user already has
the item. The estimator combines these columns with learned weights.
"""

from __future__ import annotations

import itertools
import threading
from collections import OrderedDict
from collections.abc import Hashable
from typing import Any, Generic, TypeVar

import numpy as np
from numpy.typing import NDArray
from pydantic import BaseModel, ConfigDict, Field

from crsagent.data.interactions import Interactions
from crsagent.knowledge_graph.entries import Entries
from crsagent.knowledge_graph.graph import KnowledgeGraph
from crsagent.recommenders import BaseRecommender, make_recommender
from crsagent.registry import HistoryRecommenderName

# Memory for each of ValueAffinity's row caches (PMI rows, summed rows of answer sets).
AFFINITY_CACHE_BYTES = 64 * 1024 * 1024

Row = TypeVar("Row")


class CollaborativeModel(BaseModel):
    """One collaborative scorer whose scores become a feature column."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: HistoryRecommenderName = Field(description="Recommender registry name (an item-item one).")
    config: dict[str, Any] = Field(
        default_factory=dict, description="The recommender's typed config as a mapping ({'k': 100})."
    )

    @property
    def label(self) -> str:
        """Feature name: the model name and its settings ('itemknn_k100')."""
        return "_".join([self.name, *(f"{key}{value}" for key, value in sorted(self.config.items()))])


class PriorFeatureConfig(BaseModel):
    """Which train-fitted scorers feed the estimator."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # Two item-kNN neighbourhoods: on crs-lastfm's valid split the weight of the 100 nearest
    # neighbours comes out negative and that of the 1,000 nearest positive (the held-out targets are
    # similar to the user's items, but not their most similar, popular ones). EASE + item-kNN k=100
    # did worse there (docs/results/cpr-lastfm.md) and EASE is the slowest to fit: opt in with
    # CollaborativeModel(name="ease", config={"l2": 200.0}).
    collaborative: tuple[CollaborativeModel, ...] = Field(
        default=(
            CollaborativeModel(name="itemknn", config={"k": 100}),
            CollaborativeModel(name="itemknn", config={"k": 1000}),
        ),
        description="Collaborative scorers of the user's train history, one feature each.",
    )
    popularity_bins: tuple[int, ...] = Field(
        default=(1, 2, 4, 10, 30),
        description="Edges of train-popularity bins, one indicator each ([1, 2), [2, 4), ...), beside log popularity.",
    )
    content_smoothing: float = Field(
        default=1.0,
        gt=0,
        description="Pseudo-count added to a user's value counts before the log-ratio to the catalog rate.",
    )


class LargeCatalogConfig(BaseModel):
    """How the estimator scores a catalog too large for its exact catalog-wide sums (not part of the fit)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    exact_items: int = Field(
        default=200_000,
        ge=0,
        description=(
            "Catalogs of up to this many items are scored exactly as every published figure was. Larger "
            "ones: a user's prior column by column for the candidates only (equal up to float rounding), "
            "PMI rows of values carried by more than pmi_carriers items estimated from a sample, and a "
            "state's P(yes) and value counts from counted_candidates of its candidates when it has more."
        ),
    )
    pmi_carriers: int = Field(
        default=20_000,
        ge=1,
        description=(
            "On a large catalog, the PMI row of a value carried by more items sums over this many of them, "
            "evenly spaced, scaled to the value's weight (a third of a million-item catalog otherwise)."
        ),
    )
    counted_candidates: int = Field(
        default=32_768,
        ge=1,
        description=(
            "On a large catalog, a state with more candidates than this sums P(yes) of every value and "
            "the value counts over this many of them, evenly spaced in catalog order, P(yes) renormalised "
            "over them (two catalog-wide products a turn otherwise: a first answer's candidates are "
            "15-60% of a million-item catalog). The scores and the top list still cover every candidate."
        ),
    )


class PriorFeatures:
    """The train-fitted parts of the preference estimator and the per-user feature matrix."""

    def __init__(self, config: PriorFeatureConfig, kg: KnowledgeGraph, train: Interactions) -> None:
        self.config = config
        self.kg = kg
        n_items = kg.n_items
        self.models: list[BaseRecommender[Any]] = [
            make_recommender(model.name, model.config).fit(train, n_items) for model in config.collaborative
        ]
        self.popularity = np.bincount(train.items, minlength=n_items).astype(np.float64)
        self.histories: dict[int, NDArray[np.int64]] = {
            user: np.unique(items).astype(np.int64) for user, items in train.items_by_user().items()
        }
        self.n_users = len(train.user_ids)
        # Catalog rate of each value: the baseline a user's value rate is compared with.
        rate = kg.value_counts.astype(np.float64) / max(kg.n_items, 1)
        self._log_value_rate = np.log(np.clip(rate, 1e-6, None))
        self._values_per_item = np.maximum(kg.values_per_item, 1).astype(np.float64)
        edges = config.popularity_bins
        bins = [
            (self.popularity >= low) & (self.popularity < high) for low, high in itertools.pairwise(edges)
        ]
        self._static = np.stack(
            [
                np.log1p(self.popularity),
                (self.popularity == 0).astype(np.float64),
                *(b.astype(np.float64) for b in bins),
                np.log1p(kg.values_per_item.astype(np.float64)),
            ],
            axis=1,
        )
        self.names: tuple[str, ...] = (
            *(model.label for model in config.collaborative),
            "log_popularity",
            "never_in_train",
            *(f"popularity_{low}_{high - 1}" for low, high in itertools.pairwise(edges)),
            "log_values",
            "content",
            "seen",
        )
        if len(set(self.names)) != len(self.names):
            raise ValueError(f"feature names must be unique, got {self.names}")

    @property
    def n_features(self) -> int:
        """Columns of ``user_rows``."""
        return len(self.names)

    def history(self, user: int | None) -> NDArray[np.int64]:
        """The user's distinct train items (empty for an unknown user)."""
        if user is None:
            return np.zeros(0, dtype=np.int64)
        return self.histories.get(user, np.zeros(0, dtype=np.int64))

    def content_scores(
        self,
        history: NDArray[np.int64],
        items: NDArray[np.int64] | None = None,
        entries: Entries | None = None,
    ) -> NDArray[np.float64]:
        """Mean over an item's values of log(user's smoothed value rate / catalog rate).

        For ``items`` only when given (their sums equal those rows of the whole-catalog product;
        ``entries``: theirs, when gathered).
        """
        n = self.kg.n_items if items is None else items.size
        if history.size == 0:
            return np.zeros(n)
        counts = self.kg.value_mass(history, np.ones(history.size))
        a = self.config.content_smoothing
        user_rate = (counts + a * np.exp(self._log_value_rate)) / (history.size + a)
        log_ratio = np.log(user_rate) - self._log_value_rate
        per_item = self._values_per_item if items is None else self._values_per_item[items]
        return self.kg.item_sums(items, log_ratio, entries) / per_item

    def user_scores(
        self,
        user: int | None,
        weights: NDArray[np.float64],
        items: NDArray[np.int64],
        entries: Entries | None,
    ) -> NDArray[np.float64]:
        """``(user_rows(user) @ weights)[items]`` up to float rounding, column by column: no items x
        features matrix, the content match over ``items``' own ``entries`` (what a user's first turn
        costs on a large catalog: its candidates, not the catalog's 26M entries)."""
        history = self.history(user)
        k, static = len(self.models), self._static.shape[1]
        scores = self._static_scores(weights[k : k + static])[items]
        for weight, model in zip(weights[:k], self.models, strict=True):
            if history.size:  # a cold user's collaborative columns are 0 (see user_rows)
                scores += weight * model.score(history)[items]
        scores += weights[k + static] * self.content_scores(history, items, entries)
        scores[np.isin(items, history)] += weights[k + static + 1]
        return scores

    def _static_scores(self, weights: NDArray[np.float64]) -> NDArray[np.float64]:
        """Every item's static columns times ``weights``, kept for the last weights (an estimator's are
        fixed once fitted): gathering a turn's candidates' rows first cost ~11 ms at a million items."""
        key = weights.tobytes()
        kept = self.__dict__.get("_kept_static")
        if kept is None or kept[0] != key:
            kept = (key, self._static @ weights)
            self._kept_static = kept
        return kept[1]

    def __getstate__(self) -> dict[str, Any]:
        # Stored with a fitted estimator: the kept scores are derived (8 MB at a million items).
        return {name: value for name, value in self.__dict__.items() if name != "_kept_static"}

    def user_rows(self, user: int | None, items: NDArray[np.int64] | None = None) -> NDArray[np.float32]:
        """Items (every item when None) x features for one user, without the catalog-long matrix for
        ``items`` (a user without train history gets zero collaborative columns).

        Fitting reads a few hundred sampled candidates per state; building every item's row for
        each of thousands of states made the fit quadratic in the catalog.
        """
        history = self.history(user)
        n = self.kg.n_items if items is None else items.size
        matrix = np.zeros((n, self.n_features), dtype=np.float32)
        for column, model in enumerate(self.models):
            # A cold user would get the model's popularity fallback, on another scale: 0 instead.
            if history.size:
                scores = model.score(history)
                matrix[:, column] = scores if items is None else scores[items]
        seen = np.zeros(self.kg.n_items)
        seen[history] = 1.0
        k, static = len(self.models), self._static.shape[1]
        matrix[:, k : k + static] = self._static if items is None else self._static[items]
        matrix[:, k + static] = self.content_scores(history, items)
        matrix[:, k + static + 1] = seen if items is None else seen[items]
        return matrix


class BoundedRows(Generic[Row]):
    """A cache of arrays (or tuples of them) by key, within a byte budget (least recently used leave first).

    PMI rows are vocabulary-long: on a catalog with 100k values each is 800 kB, so an unbounded
    cache of every value ever asked would grow without limit in a long-running server.
    """

    def __init__(self, budget_bytes: int) -> None:
        self.budget = budget_bytes
        # Ordered: dropping the oldest of a plain dict scans the holes its earlier drops left.
        self._rows: OrderedDict[Hashable, tuple[Row, int]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def __getstate__(self) -> dict[str, Any]:
        # Pickled with a fitted estimator: the rows are derived data and the lock cannot travel.
        return {"budget": self.budget}

    def __setstate__(self, state: dict[str, Any]) -> None:
        # Stored before the budget was in bytes: a row count of the (only ever used) default budget.
        self.__init__(int(state.get("budget", AFFINITY_CACHE_BYTES)))

    def get(self, key: Hashable) -> Row | None:
        """The row kept under ``key``, if any."""
        with self._lock:
            kept = self._rows.get(key)
            if kept is None:
                return None
            self._rows.move_to_end(key)
            return kept[0]

    def put(self, key: Hashable, row: Row, size: int) -> None:
        """Keep ``row`` of ``size`` bytes (replacing ``key``'s); drop the least recently used rows when
        over budget, never the newest."""
        with self._lock:
            self._bytes += size - self._rows.pop(key, (None, 0))[1]
            self._rows[key] = (row, size)
            while self._bytes > self.budget and len(self._rows) > 1:
                self._bytes -= self._rows.popitem(last=False)[1][1]


class ValueAffinity:
    """Pointwise mutual information of two values over train-weighted items (an FM-like interaction).

    Each item counts with weight (train interactions + 1), so values that co-occur on items users
    actually consume are associated strongly; rows are computed on demand and cached, which keeps a
    large vocabulary (MovieLens cast and writers) cheap.
    """

    large = LargeCatalogConfig()  # estimators stored before the setting: its default

    def __init__(
        self, kg: KnowledgeGraph, popularity: NDArray[np.float64], large: LargeCatalogConfig | None = None
    ) -> None:
        self.kg = kg
        self.large = large or LargeCatalogConfig()
        weights = popularity + 1.0
        self._item_weight = weights
        # Per value, its items' weights summed in ascending item order (no weighted incidence).
        self._value_weight = kg.value_mass(np.arange(kg.n_items), weights)
        self._total = float(weights.sum())
        self._rows: BoundedRows[NDArray[np.float64]] = BoundedRows(AFFINITY_CACHE_BYTES)
        # Summed rows of answer sets: the same openings recur across conversations.
        self._combined: BoundedRows[NDArray[np.float64]] = BoundedRows(AFFINITY_CACHE_BYTES)

    def __setstate__(self, state: dict[str, Any]) -> None:
        # Estimators pickled before the row caches were bounded kept a plain dict of rows.
        self.__dict__.update(state)
        if not isinstance(state.get("_rows"), BoundedRows):
            self._rows = BoundedRows(AFFINITY_CACHE_BYTES)
        if "_combined" not in state:
            self._combined = BoundedRows(AFFINITY_CACHE_BYTES)
        if "_item_weight" not in state:
            # Each stored entry of _weighted is the item's weight times 1.
            weighted = state["_weighted"]
            weights = np.ones(weighted.indptr.size - 1)
            has = np.diff(weighted.indptr) > 0
            weights[has] = weighted.data[weighted.indptr[:-1][has]]
            self._item_weight = weights
        self.__dict__.pop("_weighted", None)  # older estimators stored it; nothing reads it now

    def row(self, value: int) -> NDArray[np.float64]:
        """PMI of ``value`` with every value (0 for itself and for values that never co-occur)."""
        cached = self._rows.get(value)
        if cached is not None:
            return cached
        # The weighted co-occurrence of ``value`` with every value, from the items carrying it only
        # (the same ascending-item sums as the sparse product of the whole incidence).
        carriers = self.kg.items_with(value).astype(np.int64)
        sampled = self.kg.n_items > self.large.exact_items and carriers.size > self.large.pmi_carriers
        if sampled:
            carriers = carriers[:: -(-carriers.size // self.large.pmi_carriers)]  # evenly spaced
        joint = self.kg.value_mass(carriers, self._item_weight[carriers])
        if sampled:  # scaled to the value's whole weight
            joint *= self._value_weight[value] / joint[value]
        expected = self._value_weight[value] * self._value_weight / self._total
        row = np.zeros(self.kg.n_values)
        positive = (joint > 0) & (expected > 0)
        row[positive] = np.log(joint[positive] / expected[positive])
        row[value] = 0.0
        self._rows.put(value, row, row.nbytes)
        return row

    def combined_row(self, values: list[int]) -> NDArray[np.float64]:
        """The summed PMI rows of ``values`` (zeros for none); callers must not modify it."""
        if not values:
            return np.zeros(self.kg.n_values)
        key = tuple(values)
        cached = self._combined.get(key)
        if cached is None:
            cached = np.sum([self.row(v) for v in values], axis=0)
            self._combined.put(key, cached, cached.nbytes)
        return cached

    def item_affinity(self, items: NDArray[np.int64] | None, values: list[int]) -> NDArray[np.float64]:
        """Per item (all when ``items`` is None), the summed PMI of ``values`` with its values, per value."""
        sums = self.kg.item_sums(items, self.combined_row(values))
        per_item = self.kg.values_per_item if items is None else self.kg.values_per_item[items]
        return sums / np.maximum(per_item, 1)
