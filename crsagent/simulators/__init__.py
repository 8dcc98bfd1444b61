"""Simulated users and the dialogue runner.

    from crsagent.simulators import Target, make_simulator, run_dialogue
    user = make_simulator("template", dataset=agent.dataset, kg=agent.kg, seed=0)
    episode = run_dialogue(agent, user, Target(item_id="318", user=4), episode=0)

- ``rule``: the CPR rule user speaking structured ``UserTurn``s (the agent skips its NLU);
- ``template``: the same decisions as varied text with typos (the NLU's cost, offline);
- ``llm``: a chat model playing a user who knows the target's attributes, never its title.
"""

from __future__ import annotations

from typing import Literal

from crsagent.data.dataset import Dataset
from crsagent.knowledge_graph.graph import KnowledgeGraph
from crsagent.llm.protocol import ChatModel
from crsagent.simulators.base import Episode, SimulatorTurn, Target, TurnRecord, UserSimulator
from crsagent.simulators.leak import LeakDetector
from crsagent.simulators.llm_user import LLMUser, LLMUserConfig, SimulatedUserMessage
from crsagent.simulators.rule import RuleUser
from crsagent.simulators.runner import ChatAgent, hit_rank, run_dialogue
from crsagent.simulators.template import TemplateConfig, TemplateUser

SimulatorName = Literal["rule", "template", "llm"]
SIMULATORS: tuple[SimulatorName, ...] = ("rule", "template", "llm")

__all__ = [
    "SIMULATORS",
    "ChatAgent",
    "Episode",
    "LLMUser",
    "LLMUserConfig",
    "LeakDetector",
    "RuleUser",
    "SimulatedUserMessage",
    "SimulatorName",
    "SimulatorTurn",
    "Target",
    "TemplateConfig",
    "TemplateUser",
    "TurnRecord",
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
    template: TemplateConfig | None = None,
    llm: LLMUserConfig | None = None,
) -> UserSimulator:
    """A simulator by name. ``rule`` / ``template`` need a graph (or a dataset to build one);
    ``llm`` needs a chat model (an object or a model string such as ``scripted:file.json``) and a
    dataset (its catalog, and train histories for personas)."""
    if name in ("rule", "template"):
        if kg is None:
            if dataset is None:
                raise ValueError(f"the {name} simulator needs a knowledge graph or a dataset to build one")
            kg = KnowledgeGraph.from_dataset(dataset)
        return RuleUser(kg, seed=seed) if name == "rule" else TemplateUser(kg, seed=seed, config=template)
    if name == "llm":
        if chat_model is None:
            raise ValueError("the llm simulator needs a chat model (an object or a model string)")
        if dataset is None:
            raise ValueError("the llm simulator needs the dataset (its catalog and train histories)")
        if isinstance(chat_model, str):
            from crsagent.llm.model_string import load_chat_model

            chat_model = load_chat_model(chat_model)
        return LLMUser(chat_model, dataset.catalog, dataset, config=llm)
    raise ValueError(f"unknown simulator {name!r}; choose one of: {', '.join(SIMULATORS)}")
