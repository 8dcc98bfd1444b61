"""Ask / recommend policies behind one interface, registered by name in ``crsagent.registry``."""

from __future__ import annotations

from typing import Any

from crsagent.errors import CrsAgentError
from crsagent.knowledge_graph.belief_model import BeliefModel
from crsagent.knowledge_graph.policies.base import EstimatorPolicy, Policy
from crsagent.knowledge_graph.policies.info_gain import InfoGainConfig, InfoGainPolicy
from crsagent.knowledge_graph.policies.max_entropy import MaxEntropyPolicy
from crsagent.knowledge_graph.policies.scpr import ScprConfig, ScprPolicy
from crsagent.registry import AGENT_POLICY, DEFAULT_EVAL_POLICY, POLICIES, UnknownPluginError

DEFAULT_POLICY = DEFAULT_EVAL_POLICY
POLICY_NAMES: tuple[str, ...] = POLICIES.names()
# Kept for callers that catch it by this name: the registry's error for an unknown name.
UnknownPolicyError = UnknownPluginError


def check_policy_name(name: str) -> str:
    """``name`` if it is a known policy, else an error listing the known ones."""
    return POLICIES.check(name)


def make_policy(name: str, estimator: BeliefModel, settings: dict[str, Any] | None = None) -> Policy:
    """A policy by name (``crsagent.registry.POLICIES``); ``settings`` are validated against its
    typed config.

    The learned policy is trained on the valid split with the simulator, so it is built by
    ``crsagent.evals.cpr.learn.train_learned_policy``, not here.
    """
    plugin = POLICIES.get(name)
    config = plugin.settings(settings)
    if AGENT_POLICY not in plugin.tags:
        raise CrsAgentError(
            f"the {name} policy is trained on the valid split with the simulator: build it with "
            "crsagent.evals.cpr.learn.train_learned_policy (crsagent eval cpr --policy learned does)"
        )
    factory = plugin.factory()
    policy: Policy = factory(estimator) if config is None else factory(estimator, config)
    return policy


__all__ = [
    "DEFAULT_POLICY",
    "POLICY_NAMES",
    "EstimatorPolicy",
    "InfoGainConfig",
    "InfoGainPolicy",
    "MaxEntropyPolicy",
    "Policy",
    "ScprConfig",
    "ScprPolicy",
    "UnknownPolicyError",
    "check_policy_name",
    "make_policy",
]
