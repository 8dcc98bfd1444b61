"""The one registry of policies, recommenders and simulators: names, typed settings, lazy factories."""

from __future__ import annotations

import argparse
import importlib.util
import subprocess
import sys
from collections.abc import Iterator
from typing import ClassVar

import pytest
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from crsagent.agent import Agent
from crsagent.agent.config import AgentConfig
from crsagent.commands.common import with_agent_options
from crsagent.knowledge_graph.belief_model import BeliefModel
from crsagent.knowledge_graph.policies import make_policy
from crsagent.knowledge_graph.policies.scpr import ScprConfig
from crsagent.knowledge_graph.state import Action, DialogueState, Recommend
from crsagent.registry import (
    AGENT_POLICY,
    DEFAULT_AGENT_POLICY,
    DEFAULT_AGENT_RECOMMENDER,
    DEFAULT_EVAL_POLICY,
    POLICIES,
    RECOMMENDERS,
    SIMULATORS,
    TRAINED_POLICY,
    PluginSettingsError,
    Registry,
    UnknownPluginError,
)


def _declared() -> Iterator[tuple[Registry[object], str]]:
    for registry in (POLICIES, RECOMMENDERS, SIMULATORS):
        for name in registry.names():
            yield registry, name


@pytest.mark.parametrize(
    ("registry", "name"), list(_declared()), ids=lambda value: getattr(value, "kind", value)
)
def test_every_declared_target_imports(registry: Registry[object], name: str) -> None:
    # The built-ins are "module:attribute" strings: a renamed class or module must fail here.
    if name == "sasrec" and importlib.util.find_spec("torch") is None:
        pytest.skip("sasrec needs torch (the ml extra)")
    plugin = registry.get(name)
    factory = plugin.factory()
    assert callable(factory)
    # A class that carries its own name (policies, recommenders: traces and saved manifests show it)
    # carries the registry's.
    assert getattr(factory, "name", name) == name
    model = plugin.config_model()
    assert model is None or issubclass(model, BaseModel)
    # Every plug-in's defaults are valid settings.
    settings = plugin.settings()
    assert (settings is None) == (model is None)


def test_the_names_and_defaults_the_cli_and_configs_read() -> None:
    assert POLICIES.names() == ("max-entropy", "scpr", "info-gain", "learned")
    assert POLICIES.names(AGENT_POLICY) == ("max-entropy", "scpr", "info-gain", "learned")
    assert POLICIES.names(TRAINED_POLICY) == ("learned",)
    assert RECOMMENDERS.names() == ("popularity", "itemknn", "ease", "sasrec")
    assert DEFAULT_EVAL_POLICY in POLICIES and DEFAULT_AGENT_POLICY in POLICIES.names(AGENT_POLICY)
    assert DEFAULT_AGENT_RECOMMENDER in RECOMMENDERS
    assert (
        AgentConfig().policy == DEFAULT_AGENT_POLICY and AgentConfig().cf_model == DEFAULT_AGENT_RECOMMENDER
    )


def test_unknown_and_unusable_names_are_errors_listing_the_choices() -> None:
    with pytest.raises(
        UnknownPluginError, match="unknown policy 'greedy'; known policies: max-entropy, scpr"
    ):
        POLICIES.get("greedy")
    with pytest.raises(
        UnknownPluginError, match=r"'info-gain' is not usable as a trained policy; choose one of: learned$"
    ):
        POLICIES.check("info-gain", tag=TRAINED_POLICY)
    assert AgentConfig(policy="learned").policy == "learned"  # its weights are loaded when built
    with pytest.raises(ValidationError, match="unknown recommender 'bpr'; known recommenders: popularity"):
        AgentConfig(cf_model="bpr")
    assert AgentConfig(cf_model=None).cf_model is None


def test_settings_are_validated_against_the_plugins_typed_config() -> None:
    assert POLICIES.get("scpr").settings({"top_mass": 0.5}) == ScprConfig(top_mass=0.5)
    typed = ScprConfig(top_mass=0.25)
    assert POLICIES.get("scpr").settings(typed) is typed
    with pytest.raises(PluginSettingsError, match=r"(?s)invalid settings for policy 'scpr'.*top_mass"):
        POLICIES.get("scpr").settings({"top_mass": 7})
    with pytest.raises(
        PluginSettingsError, match=r"invalid settings for recommender 'ease'.*l3: Extra inputs"
    ):
        RECOMMENDERS.get("ease").settings({"l3": 1.0})
    with pytest.raises(
        PluginSettingsError, match=r"policy 'max-entropy' takes no settings, got \['top_mass'\]"
    ):
        POLICIES.get("max-entropy").settings({"top_mass": 0.2})
    assert POLICIES.get("max-entropy").settings() is None


def test_registration_rules() -> None:
    registry: Registry[object] = Registry("widget", "widgets")
    registry.register("a", summary="first", factory=dict)
    with pytest.raises(ValueError, match="widget 'a' is registered already"):
        registry.register("a", summary="again", factory=list)
    registry.register("a", summary="again", factory=list, replace=True)
    assert registry.get("a").factory() is list and registry.get("a").summary == "again"
    with pytest.raises(ValueError, match="expected 'module:attribute'"):
        registry.register("b", summary="", factory="collections.OrderedDict")
    with pytest.raises(ValueError, match="non-empty"):
        registry.register(" c", summary="", factory=dict)
    registry.register("d", summary="lazy", factory="collections:OrderedDict")
    assert registry.get("d").factory().__name__ == "OrderedDict"
    registry.register("e", summary="missing", factory="crsagent_no_such_module:Thing")
    with pytest.raises(ModuleNotFoundError, match="widget 'e' needs 'crsagent_no_such_module', which is not"):
        registry.get("e").factory()
    registry.unregister("e")
    registry.register("f", summary="renamed", factory="collections:NoSuchThing")
    with pytest.raises(AttributeError, match="widget 'f' is declared as 'collections:NoSuchThing'"):
        registry.get("f").factory()
    registry.unregister("f")
    assert registry.names() == ("a", "d")
    with pytest.raises(UnknownPluginError, match="unknown widget 'e'; known widgets: a, d"):
        registry.unregister("e")


class _AlwaysRecommendConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    size: int = Field(default=2, ge=1)


class _AlwaysRecommend:
    """A user's own policy: recommends its first items at once (shows a registered one reaches the agent)."""

    name: ClassVar[str] = "always-recommend"

    def __init__(self, estimator: BeliefModel, config: _AlwaysRecommendConfig) -> None:
        self.estimator = estimator
        self.config = config

    def decide(self, state: DialogueState) -> Action:
        return Recommend(items=tuple(range(self.config.size)))

    def reflect(self, state: DialogueState, rejected: tuple[int, ...]) -> None:
        return None


@pytest.fixture
def always_recommend() -> Iterator[str]:
    POLICIES.register(
        "always-recommend",
        summary="test policy",
        factory=_AlwaysRecommend,
        config=_AlwaysRecommendConfig,
        tags={AGENT_POLICY},
    )
    try:
        yield "always-recommend"
    finally:
        POLICIES.unregister("always-recommend")


def test_a_registered_policy_is_accepted_everywhere_names_are_read(always_recommend: str) -> None:
    assert AgentConfig(policy=always_recommend).policy == always_recommend
    parser = with_agent_options(argparse.ArgumentParser())
    assert parser.parse_args(["--policy", always_recommend]).policy == always_recommend
    policy = make_policy(always_recommend, estimator=None, settings={"size": 3})  # type: ignore[arg-type]
    assert isinstance(policy, _AlwaysRecommend) and policy.config.size == 3
    with pytest.raises(PluginSettingsError, match="always-recommend"):
        make_policy(always_recommend, estimator=None, settings={"size": 0})  # type: ignore[arg-type]
    # The agent builds its policy through the registry too: its first reply is this policy's list.
    agent = Agent.from_dataset("demo", config=AgentConfig(policy=always_recommend, list_size=3))
    reply = agent.chat("I want a comedy", session_id="registry")
    assert reply.question is None and len(reply.items) >= 1
    assert reply.trace.policy == always_recommend


def test_the_cli_offers_exactly_the_agents_policies(capsys: pytest.CaptureFixture[str]) -> None:
    parser = with_agent_options(argparse.ArgumentParser(prog="crsagent chat"))
    assert parser.parse_args([]).policy == DEFAULT_AGENT_POLICY
    assert parser.parse_args(["--policy", "learned"]).policy == "learned"
    with pytest.raises(SystemExit):
        parser.parse_args(["--policy", "greedy"])
    assert (
        "invalid choice: 'greedy' (choose from max-entropy, scpr, info-gain, learned)"
        in capsys.readouterr().err.replace(
            "'max-entropy', 'scpr', 'info-gain', 'learned'", "max-entropy, scpr, info-gain, learned"
        )
    )


def _fresh_python(code: str) -> str:
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    return result.stdout.strip()


def test_listing_names_imports_no_plugin_code() -> None:
    # The CLI builds its parser from these lists: they must not load the graph, the models or torch.
    printed = _fresh_python(
        "import sys; from crsagent.registry import POLICIES, RECOMMENDERS; "
        "print(POLICIES.names(), RECOMMENDERS.names(), "
        "sorted(m for m in ('crsagent.knowledge_graph', 'crsagent.recommenders', 'networkx', 'torch') "
        "if m in sys.modules))"
    )
    assert printed.endswith("[]"), printed


def test_simulators_registered_by_their_package_are_found_without_importing_it() -> None:
    printed = _fresh_python("from crsagent.registry import SIMULATORS; print(SIMULATORS.listing())")
    assert printed == "rule, template, llm"
