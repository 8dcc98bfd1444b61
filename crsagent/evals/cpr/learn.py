"""Train the learned ask-or-recommend switch on the valid split with the rule simulator.

1. Imitation: the information-gain rule plays some valid episodes; a logistic regression fits its
   recommend decisions from the state features (a starting point, as EAR pre-trains its policy).
2. REINFORCE: the switch samples its decisions on valid episodes; each decision's log-likelihood
   gradient is weighted by the episode's reward (success - turn_cost * turns) minus the batch mean,
   and Adam takes a step per batch. The test split is never read.
"""

from __future__ import annotations

import logging
import multiprocessing
from dataclasses import dataclass
from multiprocessing.pool import Pool
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import minimize

from crsagent.data.interactions import Interactions
from crsagent.evals.structured import CprProtocol, StructuredWorld
from crsagent.evals.targets import EpisodeTarget
from crsagent.knowledge_graph.belief import binary_entropy
from crsagent.knowledge_graph.estimator import PreferenceEstimator
from crsagent.knowledge_graph.policies.info_gain import InfoGainConfig, InfoGainPolicy
from crsagent.knowledge_graph.policies.learned import (
    STATE_FEATURES,
    Decision,
    LearnedPolicy,
    LearnedPolicyConfig,
    state_features,
)
from crsagent.knowledge_graph.state import Action, DialogueState, NegativeAnswers, Recommend
from crsagent.simulators.base import Target

logger = logging.getLogger(__name__)


class _Imitator(LearnedPolicy):
    """Acts as the information-gain rule and records (features, did it recommend)."""

    def __init__(self, estimator: PreferenceEstimator, teacher: InfoGainPolicy) -> None:
        super().__init__(estimator)
        self.teacher = teacher
        self.examples: list[tuple[NDArray[np.float64], bool]] = []

    def decide(self, state: DialogueState) -> Action:
        action = self.teacher.decide(state)
        belief = self.estimator.belief(state)
        askable = belief.askable(state.asked)
        if belief.candidates.size > state.list_size and state.actions_left > 1 and askable.any():
            bits = np.where(askable, binary_entropy(belief.value_probability), -1.0)
            features = state_features(state, belief, float(bits.max()))
            self.examples.append((features, isinstance(action, Recommend)))
        return action


def _fit_logistic(examples: list[tuple[NDArray[np.float64], bool]], l2: float = 1e-3) -> NDArray[np.float64]:
    features = np.stack([f for f, _ in examples])
    labels = np.array([float(y) for _, y in examples])

    def loss(w: NDArray[np.float64]) -> tuple[float, NDArray[np.float64]]:
        z = features @ w
        p = 1.0 / (1.0 + np.exp(-np.clip(z, -30, 30)))
        value = float(np.mean(np.logaddexp(0.0, z) - labels * z) + l2 * w @ w)
        return value, features.T @ (p - labels) / len(labels) + 2 * l2 * w

    result = minimize(loss, np.zeros(features.shape[1]), jac=True, method="L-BFGS-B")
    return np.asarray(result.x, dtype=np.float64)


@dataclass
class _Rollouts:
    """Plays training episodes; shared with forked workers like the runner's task."""

    estimator: PreferenceEstimator
    pairs: list[tuple[int, int]]
    protocol: CprProtocol
    negative_answers: NegativeAnswers
    teacher: InfoGainConfig | None

    def play(self, policy: LearnedPolicy, position: int, seed: int) -> tuple[bool, int]:
        kg = self.estimator.kg
        user, item = self.pairs[position]
        world = StructuredWorld(kg, policy, self.protocol, self.negative_answers, seed)
        result = world.play(
            EpisodeTarget(position, Target.model_construct(item_id=kg.catalog.at(item).id, user=user))
        )
        return result.success, result.success_turn or self.protocol.max_turns

    def imitate(self, positions: list[int], seed: int) -> list[tuple[NDArray[np.float64], bool]]:
        imitator = _Imitator(self.estimator, InfoGainPolicy(self.estimator, self.teacher))
        for position in positions:
            self.play(imitator, position, seed)
        return imitator.examples

    def explore(
        self, weights: NDArray[np.float64], positions: list[int], seed: int
    ) -> list[tuple[bool, int, list[Decision]]]:
        policy = LearnedPolicy(self.estimator, weights)
        policy.explore = True
        played = []
        for position in positions:
            policy.trajectory = []
            success, turns = self.play(policy, position, seed)
            played.append((success, turns, policy.trajectory))
        return played


_WORKER_ROLLOUTS: _Rollouts | None = None


def _set_rollouts(rollouts: _Rollouts) -> None:
    global _WORKER_ROLLOUTS  # the per-process state of a worker pool
    _WORKER_ROLLOUTS = rollouts


def _in_worker(job: tuple[str, tuple[Any, ...]]) -> list[Any]:
    assert _WORKER_ROLLOUTS is not None
    method, arguments = job
    return getattr(_WORKER_ROLLOUTS, method)(*arguments)


def _play_parts(
    rollouts: _Rollouts, pool: Pool | None, workers: int, method: str, positions: list[int], *arguments: Any
) -> list[Any]:
    """``rollouts.<method>(*arguments, part, seed)`` over ``workers`` parts of ``positions`` (in the pool
    when there is one), the results concatenated in position order."""
    *leading, seed = arguments
    size = -(-len(positions) // workers)
    jobs = [(method, (*leading, positions[i : i + size], seed)) for i in range(0, len(positions), size)]
    parts = pool.map(_in_worker, jobs) if pool is not None else [getattr(rollouts, m)(*a) for m, a in jobs]
    return [result for part in parts for result in part]


def train_learned_policy(
    estimator: PreferenceEstimator,
    valid: Interactions,
    config: LearnedPolicyConfig,
    *,
    protocol: CprProtocol,
    negative_answers: NegativeAnswers,
    teacher: InfoGainConfig | None = None,
    workers: int = 1,
) -> LearnedPolicy:
    """A trained switch (greedy, ready to evaluate); ``workers`` processes play the episodes.

    Every episode draws its randomness from (seed, pair position), and the batch gradient is summed
    in episode order, so the weights do not depend on the number of workers.
    """
    pairs = valid.pairs()
    if not pairs:
        raise ValueError("the learned policy trains on the valid split, which is empty")
    rng = np.random.default_rng(config.seed)
    chosen = rng.permutation(len(pairs))[: config.episodes].tolist()
    rollouts = _Rollouts(estimator, pairs, protocol, negative_answers, teacher)
    methods = multiprocessing.get_all_start_methods()
    pool = (
        multiprocessing.get_context("fork").Pool(workers, initializer=_set_rollouts, initargs=(rollouts,))
        if workers > 1 and "fork" in methods
        else None
    )
    try:
        return _train(rollouts, chosen, config, rng, pool, workers)
    finally:
        if pool is not None:
            pool.close()
            pool.join()


def _train(
    rollouts: _Rollouts,
    chosen: list[int],
    config: LearnedPolicyConfig,
    rng: np.random.Generator,
    pool: Pool | None,
    workers: int,
) -> LearnedPolicy:
    weights = np.zeros(len(STATE_FEATURES))
    if config.imitate:
        demonstrations = chosen[: max(len(chosen) // 3, 1)]
        examples = _play_parts(rollouts, pool, workers, "imitate", demonstrations, config.seed)
        if examples and len({label for _, label in examples}) == 2:
            weights = _fit_logistic(examples)
    moment = np.zeros_like(weights)
    second = np.zeros_like(weights)
    step = 0
    mean_reward = 0.0
    for epoch in range(config.epochs):
        order = rng.permutation(chosen).tolist()
        seed = config.seed + 1 + epoch
        for start in range(0, len(order), config.batch):
            batch = order[start : start + config.batch]
            played = _play_parts(rollouts, pool, workers, "explore", batch, weights, seed)
            rewards = np.array([float(success) - config.turn_cost * turns for success, turns, _ in played])
            mean_reward = float(rewards.mean())
            gradient = np.zeros_like(weights)
            for reward, (_, _, trajectory) in zip(rewards, played, strict=True):
                for decision in trajectory:
                    # d/dw log pi(action) of a Bernoulli(sigmoid(w . x)) choice = (action - p) x
                    gradient += (
                        (reward - mean_reward)
                        * (float(decision.recommended) - decision.probability)
                        * decision.features
                    )
            gradient /= len(played)
            # Adam ascent on the expected reward.
            step += 1
            moment = 0.9 * moment + 0.1 * gradient
            second = 0.999 * second + 0.001 * gradient**2
            corrected = moment / (1 - 0.9**step) / (np.sqrt(second / (1 - 0.999**step)) + 1e-8)
            weights = weights + config.learning_rate * corrected
        logger.info("learned policy, epoch %d: mean reward of the last batch %.4f", epoch + 1, mean_reward)
    return LearnedPolicy(rollouts.estimator, weights)
