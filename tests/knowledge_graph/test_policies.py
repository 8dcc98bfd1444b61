from __future__ import annotations

import numpy as np
import pytest

from crsagent.errors import CrsAgentError
from crsagent.knowledge_graph.belief import binary_entropy
from crsagent.knowledge_graph.estimator import PreferenceEstimator
from crsagent.knowledge_graph.policies import Policy, make_policy
from crsagent.knowledge_graph.policies.info_gain import InfoGainConfig, InfoGainPolicy
from crsagent.knowledge_graph.policies.learned import STATE_FEATURES, LearnedPolicy
from crsagent.knowledge_graph.policies.max_entropy import MaxEntropyPolicy
from crsagent.knowledge_graph.policies.scpr import ScprConfig, ScprPolicy
from crsagent.knowledge_graph.state import Ask, DialogueState, Recommend
from crsagent.registry import POLICIES, UnknownPluginError
from tests.knowledge_graph.test_estimator import fit
from tests.knowledge_graph.tiny_data import tiny_dataset


@pytest.fixture(scope="module")
def estimator() -> PreferenceEstimator:
    return fit(tiny_dataset())


def opened(estimator: PreferenceEstimator, *, seed: int = 0, **options: object) -> DialogueState:
    kg = estimator.kg
    return DialogueState.open(kg, 2, [kg.value_id("tag:rock")], rng=np.random.default_rng(seed), **options)  # type: ignore[arg-type]


def test_every_builtin_policy_meets_the_protocol(estimator: PreferenceEstimator) -> None:
    for name in ("max-entropy", "scpr", "info-gain"):
        policy = make_policy(name, estimator)
        assert isinstance(policy, Policy)
        state = opened(estimator)
        action = policy.decide(state)
        state.check(estimator.kg, action)


def test_max_entropy_asks_the_most_even_split_or_recommends_by_chance(estimator: PreferenceEstimator) -> None:
    policy = MaxEntropyPolicy(estimator)
    kg = estimator.kg
    for seed in range(20):
        state = opened(estimator, seed=seed, list_size=3)
        recommend = np.random.default_rng(seed).random() < 3 / state.candidates.size
        action = policy.decide(state)
        if recommend:
            assert isinstance(action, Recommend)
            continue
        assert isinstance(action, Ask)
        counts = kg.value_mass(state.candidates, np.ones(state.candidates.size))
        entropy = binary_entropy(counts / state.candidates.size)
        entropy[state.accepted] = -1
        assert entropy[action.value] == pytest.approx(entropy.max())


def test_max_entropy_recommends_when_the_candidates_fit_in_a_list(estimator: PreferenceEstimator) -> None:
    state = opened(estimator, list_size=50)
    action = MaxEntropyPolicy(estimator).decide(state)
    assert isinstance(action, Recommend)
    assert sorted(action.items) == state.candidates.tolist()


def test_info_gain_asks_the_most_informative_value(estimator: PreferenceEstimator) -> None:
    policy = InfoGainPolicy(estimator, InfoGainConfig(top_mass=1.0, endgame=1))
    state = opened(estimator, list_size=2)
    action = policy.decide(state)
    assert isinstance(action, Ask)
    belief = estimator.belief(state)
    bits = binary_entropy(belief.value_probability)
    bits[~belief.askable(state.asked)] = -1
    assert action.value == int(np.argmax(bits))


def test_info_gain_recommends_by_its_rules(estimator: PreferenceEstimator) -> None:
    concentrated = InfoGainPolicy(estimator, InfoGainConfig(top_mass=0.01))
    assert isinstance(concentrated.decide(opened(estimator, list_size=2)), Recommend)
    endgame = InfoGainPolicy(estimator, InfoGainConfig(top_mass=1.0, endgame=3))
    late = opened(estimator, list_size=2)
    late.turn = late.max_actions - 3
    assert isinstance(endgame.decide(late), Recommend)
    late.turn -= 1
    assert isinstance(endgame.decide(late), Ask)
    top_mass = InfoGainPolicy(estimator, InfoGainConfig(top_mass=1.0, question="top-mass"))
    assert isinstance(top_mass.decide(opened(estimator, list_size=2)), Ask)


def test_scpr_recommends_once_the_top_list_is_likely_enough(estimator: PreferenceEstimator) -> None:
    assert isinstance(
        ScprPolicy(estimator, ScprConfig(top_mass=0.01)).decide(opened(estimator, list_size=2)), Recommend
    )
    assert isinstance(
        ScprPolicy(estimator, ScprConfig(top_mass=1.0)).decide(opened(estimator, list_size=2)), Ask
    )


def test_learned_policy_follows_its_weights(estimator: PreferenceEstimator) -> None:
    bias = np.zeros(len(STATE_FEATURES))
    bias[0] = -50.0
    assert isinstance(LearnedPolicy(estimator, bias).decide(opened(estimator, list_size=2)), Ask)
    assert isinstance(LearnedPolicy(estimator, -bias).decide(opened(estimator, list_size=2)), Recommend)
    # Fewer candidates than a list: recommending is forced whatever the weights say.
    assert isinstance(LearnedPolicy(estimator, bias).decide(opened(estimator, list_size=50)), Recommend)
    with pytest.raises(ValueError, match=f"needs {len(STATE_FEATURES)} weights"):
        LearnedPolicy(estimator, np.zeros(3))


def test_policy_names_and_settings_are_checked(estimator: PreferenceEstimator) -> None:
    assert set(POLICIES.names()) == {"max-entropy", "scpr", "info-gain", "learned"}
    with pytest.raises(UnknownPluginError, match="unknown policy 'greedy'; known policies: max-entropy"):
        make_policy("greedy", estimator)
    with pytest.raises(CrsAgentError, match="invalid settings for policy 'info-gain'"):
        make_policy("info-gain", estimator, {"top_mass": 2.0})
    with pytest.raises(CrsAgentError, match="invalid settings for policy 'scpr'"):
        make_policy("scpr", estimator, {"treshold": 0.2})
    with pytest.raises(CrsAgentError, match="takes no settings"):
        make_policy("max-entropy", estimator, {"top_mass": 0.2})
    with pytest.raises(CrsAgentError, match="needs weights trained on the valid split"):
        make_policy("learned", estimator)
