"""The policy interface: ``decide(state) -> Ask | Recommend``, and a reflection hook."""

from __future__ import annotations

from typing import ClassVar, Protocol, runtime_checkable

import numpy as np

from crsagent.knowledge_graph.belief import Belief, binary_entropy
from crsagent.knowledge_graph.belief_model import BeliefModel
from crsagent.knowledge_graph.state import Action, Ask, DialogueState, Recommend


@runtime_checkable
class Policy(Protocol):
    """Chooses the next action of a conversation.

    ``reflect`` is called after the user turned a list down, before the list leaves the candidates
    (EAR's reflection stage); policies without reflection do nothing there.
    """

    name: ClassVar[str]

    def decide(self, state: DialogueState) -> Action:
        """Ask about a value or recommend a list."""
        ...

    def reflect(self, state: DialogueState, rejected: tuple[int, ...]) -> None:
        """Update the conversation's estimate after ``rejected`` was turned down."""
        ...


class EstimatorPolicy:
    """Shared parts of the built-in policies: the estimator's belief and its top list."""

    name: ClassVar[str] = "base"

    def __init__(self, estimator: BeliefModel) -> None:
        self.estimator = estimator

    def recommend(self, state: DialogueState, belief: Belief) -> Recommend:
        """The ``list_size`` most probable candidates."""
        return Recommend(belief.top_items(state.list_size))

    def reflect(self, state: DialogueState, rejected: tuple[int, ...]) -> None:
        """No reflection by default: the rejected list just leaves the candidates."""
        del state, rejected

    def most_informative(self, state: DialogueState, belief: Belief, *, weighted: bool) -> Action:
        """Ask the value whose answer is least predictable; recommend when no value splits the candidates.

        ``weighted``: entropy of P(yes) under the belief (each candidate weighs its probability);
        otherwise under a uniform count of the candidates (the published MaxEntropy baseline).
        """
        askable = belief.askable(state.asked)
        if not askable.any():
            return self.recommend(state, belief)
        p_yes = belief.value_probability if weighted else belief.value_counts / max(belief.candidates.size, 1)
        entropy = np.where(askable, binary_entropy(p_yes), -1.0)
        return Ask(int(np.argmax(entropy)))
