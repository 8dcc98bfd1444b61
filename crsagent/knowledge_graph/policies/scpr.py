"""SCPR-like: weighted entropy over the values adjacent to the candidates in the graph.

SCPR (Lei et al. 2020) walks the graph from the accepted values to the items that carry them and on
to those items' other values; it asks the reachable value with the highest entropy, each candidate
weighted by its estimated preference. Its ask-or-recommend switch was a learned network; here it
is the rule "recommend when the candidates fit in one list or the top list holds at least
``top_mass`` of the probability", with ``top_mass`` chosen on the valid split.
"""

from __future__ import annotations

from typing import ClassVar

from pydantic import BaseModel, ConfigDict, Field

from crsagent.knowledge_graph.belief_model import BeliefModel
from crsagent.knowledge_graph.policies.base import EstimatorPolicy
from crsagent.knowledge_graph.state import Action, DialogueState


class ScprConfig(BaseModel):
    """When the SCPR-like policy stops asking."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    top_mass: float = Field(
        default=0.2, gt=0.0, le=1.0, description="Recommend once the top list holds this much probability."
    )


class ScprPolicy(EstimatorPolicy):
    """Weighted entropy over graph-adjacent values; recommend by a probability-mass rule."""

    name: ClassVar[str] = "scpr"

    def __init__(self, estimator: BeliefModel, config: ScprConfig | None = None) -> None:
        super().__init__(estimator)
        self.config = config or ScprConfig()

    def decide(self, state: DialogueState) -> Action:
        belief = self.estimator.belief(state)
        if (
            belief.candidates.size <= state.list_size
            or belief.top_mass(state.list_size) >= self.config.top_mass
        ):
            return self.recommend(state, belief)
        # Askable values are exactly the graph-adjacent ones: carried by some candidate (an item
        # reachable from the accepted values), not by all of them, and not asked yet.
        return self.most_informative(state, belief, weighted=True)
