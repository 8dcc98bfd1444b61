"""Evaluation specs: TOML in, a typed spec out; every bad spec names the file and the field."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import BaseModel, ConfigDict

from crsagent.evals.spec import (
    EvalSpec,
    RedialTargets,
    SpecError,
    SplitTargets,
    load_spec,
    parse_spec,
)
from crsagent.registry import OFFLINE_SIMULATOR, SIMULATORS
from crsagent.simulators import RuleUser, TemplateConfig
from tests.evals.eval_helpers import write_spec

BASE = {"name": "x", "dataset": "demo", "targets": {"from": "catalog"}, "simulator": {"kind": "rule"}}


def test_a_spec_file_loads_into_typed_tables(tmp_path: Path) -> None:
    spec = load_spec(write_spec(tmp_path, dataset="crs-lastfm", episodes=7))
    assert isinstance(spec.targets, SplitTargets) and spec.targets.split == "test"
    assert (spec.episodes, spec.max_turns, spec.list_size, spec.seed) == (7, 6, 3, 1)
    config = spec.agent_config()
    # The protocol's numbers reach the agent; the rest of [agent.config] is kept.
    assert (config.list_size, config.max_turns, config.offer_values) == (3, 6, 1)
    assert spec.sr_ks() == [5, 6]


def test_redial_and_llm_tables() -> None:
    spec = parse_spec(
        {
            **BASE,
            "targets": {"from": "redial", "persona_messages": 2},
            "simulator": {"kind": "llm", "llm": "vllm-server:http://localhost:8000/v1#qwen"},
        },
        source="s.toml",
    )
    assert isinstance(spec.targets, RedialTargets) and spec.targets.persona_messages == 2
    assert spec.simulator.kind == "llm" and spec.simulator.llm == "vllm-server:http://localhost:8000/v1#qwen"
    assert type(spec.simulator.config).__name__ == "LLMUserConfig"


def test_overrides_use_dotted_paths_and_are_validated() -> None:
    spec = parse_spec(BASE, source="s.toml", overrides={"episodes": 3, "agent.config.policy": "scpr"})
    assert spec.episodes == 3 and spec.agent.config.policy == "scpr"
    with pytest.raises(SpecError, match="field `episodes`"):
        parse_spec(BASE, source="s.toml", overrides={"episodes": "many"})
    with pytest.raises(SpecError, match="'dataset' is not a table"):
        parse_spec(BASE, source="s.toml", overrides={"dataset.name": "x"})


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"targets": {"from": "split", "split": "train"}}, "targets.split", "'valid' or 'test'"),
        ({"targets": {"from": "nowhere"}}, "targets", "does not match any of the expected tags"),
        ({"simulator": {"kind": "llm"}}, "simulator.llm", "required field is missing"),
        ({"simulator": {"kind": "llm", "llm": "gpt-4"}}, "simulator.llm", "no backend prefix"),
        ({"simulator": {"kind": "rule", "temperature": 1}}, "simulator.temperature", "unknown field"),
        ({"simulator": {"kind": "rul"}}, "simulator.kind", "known simulators: rule, template, llm"),
        ({"simulator": {"kind": "rule", "llm": "scripted:x.json"}}, "simulator.llm", "talks to no LLM"),
        ({"simulator": {"kind": "rule", "config": {"a": 1}}}, "simulator.config", "takes no settings"),
        ({"simulator": {"kind": "template", "config": {"typo_rat": 0}}}, "simulator.config", "typo_rat"),
        ({"agent": {"config": {"polcy": "scpr"}}}, "agent.config.polcy", "unknown field"),
        ({"agent": {"config": {"list_size": 3}}}, "agent.config", "top level of the spec"),
        ({"agent": {"llm": "nope"}}, "agent.llm", "no backend prefix"),
        ({"episodes": 0}, "episodes", "greater than or equal to 1"),
        ({"max_turns": 4, "sr_at": [3, 5]}, "sr_at", "[5] exceed max_turns = 4"),
        ({"recall_at": [0]}, "recall_at", "at least 1"),
        ({"name": "two words"}, "name", "should match pattern"),
        ({"concurency": 2}, "concurency", "unknown field"),
    ],
)
def test_bad_specs_name_the_field(change: dict[str, object], field: str, message: str) -> None:
    with pytest.raises(SpecError) as raised:
        parse_spec({**BASE, **change}, source="bad.toml")
    text = str(raised.value)
    assert "spec bad.toml" in text and f"field `{field}`" in text and message in text


def test_a_missing_required_field_is_named() -> None:
    data = {k: v for k, v in BASE.items() if k != "dataset"}
    with pytest.raises(SpecError, match="field `dataset`: required field is missing"):
        parse_spec(data, source="s.toml")


def test_unreadable_files_are_named(tmp_path: Path) -> None:
    with pytest.raises(SpecError, match="no such file"):
        load_spec(tmp_path / "absent.toml")
    broken = tmp_path / "broken.toml"
    broken.write_text('name = "x"\n[targets\n', encoding="utf-8")
    with pytest.raises(SpecError, match=r"broken.toml: not valid TOML: .*line 2"):
        load_spec(broken)


def test_the_simulator_table_is_the_registered_kinds_settings() -> None:
    template = parse_spec(
        {**BASE, "simulator": {"kind": "template", "config": {"typo_rate": 0.1}}}, source="s"
    )
    assert (
        isinstance(template.simulator.config, TemplateConfig) and template.simulator.config.typo_rate == 0.1
    )
    # spec.json (what a resumed run is checked against) holds only what the kind takes.
    assert EvalSpec.model_validate(BASE).model_dump(mode="json")["simulator"] == {"kind": "rule"}
    dumped = template.model_dump(mode="json")["simulator"]
    assert list(dumped) == ["kind", "config"] and dumped["config"]["typo_rate"] == 0.1


def test_a_simulator_registered_at_run_time_is_a_spec_kind() -> None:
    class Settings(BaseModel):
        model_config = ConfigDict(extra="forbid")
        patience: int = 3

    SIMULATORS.register(
        "patient", summary="test", factory=RuleUser, config=Settings, tags={OFFLINE_SIMULATOR}
    )
    try:
        spec = parse_spec({**BASE, "simulator": {"kind": "patient", "config": {"patience": 5}}}, source="s")
        assert spec.simulator.config == Settings(patience=5) and spec.simulator.llm is None
        with pytest.raises(SpecError, match=r"field `simulator.config`: .*patience"):
            parse_spec({**BASE, "simulator": {"kind": "patient", "config": {"patience": "x"}}}, source="s")
    finally:
        SIMULATORS.unregister("patient")
    with pytest.raises(SpecError, match="unknown simulator 'patient'"):
        parse_spec({**BASE, "simulator": {"kind": "patient"}}, source="s")
