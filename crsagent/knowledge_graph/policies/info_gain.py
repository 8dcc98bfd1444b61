"""Information gain with an explicit recommend rule and EAR-style reflection.

Ask: the value whose answer carries the most information about the target under the estimator's
belief (binary entropy of P(yes); answers are truthful, so that is the expected information gain),
or, with ``question = "top-mass"``, the value after whose answer the top list is expected to hold
the most probability.

Recommend when any of these holds: the candidates fit in one list; the top list holds at least
``top_mass`` of the probability; no value splits the candidates; or only ``endgame`` actions are
left (a question in the last action can never succeed, so ``endgame`` >= 1).

Reflect after a rejected list: one gradient step of the conversation's estimator weights on
log P(target not in that list), then the list leaves the candidates.
"""

from __future__ import annotations

from typing import ClassVar, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from crsagent.knowledge_graph.belief import Belief
from crsagent.knowledge_graph.belief_model import BeliefModel
from crsagent.knowledge_graph.policies.base import EstimatorPolicy
from crsagent.knowledge_graph.state import Action, Ask, DialogueState


class InfoGainConfig(BaseModel):
    """The recommend rule, the question score and the reflection step (chosen on the valid split)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    top_mass: float = Field(
        default=0.2, gt=0.0, le=1.0, description="Recommend once the top list holds this much probability."
    )
    endgame: int = Field(default=6, ge=1, description="Always recommend when this few actions are left.")
    question: Literal["entropy", "top-mass"] = Field(
        default="entropy", description="How questions are scored: answer entropy or expected top-list mass."
    )
    reflection_step: float = Field(
        default=0.0, ge=0.0, description="Step of the reflection gradient after a rejected list (0: none)."
    )


def expected_top_mass(belief: Belief, askable: np.ndarray, list_size: int) -> np.ndarray:
    """Per value, the probability that the target is in the top list after hearing the answer.

    Under either answer the belief keeps the candidates that agree with it, in the same order, so the
    top list after "yes" is the first ``list_size`` carriers of the value and after "no" the first
    ``list_size`` non-carriers; their masses add up.
    """
    dense = belief.kg.dense_incidence
    order = belief.order
    items = belief.candidates[order]
    p = belief.probabilities[order]
    values = np.flatnonzero(askable)
    if dense is not None:
        carries = dense[np.ix_(items, values)]
    else:
        carries = belief.kg.incidence[items][:, values].toarray() > 0
    yes_rank = np.cumsum(carries, axis=0)
    no_rank = np.cumsum(~carries, axis=0)
    mass = (p[:, None] * ((carries & (yes_rank <= list_size)) | (~carries & (no_rank <= list_size)))).sum(
        axis=0
    )
    result = np.full(askable.shape, -1.0)
    result[values] = mass
    return result


class InfoGainPolicy(EstimatorPolicy):
    """Most informative question until the belief is concentrated enough to recommend."""

    name: ClassVar[str] = "info-gain"

    def __init__(self, estimator: BeliefModel, config: InfoGainConfig | None = None) -> None:
        super().__init__(estimator)
        self.config = config or InfoGainConfig()

    def decide(self, state: DialogueState) -> Action:
        belief = self.estimator.belief(state)
        size = state.list_size
        if (
            belief.candidates.size <= size
            or state.actions_left <= self.config.endgame
            or belief.top_mass(size) >= self.config.top_mass
        ):
            return self.recommend(state, belief)
        if self.config.question == "top-mass":
            askable = belief.askable(state.asked)
            if not askable.any():
                return self.recommend(state, belief)
            return Ask(int(np.argmax(expected_top_mass(belief, askable, size))))
        return self.most_informative(state, belief, weighted=True)

    def reflect(self, state: DialogueState, rejected: tuple[int, ...]) -> None:
        self.estimator.reflect(state, rejected, self.config.reflection_step)
