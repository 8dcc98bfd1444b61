"""Preference estimation: P(target = item | user, accepted values, rejected values, rejected lists).

A log-linear model over the candidates. Its feature columns:

* the prior block (``features.PriorFeatures``): collaborative scores of the user's train history
  (EASE, item-kNN), train popularity, never-in-train, attribute match with the user's train items,
  number of values, already-owned;
* the conversation block, FM-like: the PMI of the accepted values with the item's values, the
  number of rejected values the item carries, and the PMI of the rejected values with the item's
  values.

Every model behind a column is fitted on the train split. The conversation weights are learned on
train too, from random conversation states around train pairs (``conversations``); the weights of
the prior block are chosen on the valid split by maximum likelihood, like hyper-parameters: they are
a handful of scalars, and the valid split differs from train in a way train cannot show (in
crs-lastfm the held-out targets are mostly long-tail items, 38% never in train). Under ``soft``
negative answers a rejected value changes scores only through the learned conversation weights.
"""

from __future__ import annotations

import logging
import sys
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from pydantic import BaseModel, ConfigDict, Field

from crsagent.data.interactions import Interactions
from crsagent.errors import CrsAgentError
from crsagent.knowledge_graph.belief import Belief
from crsagent.knowledge_graph.conversations import simulate_state
from crsagent.knowledge_graph.entries import Entries
from crsagent.knowledge_graph.features import (
    BoundedRows,
    LargeCatalogConfig,
    PriorFeatureConfig,
    PriorFeatures,
    ValueAffinity,
)
from crsagent.knowledge_graph.graph import KnowledgeGraph
from crsagent.knowledge_graph.head import LogitGroups, fit_conditional_logit, sample_candidates
from crsagent.knowledge_graph.state import DialogueState

logger = logging.getLogger(__name__)

CONVERSATION_FEATURES = ("accepted_affinity", "rejected_values", "rejected_affinity")

# Memory for the kept states of ``PreferenceEstimator.belief``: candidates, their entries and scores.
STATE_CACHE_BYTES = 64 * 1024 * 1024
Scores = NDArray[np.float64]
# A state's candidates, their entries, conversation scores and value counts (None: a sampled state's).
KeptState = tuple[NDArray[np.int64], Entries | None, Scores, Scores | None]


class EstimatorConfig(BaseModel):
    """How the estimator is fitted."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    features: PriorFeatureConfig = Field(
        default_factory=PriorFeatureConfig, description="Train-fitted scorers."
    )
    conversation_pairs: int = Field(
        default=3000, ge=1, description="Train pairs around which conversation states are simulated."
    )
    calibration_pairs: int = Field(
        default=4000, ge=1, description="Valid pairs that choose the weights of the prior block."
    )
    sampled_candidates: int = Field(
        default=300,
        ge=2,
        description="Candidates per fitting state (the target + a uniform sample; sampled softmax).",
    )
    counted_candidates: int = Field(
        default=20_000,
        ge=2,
        description=(
            "A simulated state with more candidates finds its askable values in a uniform sample of "
            "this many (bounds the fit on large catalogs; smaller states are unaffected)."
        ),
    )
    max_simulated_questions: int = Field(
        default=6, ge=0, description="Random answered questions per simulated state (0..this many)."
    )
    l2: float = Field(default=1e-3, ge=0, description="L2 penalty of the prior-block weights.")
    conversation_l2: float = Field(default=1e-2, ge=0, description="L2 penalty of the conversation weights.")
    seed: int = Field(default=0, description="Seed of the pair samples and the simulated states.")
    large: LargeCatalogConfig = Field(
        default_factory=LargeCatalogConfig,
        exclude=True,  # read when scoring, not fitting: stored estimators keep their cache keys
        description="How catalogs too large for the exact catalog-wide sums are scored.",
    )
    rejected_features: bool = Field(
        default=True,
        description=(
            "Learn weights for rejected values (their count on the item and their PMI with its values). "
            "False fixes them at 0: a 'no' then changes nothing but which values are still askable (an ablation)."
        ),
    )


@dataclass(frozen=True)
class EstimatorWeights:
    """The learned weights, by block (feature names in the same order)."""

    prior_names: tuple[str, ...]
    prior: NDArray[np.float64]
    conversation: NDArray[np.float64]

    def as_dict(self) -> dict[str, float]:
        """Feature name -> weight (for reports)."""
        names = (*self.prior_names, *CONVERSATION_FEATURES)
        values = np.r_[self.prior, self.conversation]
        return {name: round(float(w), 4) for name, w in zip(names, values, strict=True)}


class PreferenceEstimator:
    """Scores candidates for a user and a conversation state; see the module docstring."""

    large = LargeCatalogConfig()  # estimators stored before the setting: its default

    def __init__(
        self, kg: KnowledgeGraph, prior: PriorFeatures, affinity: ValueAffinity, weights: EstimatorWeights
    ) -> None:
        self.kg = kg
        self.prior = prior
        self.affinity = affinity
        self.weights = weights
        self._theta = np.r_[weights.prior, weights.conversation]
        self.forget_user()

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self.forget_user()  # estimators stored before some of the caches existed
        if "large" in state:  # stored before a setting was added: its default
            self.large = LargeCatalogConfig.model_validate(dict(vars(state["large"])))

    @property
    def n_features(self) -> int:
        """Length of the weight vector (prior block + conversation block)."""
        return len(self._theta)

    @classmethod
    def fit(
        cls,
        kg: KnowledgeGraph,
        train: Interactions,
        valid: Interactions,
        config: EstimatorConfig | None = None,
    ) -> PreferenceEstimator:
        """Fit every model on ``train``; choose the prior-block weights on ``valid``."""
        config = config or EstimatorConfig()
        if len(train) == 0:
            raise CrsAgentError("the estimator needs train interactions; this dataset's train split is empty")
        if len(valid) == 0:
            raise CrsAgentError("the estimator chooses its weights on the valid split, which is empty here")
        prior = PriorFeatures(config.features, kg, train)
        # Fitting reads exact PMI rows whatever the catalog: config.large is for scoring only.
        affinity = ValueAffinity(kg, prior.popularity, LargeCatalogConfig(exact_items=sys.maxsize))
        rng = np.random.default_rng(config.seed)
        conversation = _fit_conversation_weights(kg, prior, affinity, train, config, rng)
        untuned = EstimatorWeights(prior.names, np.zeros(prior.n_features), conversation)
        estimator = cls(kg, prior, affinity, untuned)
        prior_weights = estimator._calibrate(valid, config, rng)
        estimator.weights = EstimatorWeights(prior.names, prior_weights, conversation)
        estimator._theta = np.r_[prior_weights, conversation]
        estimator.forget_user()  # scores were cached with the untuned weights
        estimator.large = config.large
        estimator.affinity = ValueAffinity(kg, prior.popularity, config.large)
        logger.info("estimator weights: %s", estimator.weights.as_dict())
        return estimator

    def prior_scores(
        self, user: int | None, items: NDArray[np.int64], entries: Entries | None = None
    ) -> NDArray[np.float64]:
        """The prior block's score of ``items`` for ``user`` (``entries``: theirs, when gathered)."""
        rows = _rows_of(self._cached_items, items) if user == self._cached_user else None
        if rows is None or self._cached_scores is None:
            self._load_user(user, items, entries)
            rows = _rows_of(self._cached_items, items)
        assert self._cached_scores is not None and rows is not None
        return self._cached_scores[rows]

    def forget_user(self) -> None:
        """Drop the kept per-user, per-answer and per-state scores (they are rebuilt on demand)."""
        self._cached_user: int | None = None
        self._cached_matrix: NDArray[np.float32] | None = None
        self._cached_scores: NDArray[np.float64] | None = None
        self._cached_items: NDArray[np.int64] | None = None
        self._states: BoundedRows[KeptState] = BoundedRows(STATE_CACHE_BYTES)

    def _load_user(self, user: int | None, items: NDArray[np.int64], entries: Entries | None) -> None:
        # Episodes come grouped by user, so keeping one user's scores is nearly a perfect cache.
        if self.kg.n_items <= self.large.exact_items:
            self._cached_matrix = self.prior.user_rows(user)
            self._cached_scores = self._cached_matrix.astype(np.float64) @ self.weights.prior
            self._cached_items = None
        else:  # only ``items``: a later turn's candidates are mostly among this turn's
            self._cached_matrix = None
            self._cached_scores = self.prior.user_scores(user, self.weights.prior, items, entries)
            self._cached_items = items
        self._cached_user = user

    def conversation_features(
        self, items: NDArray[np.int64] | None, accepted: list[int], rejected: list[int]
    ) -> NDArray[np.float64]:
        """Items (all when None) x conversation features for a state's accepted and rejected values."""
        n = self.kg.n_items if items is None else items.size
        features = np.zeros((n, len(CONVERSATION_FEATURES)))
        # The opening value is carried by every candidate; its PMI with the item's other values
        # still tells which of them fit it best.
        features[:, 0] = self.affinity.item_affinity(items, accepted)
        if rejected:
            indicator = np.zeros(self.kg.n_values)
            indicator[rejected] = 1.0
            features[:, 1] = self.kg.item_sums(items, indicator)
            features[:, 2] = self.affinity.item_affinity(items, rejected)
        return features

    def conversation_scores(
        self,
        accepted: list[int],
        rejected: list[int],
        items: NDArray[np.int64] | None = None,
        entries: Entries | None = None,
    ) -> NDArray[np.float64]:
        """The conversation block's score of ``items`` (every item when None; ``entries``: theirs).

        Sums over the items' own values, so a turn costs what its candidates hold, not the
        catalog.
        """
        w_accepted, w_count, w_rejected = self.weights.conversation
        per_value = w_accepted * self.affinity.combined_row(accepted)
        if rejected:
            per_value = per_value + w_rejected * self.affinity.combined_row(rejected)
        per_item = self.kg.values_per_item if items is None else self.kg.values_per_item[items]
        if items is not None and entries is None:
            entries = self.kg.entries(items)
        scores = self.kg.item_sums(items, per_value, entries) / np.maximum(per_item, 1)
        if rejected:
            indicator = np.zeros(self.kg.n_values)
            indicator[rejected] = w_count
            scores += self.kg.item_sums(items, indicator, entries)
        return scores

    def features(self, state: DialogueState) -> NDArray[np.float64]:
        """Candidates x all features for ``state``."""
        kept = self._cached_matrix if state.user == self._cached_user else None
        rows = self.prior.user_rows(state.user, state.candidates) if kept is None else kept[state.candidates]
        prior = rows.astype(np.float64)
        conversation = self.conversation_features(state.candidates, state.accepted, state.rejected)
        return np.hstack([prior, conversation])

    def log_scores(self, state: DialogueState) -> NDArray[np.float64]:
        """Unnormalised log-probability of each candidate of ``state``."""
        return self.belief(state).log_scores

    def belief(self, state: DialogueState) -> Belief:
        """P(target = candidate) for every candidate of ``state``."""
        # A state's candidates follow from its answers, and states recur across conversations (each
        # opening value, common first answers): their incidence entries (for the scores and the
        # belief's value sums) and conversation scores are kept per answer sets.
        key = (tuple(state.accepted), tuple(state.rejected))
        kept = self._states.get(key)
        candidates = state.candidates
        counted = self._counted(candidates)
        if kept is not None and np.array_equal(kept[0], candidates):
            candidates, entries, conversation, counts = kept
        else:
            entries, counts = self.kg.entries(candidates), None
            rows = None if kept is None else _rows_of(kept[0], candidates)
            if kept is not None and rows is not None:  # a rejected list left: same answers, fewer items
                conversation = kept[2][rows]
            else:
                candidates = candidates.copy()
                conversation = self.conversation_scores(state.accepted, state.rejected, candidates, entries)
                # A sampled state's counts come with its belief (over the sample's entries, once).
                if counted is None:
                    counts = self.kg.count_values(candidates, entries)
                parts = (candidates, conversation, *([] if counts is None else [counts]))
                size = sum(part.nbytes for part in parts) + (0 if entries is None else entries.nbytes)
                self._states.put(key, (candidates, entries, conversation, counts), size)
        scores = self.prior_scores(state.user, candidates, entries) + conversation
        if state.weight_shift is not None:
            scores = scores + self.features(state) @ state.weight_shift
        return Belief(self.kg, candidates, scores, entries, counts, counted)

    def _counted(self, candidates: NDArray[np.int64]) -> NDArray[np.int64] | None:
        """Evenly spaced positions of a large catalog's huge candidate set that the belief's value sums
        run over (``LargeCatalogConfig.counted_candidates``); None: every candidate."""
        limit = self.large.counted_candidates
        if self.kg.n_items <= self.large.exact_items or candidates.size <= limit:
            return None
        return np.arange(0, candidates.size, -(-candidates.size // limit), dtype=np.int64)

    def reflect(self, state: DialogueState, rejected: tuple[int, ...], step: float) -> None:
        """EAR-style reflection: move this conversation's weights to explain a rejected list.

        One gradient step of size ``step`` on log P(target not in the list) under the current
        belief (the one the list was drawn from): weights that made the rejected items likely lose,
        so the next questions and lists lean on the evidence that did not fail.
        """
        if step <= 0.0 or not rejected:
            return
        belief = self.belief(state)
        features = self.features(state)
        in_list = np.isin(belief.candidates, np.asarray(rejected, dtype=np.int64))
        p = belief.probabilities
        listed_mass = float(p[in_list].sum())
        if listed_mass >= 1.0 - 1e-12:
            return
        mean_features = p @ features
        pull = (p[in_list, None] * (features[in_list] - mean_features)).sum(axis=0)
        shift = -step * pull / (1.0 - listed_mass)
        state.weight_shift = shift if state.weight_shift is None else state.weight_shift + shift

    def _calibrate(
        self, valid: Interactions, config: EstimatorConfig, rng: np.random.Generator
    ) -> NDArray[np.float64]:
        """Prior-block weights by maximum likelihood on simulated ``prune`` states of valid pairs."""
        pairs = _sample_pairs(valid, config.calibration_pairs, rng)
        features: list[NDArray[np.float32]] = []
        offsets: list[NDArray[np.float64]] = []
        targets: list[int] = []
        conversation = self.weights.conversation
        for user, target in pairs:
            simulated = simulate_state(
                self.kg,
                target,
                rng,
                max_questions=config.max_simulated_questions,
                prune=True,
                max_counted=config.counted_candidates,
            )
            if simulated is None:
                continue
            candidates, row, offset = sample_candidates(
                simulated.candidates, target, config.sampled_candidates, rng
            )
            features.append(self.prior.user_rows(user, candidates))
            conv = self.conversation_features(candidates, simulated.accepted, simulated.rejected)
            offsets.append(offset + conv @ conversation)
            targets.append(row)
        return fit_conditional_logit(LogitGroups.stack(features, targets, offsets), l2=config.l2)


def _rows_of(
    cached: NDArray[np.int64] | None, items: NDArray[np.int64] | None
) -> NDArray[np.int64] | slice | None:
    """Where ``items`` (None: all) sit in the scores kept for ``cached`` (None: all), or None if not kept."""
    if items is None:
        return slice(None) if cached is None else None
    if cached is None:
        return items
    if cached is items or (cached.size == items.size and np.array_equal(cached, items)):
        return slice(None)  # the turn that kept them (no binary search of a first answer's 300k items)
    rows = np.searchsorted(cached, items)
    if rows.size and (int(rows.max()) >= cached.size or not np.array_equal(cached[rows], items)):
        return None
    return rows


def _sample_pairs(interactions: Interactions, count: int, rng: np.random.Generator) -> list[tuple[int, int]]:
    pairs = interactions.pairs()
    if len(pairs) <= count:
        return pairs
    chosen = np.sort(rng.choice(len(pairs), size=count, replace=False))
    return [pairs[i] for i in chosen.tolist()]


def _fit_conversation_weights(
    kg: KnowledgeGraph,
    prior: PriorFeatures,
    affinity: ValueAffinity,
    train: Interactions,
    config: EstimatorConfig,
    rng: np.random.Generator,
) -> NDArray[np.float64]:
    """Conversation weights from soft-protocol states around train pairs (train data only).

    The target's own pair is left out of the two nuisance columns that would otherwise contain it
    (its popularity and the user's attribute profile); their weights are discarded.
    """
    scratch = PreferenceEstimator(
        kg, prior, affinity, EstimatorWeights(prior.names, np.zeros(0), np.zeros(3))
    )
    features: list[NDArray[np.float32]] = []
    offsets: list[NDArray[np.float64]] = []
    targets: list[int] = []
    log_popularity = np.log1p(prior.popularity)
    for user, target in _sample_pairs(train, config.conversation_pairs, rng):
        simulated = simulate_state(
            kg,
            target,
            rng,
            max_questions=config.max_simulated_questions,
            prune=False,
            max_counted=config.counted_candidates,
        )
        if simulated is None:
            continue
        candidates, row, offset = sample_candidates(
            simulated.candidates, target, config.sampled_candidates, rng
        )
        history = prior.history(user)
        nuisance = np.empty((candidates.size, 2))
        nuisance[:, 0] = log_popularity[candidates]
        nuisance[row, 0] = np.log1p(max(prior.popularity[target] - 1.0, 0.0))
        nuisance[:, 1] = prior.content_scores(history[history != target], candidates)
        conv = scratch.conversation_features(candidates, simulated.accepted, simulated.rejected)
        features.append(np.hstack([nuisance, conv]).astype(np.float32))
        offsets.append(offset)
        targets.append(row)
    if not config.rejected_features:
        features = [f[:, :3] for f in features]
    weights = fit_conditional_logit(LogitGroups.stack(features, targets, offsets), l2=config.conversation_l2)
    return np.r_[weights[2:], np.zeros(5 - len(weights))]
