"""The knowledge graph, preference estimation, and the ask / recommend policies.

``KnowledgeGraph`` (networkx structure + sparse item x value incidence), explanation paths,
personalized PageRank retrieval, ``PreferenceEstimator`` (fitted on train; prior weights chosen on
valid), ``DialogueState`` with the ``Ask`` / ``Recommend`` actions, and the policies by name.
"""

from crsagent.knowledge_graph.belief import Belief
from crsagent.knowledge_graph.estimator import EstimatorConfig, PreferenceEstimator
from crsagent.knowledge_graph.explain import Explanation, connecting_path, explain
from crsagent.knowledge_graph.graph import AttributeValue, KnowledgeGraph, UnknownValueError
from crsagent.knowledge_graph.pagerank import (
    PageRankQuery,
    ScoredItem,
    personalized_pagerank,
    retrieve_by_pagerank,
)
from crsagent.knowledge_graph.policies import DEFAULT_POLICY, POLICY_NAMES, Policy, make_policy
from crsagent.knowledge_graph.state import (
    Action,
    Ask,
    DialogueState,
    InvalidActionError,
    NegativeAnswers,
    Recommend,
)

__all__ = [
    "DEFAULT_POLICY",
    "POLICY_NAMES",
    "Action",
    "Ask",
    "AttributeValue",
    "Belief",
    "DialogueState",
    "EstimatorConfig",
    "Explanation",
    "InvalidActionError",
    "KnowledgeGraph",
    "NegativeAnswers",
    "PageRankQuery",
    "Policy",
    "PreferenceEstimator",
    "Recommend",
    "ScoredItem",
    "UnknownValueError",
    "connecting_path",
    "explain",
    "make_policy",
    "personalized_pagerank",
    "retrieve_by_pagerank",
]
