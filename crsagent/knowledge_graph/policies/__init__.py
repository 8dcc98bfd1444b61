"""Ask / recommend policies behind one interface, registered by name in ``crsagent.registry``."""

from __future__ import annotations

from typing import Any

import numpy as np

from crsagent.errors import CrsAgentError
from crsagent.knowledge_graph.belief_model import BeliefModel
from crsagent.knowledge_graph.policies.base import Policy
from crsagent.knowledge_graph.policies.learned_store import StoredSwitch
from crsagent.registry import POLICIES, TRAINED_POLICY


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
        return factory(estimator, np.asarray(trained.weights, dtype=np.float64))
    return factory(estimator) if config is None else factory(estimator, config)
