from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from crsagent.data.dataset import Dataset
from crsagent.data.interactions import Interactions
from crsagent.errors import CrsAgentError
from crsagent.knowledge_graph.estimator import CONVERSATION_FEATURES, EstimatorConfig, PreferenceEstimator
from crsagent.knowledge_graph.graph import KnowledgeGraph
from crsagent.knowledge_graph.state import DialogueState
from tests.knowledge_graph.tiny_data import tiny_dataset


def fit(dataset: Dataset, **config: object) -> PreferenceEstimator:
    kg = KnowledgeGraph(dataset.catalog)
    return PreferenceEstimator.fit(
        kg, dataset.split("train"), dataset.split("valid"), EstimatorConfig.model_validate(config)
    )


@pytest.fixture(scope="module")
def estimator() -> PreferenceEstimator:
    return fit(tiny_dataset())


def test_belief_is_a_distribution_over_the_candidates(estimator: PreferenceEstimator) -> None:
    kg = estimator.kg
    state = DialogueState.open(kg, 0, [kg.value_id("tag:rock")])
    belief = estimator.belief(state)
    assert belief.probabilities.shape == state.candidates.shape
    assert belief.probabilities.sum() == pytest.approx(1.0)
    assert (belief.probabilities > 0).all()
    top = belief.top_items(3)
    order = np.argsort(-belief.log_scores, kind="stable")
    assert set(top) == set(state.candidates[order[:3]].tolist())
    assert belief.top_mass(len(state.candidates)) == pytest.approx(1.0)
    rock = kg.value_id("tag:rock")
    assert belief.value_probability[rock] == pytest.approx(1.0)  # every candidate carries it


def test_weights_have_names_and_are_finite(estimator: PreferenceEstimator) -> None:
    weights = estimator.weights.as_dict()
    assert list(weights)[-3:] == list(CONVERSATION_FEATURES)
    assert "itemknn_k100" in weights and "seen" in weights
    assert all(np.isfinite(list(weights.values())))
    assert estimator.n_features == len(weights)


def test_a_soft_rejection_moves_scores_only_through_the_learned_weights(
    estimator: PreferenceEstimator,
) -> None:
    kg = estimator.kg
    rock, jazz = kg.value_id("tag:rock"), kg.value_id("tag:jazz")
    before = DialogueState.open(kg, 3, [rock], negative_answers="soft")
    after = DialogueState.open(kg, 3, [rock], negative_answers="soft")
    after.answer(kg, jazz, yes=False)
    assert after.candidates.tolist() == before.candidates.tolist()  # soft: nobody leaves
    change = estimator.log_scores(after) - estimator.log_scores(before)
    _, w_count, w_affinity = estimator.weights.conversation
    carries = kg.has_value(before.candidates, jazz).astype(float)
    affinity = estimator.affinity.item_affinity(before.candidates, [jazz])
    assert np.allclose(change, w_count * carries + w_affinity * affinity)


def test_reflection_lowers_the_rejected_lists_probability(estimator: PreferenceEstimator) -> None:
    kg = estimator.kg
    state = DialogueState.open(kg, 5, [kg.value_id("tag:pop")])
    belief = estimator.belief(state)
    shown = belief.top_items(3)
    estimator.reflect(state, shown, step=0.5)
    assert state.weight_shift is not None
    reflected = estimator.belief(state)
    listed = np.isin(reflected.candidates, shown)
    assert reflected.probabilities[listed].sum() < belief.probabilities[listed].sum()


def test_fitting_needs_train_and_valid_pairs() -> None:
    dataset = tiny_dataset()
    empty = dataset.split("train").subset(np.zeros(len(dataset.split("train")), dtype=bool))
    kg = KnowledgeGraph(dataset.catalog)
    with pytest.raises(CrsAgentError, match="train split is empty"):
        PreferenceEstimator.fit(kg, empty, dataset.split("valid"))
    with pytest.raises(CrsAgentError, match="valid split, which is empty"):
        PreferenceEstimator.fit(kg, dataset.split("train"), empty)


def _with_split(dataset: Dataset, name: str, pairs: list[tuple[int, int]]) -> Dataset:
    splits = dict(dataset.splits)
    splits[name] = Interactions.from_pairs(dataset.user_ids, pairs)
    return replace(dataset, splits=splits)


def test_only_train_pairs_reach_the_fitted_models() -> None:
    """Items that occur only in test pairs get no collaborative signal, no popularity, no 'seen'."""
    dataset = tiny_dataset(test_only_items=4)
    estimator = fit(dataset)
    train = dataset.split("train")
    poisoned = np.arange(dataset.catalog.__len__() - 4, len(dataset.catalog))
    expected_counts = np.bincount(train.items, minlength=len(dataset.catalog))
    assert np.array_equal(estimator.prior.popularity, expected_counts)
    for model in estimator.prior.models:
        assert np.array_equal(model.popularity, expected_counts)  # fitted on exactly the train pairs
    names = estimator.prior.names
    for user in range(len(dataset.user_ids)):
        matrix = estimator.prior.user_rows(user)
        for column, name in enumerate(names):
            if name.startswith(("itemknn", "ease")):
                assert not matrix[poisoned, column].any(), f"{name} scores a test-only item"
        assert not matrix[poisoned, names.index("seen")].any()
        assert (matrix[poisoned, names.index("never_in_train")] == 1).all()


def test_valid_and_test_pairs_change_no_train_fitted_part() -> None:
    """Fitting twice with other valid and test pairs: every train-fitted number stays the same.

    The valid pairs may change only the prior-block weights (they are chosen there); the test
    pairs change nothing at all.
    """
    dataset = tiny_dataset()
    other_valid = _with_split(dataset, "valid", [(u, (7 * u + 3) % 48) for u in range(12)])
    other_test = _with_split(dataset, "test", [(u, (5 * u + 1) % 48) for u in range(12)])
    base, moved_valid, moved_test = fit(dataset), fit(other_valid), fit(other_test)
    assert np.array_equal(base.weights.conversation, moved_valid.weights.conversation)
    for a, b in zip(base.prior.models, moved_valid.prior.models, strict=True):
        assert np.array_equal(a.score(np.array([0, 1, 2])), b.score(np.array([0, 1, 2])))
    assert not np.array_equal(base.weights.prior, moved_valid.weights.prior)
    assert np.array_equal(base.weights.prior, moved_test.weights.prior)
    assert np.array_equal(base.weights.conversation, moved_test.weights.conversation)


def test_a_cached_estimator_scores_the_same_and_is_stored_without_the_catalog(tmp_path: Path) -> None:
    from crsagent.knowledge_graph.estimator_cache import load_or_fit

    dataset = tiny_dataset()
    kg = KnowledgeGraph(dataset.catalog)
    train, valid = dataset.split("train"), dataset.split("valid")
    fitted = load_or_fit(kg, train, valid, EstimatorConfig(), tmp_path)
    stored = next((tmp_path / "estimators").glob("*.pickle")).read_bytes()
    assert dataset.catalog.at(0).title.encode() not in stored  # the graph (and catalog) stay out
    loaded = load_or_fit(kg, train, valid, EstimatorConfig(), tmp_path)
    assert loaded is not fitted and loaded.kg is kg and loaded.prior.kg is kg and loaded.affinity.kg is kg
    state = DialogueState.open(kg, 0, [kg.value_id("tag:rock")])
    assert np.array_equal(loaded.log_scores(state), fitted.log_scores(state))
    assert fitted.kg is kg  # storing did not detach the live estimator


def test_kept_states_give_the_beliefs_of_fresh_ones(estimator: PreferenceEstimator) -> None:
    kg = estimator.kg
    rock, jazz = kg.value_id("tag:rock"), kg.value_id("tag:jazz")

    def scores(state: DialogueState) -> tuple[list[float], list[float]]:
        belief = estimator.belief(state)
        return belief.log_scores.tolist(), belief.value_counts.tolist()

    state = DialogueState.open(kg, 1, [rock])
    state.answer(kg, jazz, yes=False)
    warm = scores(state)  # kept now, for the same answers
    estimator.forget_user()
    assert scores(state) == warm
    shown = tuple(state.candidates[:2].tolist())
    state.reject_items(shown)  # same answers, fewer candidates than kept: its scores, not theirs
    fewer = scores(state)
    estimator.forget_user()
    assert scores(state) == fewer and len(fewer[0]) == len(warm[0]) - 2
    other = DialogueState.open(kg, 1, [rock])
    other.answer(kg, jazz, yes=False)
    other.candidates = other.candidates[1:]  # the same answers, other candidates than any kept
    assert len(scores(other)[0]) == len(warm[0]) - 1
