"""Ask / recommend policies behind one interface, registered by name in ``crsagent.registry``."""

from __future__ import annotations

from typing import Any

import numpy as np

from crsagent.errors import CrsAgentError
from crsagent.knowledge_graph.belief_model import BeliefModel
from crsagent.knowledge_graph.policies.base import EstimatorPolicy, Policy
from crsagent.knowledge_graph.policies.info_gain import InfoGainConfig, InfoGainPolicy
from crsagent.knowledge_graph.policies.learned_store import StoredSwitch
from crsagent.knowledge_graph.policies.max_entropy import MaxEntropyPolicy
from crsagent.knowledge_graph.policies.scpr import ScprConfig, ScprPolicy
from crsagent.registry import DEFAULT_EVAL_POLICY, POLICIES, TRAINED_POLICY, UnknownPluginError

DEFAULT_POLICY = DEFAULT_EVAL_POLICY
POLICY_NAMES: tuple[str, ...] = POLICIES.names()
# Kept for callers that catch it by this name: the registry's error for an unknown name.
UnknownPolicyError = UnknownPluginError


def check_policy_name(name: str) -> str:
    """``name`` if it is a known policy, else an error listing the known ones."""
    return POLICIES.check(name)


def make_policy(
    name: str,
    estimator: BeliefModel,
    settings: dict[str, Any] | None = None,
    *,
    trained: StoredSwitch | None = None,
) -> Policy:
    """A policy by name (``crsagent.registry.POLICIES``); ``settings`` are validated against its
    typed config.

    A trained policy (tagged ``TRAINED_POLICY``) is built from its stored weights, ``trained``
    (``learned_store.load_switch`` reads them; ``crsagent eval cpr --policy NAME`` trains them).
    """
    plugin = POLICIES.get(name)
    config = plugin.settings(settings)
    factory = plugin.factory()
    if TRAINED_POLICY in plugin.tags:
        if trained is None or trained.policy != name:
            raise CrsAgentError(
                f"the {name} policy needs weights trained on the valid split with the simulator: "
                f"crsagent eval cpr --dataset NAME --policy {name} trains and stores them"
            )
        trained_policy: Policy = factory(estimator, np.asarray(trained.weights, dtype=np.float64))
        return trained_policy
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
