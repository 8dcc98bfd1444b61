"""Simulated users and the dialogue runner.

    from crsagent.simulators import Target, make_simulator, run_dialogue
    user = make_simulator("template", dataset=agent.dataset, kg=agent.kg, seed=0)
    episode = run_dialogue(agent, user, Target(item_id="318", user=4), episode=0)

- ``rule``: the CPR rule user speaking structured ``UserTurn``s (the agent skips its NLU);
- ``template``: the same decisions as varied text with typos (the NLU's cost, offline);
- ``llm``: a chat model playing a user who knows the target's attributes, never its title.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from pydantic import BaseModel

from crsagent.data.dataset import Dataset
from crsagent.knowledge_graph.graph import KnowledgeGraph
from crsagent.llm.protocol import ChatModel
from crsagent.registry import OFFLINE_SIMULATOR, SIMULATORS
from crsagent.simulators.base import Episode, SimulatorTurn, Target, UserSimulator
from crsagent.simulators.llm_user import LLMUser, LLMUserConfig, SimulatedUserMessage
from crsagent.simulators.rule import RuleUser
from crsagent.simulators.runner import hit_rank, run_dialogue
from crsagent.simulators.template import TemplateConfig, TemplateUser


def _graph_user(name: str, user: Callable[..., UserSimulator]) -> Callable[..., UserSimulator]:
    """The factory of a simulator over the knowledge graph (given, or built from the dataset)."""

    def build(
        *,
        dataset: Dataset | None = None,
        kg: KnowledgeGraph | None = None,
        seed: int = 0,
        config: BaseModel | None = None,
        **_: object,
    ) -> UserSimulator:
        if kg is None:
            if dataset is None:
                raise ValueError(f"the {name} simulator needs a knowledge graph or a dataset to build one")
            kg = KnowledgeGraph.from_dataset(dataset)
        return user(kg, seed=seed) if config is None else user(kg, seed=seed, config=config)

    return build


def _llm_user(
    *,
    dataset: Dataset | None = None,
    chat_model: ChatModel | str | None = None,
    config: LLMUserConfig | None = None,
    **_: object,
) -> UserSimulator:
    if chat_model is None:
        raise ValueError("the llm simulator needs a chat model (an object or a model string)")
    if dataset is None:
        raise ValueError("the llm simulator needs the dataset (its catalog and train histories)")
    if isinstance(chat_model, str):
        from crsagent.llm.model_string import load_chat_model

        chat_model = load_chat_model(chat_model)
    return LLMUser(chat_model, dataset.catalog, dataset, config=config)


# The simulator names live here and nowhere else: the registry entries below.
SIMULATORS.register(
    "rule",
    summary="the CPR rule user: truthful about the target's values, speaks structured turns",
    factory=_graph_user("rule", RuleUser),
    tags={OFFLINE_SIMULATOR},
)
SIMULATORS.register(
    "template",
    summary="the rule user's decisions as varied text with typos (measures the NLU; no LLM)",
    factory=_graph_user("template", TemplateUser),
    config=TemplateConfig,
    tags={OFFLINE_SIMULATOR},
)
SIMULATORS.register(
    "llm",
    summary="a chat model playing a user who knows the target's attributes, never its title",
    factory=_llm_user,
    config=LLMUserConfig,
)

__all__ = [
    "Episode",
    "LLMUser",
    "LLMUserConfig",
    "RuleUser",
    "SimulatedUserMessage",
    "SimulatorTurn",
    "Target",
    "TemplateConfig",
    "TemplateUser",
    "UserSimulator",
    "hit_rank",
    "make_simulator",
    "run_dialogue",
]


def make_simulator(
    name: str,
    *,
    dataset: Dataset | None = None,
    kg: KnowledgeGraph | None = None,
    chat_model: ChatModel | str | None = None,
    seed: int = 0,
    config: BaseModel | Mapping[str, Any] | None = None,
) -> UserSimulator:
    """A simulator by its registered name, ``config`` validated against its typed settings. ``rule`` /
    ``template`` need a graph (or a dataset to build one); ``llm`` needs a chat model (an object or a
    model string such as ``scripted:file.json``) and a dataset (its catalog, and train histories for
    personas)."""
    plugin = SIMULATORS.get(name)
    settings = plugin.settings(config)
    return plugin.factory()(dataset=dataset, kg=kg, chat_model=chat_model, seed=seed, config=settings)
