"""Trained weights of the learned ask / recommend switch, stored per dataset in the cache folder.

Training needs the rule simulator (``crsagent eval cpr --policy learned`` trains on the valid
split), which sits above the agent; the agent only reads what was stored. One JSON file per dataset
and negative-answer mode (``<cache>/policies/<dataset>-learned-<prune|soft>.json``) holds the
weights with their feature names, the dataset's content fingerprint, the estimator settings and
protocol the switch was trained under and the training settings. Reading validates all of it:
a damaged file or one trained on other data or with other features is a clear error, never
weights applied to the wrong inputs.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from crsagent.data.dataset import Dataset
from crsagent.errors import CrsAgentError
from crsagent.knowledge_graph.estimator import EstimatorConfig
from crsagent.knowledge_graph.estimator_cache import data_digest
from crsagent.knowledge_graph.graph import KnowledgeGraph
from crsagent.knowledge_graph.policies.learned import (
    LEARNED_POLICY_VERSION,
    STATE_FEATURES,
    LearnedPolicy,
    LearnedPolicyConfig,
)
from crsagent.knowledge_graph.state import NegativeAnswers
from crsagent.pickle_cache import write_atomically
from crsagent.registry import AGENT_POLICY, POLICIES, TRAINED_POLICY

STORE_FOLDER = "policies"


class StoredSwitchError(CrsAgentError, ValueError):
    """A stored switch that cannot be used: damaged, or trained on other data or features."""


class MissingSwitchError(CrsAgentError, LookupError):
    """No switch was trained for this dataset yet; the message names the command that trains one."""


class TrainingProtocol(BaseModel):
    """The episodes the switch was trained on: turns, list size, what a 'no' does."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    max_turns: int = Field(ge=2)
    list_size: int = Field(ge=1)
    negative_answers: NegativeAnswers


class StoredSwitch(BaseModel):
    """One trained switch and everything its weights depend on."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    policy: str = Field(description="The registered policy these weights are for.")
    version: str = Field(
        description="Version of the policy's features and training (LEARNED_POLICY_VERSION)."
    )
    features: tuple[str, ...] = Field(min_length=1, description="Feature names, in the weights' order.")
    weights: tuple[float, ...] = Field(min_length=1)
    dataset: str = Field(min_length=1)
    dataset_fingerprint: str = Field(
        min_length=8, description="Digest of the catalog and the train and valid pairs (data_digest)."
    )
    estimator: EstimatorConfig = Field(
        description="Settings of the estimator whose beliefs it was trained on."
    )
    protocol: TrainingProtocol
    training: LearnedPolicyConfig
    trained_at: datetime

    @model_validator(mode="after")
    def _weights_match_features(self) -> StoredSwitch:
        if len(self.weights) != len(self.features):
            raise ValueError(f"{len(self.weights)} weights for {len(self.features)} features")
        if not all(math.isfinite(w) for w in self.weights):
            raise ValueError("the weights are not all finite numbers")
        return self


def train_command(dataset: str, negative_answers: NegativeAnswers) -> str:
    """The command that trains and stores the switch for ``dataset``."""
    command = f"crsagent eval cpr --dataset {dataset} --policy {LearnedPolicy.name}"
    return command if negative_answers == "prune" else f"{command} --negative-answers {negative_answers}"


def switch_path(cache_dir: Path, dataset: str, negative_answers: NegativeAnswers) -> Path:
    """Where the switch for ``dataset`` (and this negative-answer mode) is stored."""
    return cache_dir / STORE_FOLDER / f"{Path(dataset).name}-{LearnedPolicy.name}-{negative_answers}.json"


def new_switch(
    weights: list[float],
    *,
    dataset: str,
    fingerprint: str,
    estimator: EstimatorConfig,
    protocol: TrainingProtocol,
    training: LearnedPolicyConfig,
) -> StoredSwitch:
    """A record of freshly trained ``weights`` (the current features and version)."""
    return StoredSwitch(
        policy=LearnedPolicy.name,
        version=LEARNED_POLICY_VERSION,
        features=STATE_FEATURES,
        weights=tuple(float(w) for w in weights),
        dataset=dataset,
        dataset_fingerprint=fingerprint,
        estimator=estimator,
        protocol=protocol,
        training=training,
        trained_at=datetime.now(UTC),
    )


def save_switch(cache_dir: Path, switch: StoredSwitch) -> Path:
    """Write ``switch`` to its path atomically."""
    path = switch_path(cache_dir, switch.dataset, switch.protocol.negative_answers)
    write_atomically(path, lambda handle: handle.write(switch.model_dump_json(indent=1).encode()))
    return path


def read_switch(path: Path) -> StoredSwitch:
    """The switch stored at ``path``; a missing, unreadable or invalid file is a clear error."""
    if not path.is_file():
        raise MissingSwitchError(f"no trained switch at {path}")
    try:
        return StoredSwitch.model_validate_json(path.read_bytes())
    except (OSError, ValidationError) as error:
        raise StoredSwitchError(
            f"the stored switch {path} is damaged or not a switch file: {error}"
        ) from error


def load_switch(
    cache_dir: Path,
    *,
    dataset: str,
    fingerprint: str,
    estimator: EstimatorConfig,
    negative_answers: NegativeAnswers,
    protocol: TrainingProtocol | None = None,
    training: LearnedPolicyConfig | None = None,
) -> StoredSwitch:
    """The stored switch for ``dataset``, checked against these inputs (``protocol`` and ``training``,
    when given, must match too: what retraining would use).

    Raises ``MissingSwitchError`` (naming the command that trains one) when none is stored, and
    ``StoredSwitchError`` for a damaged file or one trained on other data, features or settings.
    """
    path = switch_path(cache_dir, dataset, negative_answers)
    command = train_command(dataset, negative_answers)
    try:
        switch = read_switch(path)
    except MissingSwitchError as error:
        raise MissingSwitchError(
            f"the {LearnedPolicy.name} policy has no trained weights for {dataset} (looked for {path}); "
            f"train them on the valid split with: {command}"
        ) from error
    except StoredSwitchError as error:
        raise StoredSwitchError(f"{error}\nTrain it again with: {command}") from error
    if switch.policy != LearnedPolicy.name:
        problem = f"it holds weights of policy {switch.policy!r}"
    elif switch.version != LEARNED_POLICY_VERSION or switch.features != STATE_FEATURES:
        problem = (
            f"it was trained with features version {switch.version} {list(switch.features)}; "
            f"this version ({LEARNED_POLICY_VERSION}) uses {list(STATE_FEATURES)}"
        )
    elif switch.dataset_fingerprint != fingerprint:
        problem = (
            f"it was trained on other data (fingerprint {switch.dataset_fingerprint}; this catalog and "
            f"its train / valid pairs give {fingerprint})"
        )
    elif switch.estimator != estimator:
        problem = "it was trained over an estimator with other settings"
    elif switch.protocol.negative_answers != negative_answers:
        problem = f"it was trained with negative answers '{switch.protocol.negative_answers}'"
    elif (protocol is not None and switch.protocol != protocol) or (
        training is not None and switch.training != training
    ):
        problem = "it was trained under another protocol or with other training settings"
    else:
        return switch
    raise StoredSwitchError(
        f"the stored switch {path} does not fit {dataset}: {problem}; train it again with: {command}"
    )


def switch_for_dataset(
    dataset: Dataset,
    kg: KnowledgeGraph,
    cache_dir: Path,
    estimator: EstimatorConfig,
    negative_answers: NegativeAnswers,
) -> StoredSwitch:
    """The switch stored for ``dataset`` (its graph ``kg``), trained over an estimator with
    ``estimator``'s settings; errors as ``load_switch``, and one for a dataset without the train and
    valid interactions a switch is trained on."""
    train, valid = dataset.splits.get("train"), dataset.splits.get("valid")
    if train is None or valid is None or len(train) == 0 or len(valid) == 0:
        untrained = [n for n in POLICIES.names(AGENT_POLICY) if TRAINED_POLICY not in POLICIES.get(n).tags]
        raise StoredSwitchError(
            f"the {LearnedPolicy.name} policy is trained on a valid split, and {dataset.name} has no train "
            f"and valid interactions: use an untrained policy ({', '.join(untrained)})"
        )
    return load_switch(
        cache_dir,
        dataset=dataset.name,
        fingerprint=data_digest(kg, train, valid),
        estimator=estimator,
        negative_answers=negative_answers,
    )
