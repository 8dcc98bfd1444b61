"""Ask / recommend policies behind one interface, by name."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ValidationError

from crsagent.errors import CrsAgentError
from crsagent.knowledge_graph.belief_model import BeliefModel
from crsagent.knowledge_graph.policies.base import EstimatorPolicy, Policy
from crsagent.knowledge_graph.policies.info_gain import InfoGainConfig, InfoGainPolicy
from crsagent.knowledge_graph.policies.max_entropy import MaxEntropyPolicy
from crsagent.knowledge_graph.policies.scpr import ScprConfig, ScprPolicy

# The policy `crsagent eval cpr` runs when none is named: the best on crs-lastfm's valid split in
# both settings (SR@15 - 0.01 AT on the 8,891 valid pairs it was not trained on; the comparison is
# in docs/results/cpr-lastfm.md). It is trained (and cached) on first use.
DEFAULT_POLICY = "learned"
POLICY_NAMES: tuple[str, ...] = ("max-entropy", "scpr", "info-gain", "learned")


class UnknownPolicyError(CrsAgentError, ValueError):
    """A policy name that is not registered."""


def check_policy_name(name: str) -> str:
    """``name`` if it is a known policy, else an error listing the known ones."""
    if name not in POLICY_NAMES:
        raise UnknownPolicyError(f"unknown policy {name!r}; known policies: {', '.join(POLICY_NAMES)}")
    return name


def _config(model: type[BaseModel], values: dict[str, Any] | None, name: str) -> Any:
    try:
        return model.model_validate(values or {})
    except ValidationError as error:
        raise CrsAgentError(f"invalid settings for policy {name!r}: {error}") from error


def make_policy(name: str, estimator: BeliefModel, settings: dict[str, Any] | None = None) -> Policy:
    """A policy by name; ``settings`` are validated against its typed config.

    The learned policy is trained on the valid split with the simulator, so it is built by
    ``crsagent.evals.cpr.learn.train_learned_policy``, not here.
    """
    check_policy_name(name)
    if name == "max-entropy":
        if settings:
            raise CrsAgentError(f"policy 'max-entropy' takes no settings, got {sorted(settings)}")
        return MaxEntropyPolicy(estimator)
    if name == "scpr":
        return ScprPolicy(estimator, _config(ScprConfig, settings, name))
    if name == "info-gain":
        return InfoGainPolicy(estimator, _config(InfoGainConfig, settings, name))
    raise CrsAgentError(
        "the learned policy is trained on the valid split with the simulator: build it with "
        "crsagent.evals.cpr.learn.train_learned_policy (crsagent eval cpr --policy learned does)"
    )


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
