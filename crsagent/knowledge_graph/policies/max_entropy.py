"""Max Entropy, the published baseline (EAR's "AO" agent with the ``maxent`` strategy).

Each turn it recommends with probability list size / candidates (always when the candidates fit in
one list); otherwise it asks the value whose yes/no split of the candidates has the most entropy,
counting every candidate once. Its lists are the estimator's top items, as EAR's were its FM's.
"""

from __future__ import annotations

from typing import ClassVar

from crsagent.knowledge_graph.policies.base import EstimatorPolicy
from crsagent.knowledge_graph.state import Action, DialogueState


class MaxEntropyPolicy(EstimatorPolicy):
    """Ask the max-entropy value; recommend with probability list size / candidates."""

    name: ClassVar[str] = "max-entropy"

    def decide(self, state: DialogueState) -> Action:
        belief = self.estimator.belief(state)
        size = max(belief.candidates.size, 1)
        if state.rng.random() < state.list_size / size:
            return self.recommend(state, belief)
        return self.most_informative(state, belief, weighted=False)
