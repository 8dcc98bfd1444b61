"""A learned ask-or-recommend switch (REINFORCE over belief features), as EAR / UNICORN learn theirs.

The policy sees a few numbers about the belief (how much probability the top lists hold, how many
candidates are left, how informative the best question is, how many actions remain...) and
recommends with probability sigmoid(w . features); otherwise it asks the most informative value,
like the information-gain policy. The weights are trained on the valid split with the rule
simulator (``crsagent.evals.cpr.learn``); at evaluation time the policy acts greedily.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
from numpy.typing import NDArray
from pydantic import BaseModel, ConfigDict, Field

from crsagent.knowledge_graph.belief import Belief, binary_entropy
from crsagent.knowledge_graph.estimator import PreferenceEstimator
from crsagent.knowledge_graph.policies.base import EstimatorPolicy
from crsagent.knowledge_graph.state import Action, Ask, DialogueState

# Bump when the features or the training change: stored weights of another version are refused.
LEARNED_POLICY_VERSION = "1"

STATE_FEATURES = (
    "bias",
    "top_list_mass",
    "top_two_lists_mass",
    "top_item_mass",
    "log_candidates",
    "best_question_bits",
    "belief_entropy",
    "actions_left",
    "failed_lists",
    "accepted",
    "rejected",
)


class LearnedPolicyConfig(BaseModel):
    """How the switch is trained (on the valid split)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    episodes: int = Field(default=3000, ge=1, description="Valid episodes per training epoch.")
    epochs: int = Field(default=3, ge=1, description="Passes of REINFORCE over those episodes.")
    learning_rate: float = Field(default=0.05, gt=0, description="Step of the policy-gradient update.")
    batch: int = Field(default=64, ge=1, description="Episodes per update.")
    turn_cost: float = Field(
        default=0.01,
        ge=0,
        description="Reward = success - turn_cost * turns: the selection criterion's trade-off.",
    )
    imitate: bool = Field(
        default=True,
        description="Start from the information-gain rule (fitted by imitation) instead of zeros.",
    )
    seed: int = Field(default=1, description="Seed of the training episodes (other than evaluation seeds).")


def state_features(state: DialogueState, belief: Belief, best_bits: float) -> NDArray[np.float64]:
    """The switch's inputs for ``state`` (order: ``STATE_FEATURES``)."""
    size = state.list_size
    candidates = max(belief.candidates.size, 1)
    p = belief.probabilities
    # The longer prefix first: the top list (and the list recommended) are then its head, free.
    top = p[belief.top_positions(2 * size)]
    entropy = float(-(p * np.log(np.maximum(p, 1e-300))).sum()) / math.log(candidates + 1)
    return np.array(
        [
            1.0,
            top[:size].sum(),  # belief.top_mass(size), from the prefix in hand
            top.sum(),
            p.max() if p.size else 0.0,
            math.log(candidates) / 10.0,
            best_bits,
            entropy,
            state.actions_left / max(state.max_actions, 1),
            state.failed_lists / 3.0,
            len(state.accepted) / 5.0,
            len(state.rejected) / 5.0,
        ]
    )


@dataclass
class Decision:
    """One sampled decision, kept for the policy gradient."""

    features: NDArray[np.float64]
    recommended: bool
    probability: float


class LearnedPolicy(EstimatorPolicy):
    """Recommend iff sigmoid(w . features) > 0.5; with ``explore``, sample it and record the decision."""

    name: ClassVar[str] = "learned"

    def __init__(self, estimator: PreferenceEstimator, weights: NDArray[np.float64] | None = None) -> None:
        super().__init__(estimator)
        self.weights = (
            np.zeros(len(STATE_FEATURES)) if weights is None else np.asarray(weights, dtype=np.float64)
        )
        if self.weights.shape != (len(STATE_FEATURES),):
            raise ValueError(
                f"the learned policy needs {len(STATE_FEATURES)} weights, got {self.weights.shape}"
            )
        self.explore = False
        self.trajectory: list[Decision] = []

    def recommend_probability(self, features: NDArray[np.float64]) -> float:
        """P(recommend | features)."""
        score = min(max(float(features @ self.weights), -30.0), 30.0)
        return float(1.0 / (1.0 + np.exp(-score)))

    def decide(self, state: DialogueState) -> Action:
        belief = self.estimator.belief(state)
        if belief.candidates.size <= state.list_size or state.actions_left <= 1:
            return self.recommend(state, belief)  # forced: asking cannot help any more
        askable = belief.askable(state.asked)
        if not askable.any():
            return self.recommend(state, belief)
        bits = binary_entropy(belief.value_probability)
        bits[~askable] = -1.0
        best = int(bits.argmax())
        features = state_features(state, belief, float(bits[best]))
        probability = self.recommend_probability(features)
        recommended = bool(state.rng.random() < probability) if self.explore else probability > 0.5
        if self.explore:
            self.trajectory.append(Decision(features, recommended, probability))
        return self.recommend(state, belief) if recommended else Ask(best)
