"""The typed configuration of one CPR run (a structured run of the evaluation core)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from crsagent.evals.structured import CprProtocol
from crsagent.knowledge_graph.estimator import EstimatorConfig
from crsagent.knowledge_graph.state import NegativeAnswers
from crsagent.registry import DEFAULT_EVAL_POLICY, POLICIES


class CprRunConfig(BaseModel):
    """What to evaluate, on which episodes, and how."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    dataset: str = Field(description="Dataset name (crs-lastfm, ...) or folder.")
    split: Literal["valid", "test"] = Field(
        default="test", description="Episodes: the pairs of this split (train pairs fitted the models)."
    )
    policy: str = Field(default=DEFAULT_EVAL_POLICY, description="Policy name.")
    policy_settings: dict[str, Any] = Field(
        default_factory=dict,
        description="Overrides of the policy's typed config (the tuned defaults otherwise).",
    )
    negative_answers: NegativeAnswers = Field(
        default="prune", description="prune: a 'no' removes the items carrying the value; soft: they stay."
    )
    limit: int | None = Field(default=None, ge=1, description="A seeded random subset of this many episodes.")
    seed: int = Field(default=0, description="Seeds the episode subset, openings and stochastic policies.")
    workers: int | None = Field(default=None, ge=1, description="Worker processes (None: every core).")
    chunk: int = Field(
        default=64,
        ge=1,
        description="Episodes handed to a worker at once: large enough to amortise the hand-off, "
        "small enough for a smooth progress bar and balanced workers.",
    )
    protocol: CprProtocol = Field(default_factory=CprProtocol, description="Turns and list size.")
    estimator: EstimatorConfig = Field(
        default_factory=EstimatorConfig, description="How the estimator is fitted."
    )
    cache_estimator: bool = Field(
        default=True, description="Reuse a fitted estimator from the cache dir when its inputs are unchanged."
    )

    @field_validator("policy")
    @classmethod
    def _known_policy(cls, value: str) -> str:
        return POLICIES.check(value)


# Fields a resumed run may change: they do not change what an episode is.
RESUMABLE_CPR_CHANGES = frozenset({"workers", "limit", "chunk"})
