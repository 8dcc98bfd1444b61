"""The estimator's large-catalog scoring (LargeCatalogConfig), forced on a tiny catalog."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

from crsagent.knowledge_graph.estimator import EstimatorConfig, PreferenceEstimator
from crsagent.knowledge_graph.features import LargeCatalogConfig
from crsagent.knowledge_graph.graph import KnowledgeGraph
from crsagent.knowledge_graph.state import DialogueState
from tests.knowledge_graph.tiny_data import tiny_dataset


def fit(large: LargeCatalogConfig) -> PreferenceEstimator:
    dataset = tiny_dataset()
    kg = KnowledgeGraph(dataset.catalog)
    return PreferenceEstimator.fit(
        kg, dataset.split("train"), dataset.split("valid"), EstimatorConfig(large=large)
    )


def test_candidate_prior_scores_match_the_matrix_path() -> None:
    exact, large = fit(LargeCatalogConfig()), fit(LargeCatalogConfig(exact_items=0))
    kg = exact.kg
    rock = kg.value_id("tag:rock")
    for user in (0, 3, None):
        state = DialogueState.open(kg, user, [rock])
        assert np.allclose(large.log_scores(state), exact.log_scores(state), rtol=0, atol=1e-5)
        kept = large.prior_scores(user, state.candidates)
        subset = state.candidates[::2]  # a later turn's candidates: read from what was kept
        assert np.array_equal(large.prior_scores(user, subset), kept[::2])
    # The static scores the large path keeps are derived: a stored estimator does not carry them.
    assert "_kept_static" in vars(large.prior)
    restored = pickle.loads(pickle.dumps(large.prior))
    assert "_kept_static" not in vars(restored)
    state = DialogueState.open(kg, 3, [rock])
    weights = large.weights.prior
    assert np.array_equal(
        restored.user_scores(3, weights, state.candidates, None),
        large.prior.user_scores(3, weights, state.candidates, None),
    )


def test_pmi_rows_of_values_with_many_carriers_are_sampled_only_on_large_catalogs() -> None:
    exact = fit(LargeCatalogConfig(pmi_carriers=2))
    sampled = fit(LargeCatalogConfig(exact_items=0, pmi_carriers=2))
    kg = exact.kg
    rock = kg.value_id("tag:rock")
    assert kg.items_with(rock).size > 2
    unsampled = fit(LargeCatalogConfig()).affinity.row(rock)
    assert np.array_equal(exact.affinity.row(rock), unsampled)
    assert not np.array_equal(sampled.affinity.row(rock), unsampled)
    assert sampled.affinity.row(rock)[rock] == 0.0


def test_the_setting_is_not_part_of_the_cache_key() -> None:
    assert EstimatorConfig(large=LargeCatalogConfig(exact_items=0)).model_dump_json() == (
        EstimatorConfig().model_dump_json()
    )


def test_bad_settings_are_refused() -> None:
    with pytest.raises(ValueError, match="pmi_carriers"):
        LargeCatalogConfig(pmi_carriers=0)


def test_huge_candidate_sets_sum_p_yes_and_counts_over_an_even_sample() -> None:
    sampled = fit(LargeCatalogConfig(exact_items=0, counted_candidates=5))
    kg = sampled.kg
    state = DialogueState.open(kg, 3, [kg.value_id("tag:rock")])
    belief = sampled.belief(state)
    n = belief.candidates.size
    assert n > 5 and belief.counted is not None
    step = -(-n // 5)
    assert belief.counted.tolist() == list(range(0, n, step))
    items = belief.candidates[belief.counted]
    weights = belief.probabilities[belief.counted] / belief.probabilities[belief.counted].sum()
    assert np.array_equal(belief.value_probability, kg.value_mass(items, weights))
    assert np.array_equal(belief.value_counts, kg.count_values(items))
    counts = kg.count_values(items)
    assert np.array_equal(belief.askable(set()), (counts > 0) & (counts < items.size))
    # The scores and the top list still cover every candidate; small sets are summed whole.
    exact = fit(LargeCatalogConfig(exact_items=0))
    assert np.array_equal(belief.log_scores, exact.belief(state).log_scores)
    assert exact.belief(state).counted is None
    assert np.array_equal(exact.belief(state).value_counts, kg.count_values(belief.candidates))


def test_an_estimator_stored_before_a_large_catalog_setting_reads_its_default() -> None:
    estimator = fit(LargeCatalogConfig(exact_items=0))
    vars(estimator.large).pop("counted_candidates")  # what an older pickle holds
    restored = pickle.loads(pickle.dumps(estimator))
    assert restored.large.counted_candidates == LargeCatalogConfig().counted_candidates
    assert restored.large.exact_items == 0
