"""The evaluation spec: one TOML file says what to evaluate, against which simulated user, how often
(the shipped ones are in evals/; docs/evals.md explains every table).

Every table is a pydantic model with ``extra="forbid"``, so a misspelt key is an error that names
it; ``load_spec`` turns validation errors into ``SpecError`` messages naming the file and the field.
"""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SerializeAsAny,
    SerializerFunctionWrapHandler,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_serializer,
    model_validator,
)
from pydantic_core import PydanticCustomError

from crsagent.agent.config import AgentConfig
from crsagent.errors import CrsAgentError
from crsagent.llm.model_string import parse_model_string
from crsagent.registry import OFFLINE_SIMULATOR, SIMULATORS


class SpecError(CrsAgentError):
    """An evaluation spec that cannot be read or is not valid; the message names the file and field."""


def _model_string(value: str | None) -> str | None:
    """Check a model string's syntax early, so a typo fails before any episode runs."""
    if value is not None:
        parse_model_string(value)
    return value


class _Table(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class SplitTargets(_Table):
    """Targets are the (user, item) pairs of a dataset split, as in the CPR benchmark."""

    source: Literal["split"] = Field(alias="from", description="Where the targets come from.")
    split: Literal["valid", "test"] = Field(
        default="test", description="The split whose pairs are episodes (train fitted the models)."
    )


class CatalogTargets(_Table):
    """Targets are catalog items drawn at random, without a user (datasets without splits: demo)."""

    source: Literal["catalog"] = Field(alias="from", description="Where the targets come from.")


class RedialTargets(_Table):
    """Targets are ReDial movies the recommender suggested and the seeker liked, mapped into the
    evaluated dataset through imdbId; the persona is the seeker's opening messages, movies masked."""

    source: Literal["redial"] = Field(alias="from", description="Where the targets come from.")
    redial: str = Field(default="redial", description="ReDial dataset name or folder.")
    persona_messages: int = Field(
        default=3, ge=1, le=20, description="At most this many of the seeker's opening messages."
    )


TargetsSpec = Annotated[SplitTargets | CatalogTargets | RedialTargets, Field(discriminator="source")]


class AgentSpec(_Table):
    """The agent under test."""

    llm: str | None = Field(
        default=None, description="Model string of the agent's LLM (docs/llm.md); unset: offline mode."
    )
    config: AgentConfig = Field(
        default_factory=AgentConfig,
        description="AgentConfig fields (policy, offer_values, ...); list_size and max_turns are set "
        "at the top level of the spec because they belong to the protocol.",
    )

    _check_llm = field_validator("llm")(_model_string)

    @field_validator("config", mode="before")
    @classmethod
    def _protocol_fields_elsewhere(cls, value: Any) -> Any:
        if isinstance(value, dict):
            misplaced = [key for key in ("list_size", "max_turns") if key in value]
            if misplaced:
                raise ValueError(
                    f"{', '.join(misplaced)} belong(s) at the top level of the spec (the protocol), "
                    "not in [agent.config]"
                )
        return value


class SimulatorSpec(_Table):
    """The simulated user: a kind registered in ``crsagent.registry.SIMULATORS``, the model string of
    one that talks to an LLM, and the kind's typed settings ([simulator.config])."""

    kind: str = Field(description="Which simulated user: a registered simulator (rule, template, llm).")
    llm: str | None = Field(
        default=None,
        validate_default=True,
        description="Model string of the simulator's LLM (kinds that use one), e.g. vllm-server:URL#model.",
    )
    config: SerializeAsAny[BaseModel] | None = Field(
        default=None,
        validate_default=True,
        description="The kind's settings: typo rates, persona size, temperature, ... ([simulator.config]).",
    )

    @field_validator("kind")
    @classmethod
    def _registered(cls, value: str) -> str:
        return SIMULATORS.check(value)

    @field_validator("llm")
    @classmethod
    def _llm_when_used(cls, value: str | None, info: ValidationInfo) -> str | None:
        kind = info.data.get("kind")
        if kind is None:  # an unknown kind: its own error says so
            return value
        uses_llm = OFFLINE_SIMULATOR not in SIMULATORS.get(kind).tags
        if uses_llm and value is None:
            raise PydanticCustomError("missing", "required field is missing")
        if not uses_llm and value is not None:
            raise ValueError(f"the {kind} simulator talks to no LLM")
        return _model_string(value)

    @field_validator("config", mode="before")
    @classmethod
    def _kind_settings(cls, value: Any, info: ValidationInfo) -> BaseModel | None:
        kind = info.data.get("kind")
        return None if kind is None else SIMULATORS.get(kind).settings(value)

    @model_serializer(mode="wrap")
    def _taken_fields(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        # What a kind does not take is left out: spec.json keeps the shape it had for each kind.
        return {key: value for key, value in handler(self).items() if value is not None}


# Fields that may change between a run and its resumption without changing what an episode means.
RESUMABLE_CHANGES = frozenset({"description", "concurrency", "episodes"})


class EvalSpec(_Table):
    """One evaluation: dataset, targets, agent, simulator and the protocol's numbers."""

    name: str = Field(
        min_length=1,
        pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$",
        description="Run name: the default run folder is runs/eval/<name>.",
    )
    description: str = Field(default="", description="What this evaluation measures, for the report.")
    dataset: str = Field(
        description="The agent's dataset: a name (ml-latest-small, crs-lastfm, demo) or folder."
    )
    targets: TargetsSpec = Field(description="Where the episodes' target items come from.")
    episodes: int | None = Field(
        default=None, ge=1, description="A seeded random subset of this many targets; unset: all."
    )
    seed: int = Field(default=0, description="Seeds the subset and every episode's randomness.")
    max_turns: int = Field(default=15, ge=2, le=100, description="Turns per dialogue, the opening included.")
    list_size: int = Field(default=10, ge=1, le=50, description="Items per recommended list.")
    concurrency: int = Field(
        default=1,
        ge=1,
        le=1024,
        description="Worker processes (rule / template) or concurrent dialogues (llm).",
    )
    sr_at: list[int] | None = Field(
        default=None,
        min_length=1,
        description="Report SR@k for these k; unset: 5, 10, 15 below max_turns, and max_turns.",
    )
    recall_at: list[int] = Field(
        default=[1, 10, 50], min_length=1, description="Report Recall@k for these k."
    )
    agent: AgentSpec = Field(default_factory=AgentSpec, description="The agent under test.")
    simulator: SimulatorSpec = Field(description="The simulated user.")

    @field_validator("sr_at", "recall_at")
    @classmethod
    def _positive_sorted(cls, value: list[int] | None) -> list[int] | None:
        if value is None:
            return None
        if any(k < 1 for k in value):
            raise ValueError(f"every k must be at least 1, got {value}")
        return sorted(set(value))

    @field_validator("sr_at")
    @classmethod
    def _within_turns(cls, value: list[int] | None, info: ValidationInfo) -> list[int] | None:
        max_turns = info.data.get("max_turns")
        too_long = [k for k in value or [] if max_turns is not None and k > max_turns]
        if too_long:
            raise ValueError(f"{too_long} exceed max_turns = {max_turns}")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> EvalSpec:
        if max(self.recall_at) > self.agent.config.ranked_list_size:
            raise ValueError(
                f"recall_at {max(self.recall_at)} exceeds agent.config.ranked_list_size = "
                f"{self.agent.config.ranked_list_size} (the logged ranked list)"
            )
        return self

    def sr_ks(self) -> list[int]:
        """The k of the reported SR@k."""
        if self.sr_at is not None:
            return self.sr_at
        return [k for k in (5, 10, 15) if k < self.max_turns] + [self.max_turns]

    def agent_config(self) -> AgentConfig:
        """The agent's config with the protocol's list size and turn budget."""
        return self.agent.config.model_copy(update={"list_size": self.list_size, "max_turns": self.max_turns})


def _where(location: tuple[int | str, ...]) -> str:
    """The data path of an error: the targets union adds its tag after the field (targets.split.split)."""
    tagged = len(location) > 1 and location[0] == "targets" and location[1] in _TAGS
    return ".".join(str(part) for i, part in enumerate(location) if not (tagged and i == 1)) or "(top level)"


_TAGS = frozenset({"split", "catalog", "redial"})


def describe_errors(error: ValidationError) -> str:
    """One line per problem: ``field `a.b`: message``."""
    lines = []
    for problem in error.errors(include_url=False):
        message = problem["msg"]
        if problem["type"] == "extra_forbidden":
            message = "unknown field (misspelt, or not valid here)"
        elif problem["type"] == "missing":
            message = "required field is missing"
        lines.append(f"field `{_where(problem['loc'])}`: {message}")
    return "\n  ".join(lines)


def _set_dotted(data: dict[str, Any], dotted: str, value: Any) -> None:
    keys = dotted.split(".")
    if not all(keys):
        raise SpecError(f"--set {dotted!r}: a field path is names joined by dots, e.g. simulator.llm")
    node = data
    for key in keys[:-1]:
        child = node.setdefault(key, {})
        if not isinstance(child, dict):
            raise SpecError(f"--set {dotted!r}: {key!r} is not a table")
        node = child
    node[keys[-1]] = value


def parse_spec(data: dict[str, Any], *, source: str, overrides: dict[str, Any] | None = None) -> EvalSpec:
    """Validate spec ``data`` (from ``source``, for messages) after applying dotted ``overrides``."""
    merged = json.loads(json.dumps(data))  # a deep copy that the overrides may change
    for dotted, value in (overrides or {}).items():
        _set_dotted(merged, dotted, value)
    try:
        return EvalSpec.model_validate(merged)
    except ValidationError as error:
        raise SpecError(f"spec {source} is not valid:\n  {describe_errors(error)}") from None


def read_spec_file(path: Path) -> tuple[str, dict[str, Any]]:
    """The spec file's text and its parsed TOML."""
    if not path.is_file():
        raise SpecError(f"spec {path}: no such file")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        raise SpecError(f"spec {path}: not UTF-8 text ({error.reason})") from None
    try:
        return text, tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise SpecError(f"spec {path}: not valid TOML: {error}") from None


def load_spec(path: Path, overrides: dict[str, Any] | None = None) -> EvalSpec:
    """Read and validate a spec file; every error names ``path`` and the field."""
    _, data = read_spec_file(path)
    return parse_spec(data, source=str(path), overrides=overrides)
