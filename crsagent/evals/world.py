"""What an evaluation worker builds once: the agent under test and a factory of simulated users.

A worker (a process, or the event loop of an LLM run) builds one ``EvalWorld`` and plays many
episodes with it; every episode gets a fresh simulator and its own session, which the dialogue
runner drops when the episode ends, so a long run does not keep every conversation in memory.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

from crsagent.agent import Agent
from crsagent.config import Settings
from crsagent.data.dataset import Dataset
from crsagent.evals.spec import EvalSpec
from crsagent.evals.targets import EpisodeTarget
from crsagent.llm.model_string import load_chat_model
from crsagent.simulators import make_simulator, run_dialogue
from crsagent.simulators.base import Episode, UserSimulator

logger = logging.getLogger(__name__)


@dataclass
class EvalWorld:
    """The agent and a simulator factory, built once per worker."""

    spec: EvalSpec
    agent: Agent
    make_simulator: Callable[[], UserSimulator]

    def play(self, job: EpisodeTarget) -> Episode:
        """Play one episode; a failure becomes the episode's ``error`` (recorded, not fatal)."""
        # run_dialogue records a failing dialogue in the episode and resets the session itself;
        # this catches what happens before the dialogue starts (building the simulator).
        try:
            simulator = self.make_simulator()
        except Exception as error:  # one failing episode must not end the run: it is recorded
            logger.warning("episode %d: the simulator could not be built", job.index, exc_info=True)
            return Episode(
                episode=job.index, target=job.target, error=f"{type(error).__name__}: {error}", end="error"
            )
        return run_dialogue(
            self.agent,
            simulator,
            job.target,
            episode=job.index,
            max_turns=self.spec.max_turns,
            session_id=f"eval-{self.spec.name}-{job.index}",
        )


def _simulator_factory(spec: EvalSpec, agent: Agent, settings: Settings) -> Callable[[], UserSimulator]:
    simulator = spec.simulator
    # One LLM client, shared by every episode; the agent's graph serves the simulator too (no second build).
    chat_model = load_chat_model(simulator.llm, settings) if simulator.llm is not None else None
    return partial(
        make_simulator,
        simulator.kind,
        dataset=agent.dataset,
        kg=agent.kg,
        chat_model=chat_model,
        seed=spec.seed,
        config=simulator.config,
    )


def build_world(spec: EvalSpec, dataset: Dataset, settings: Settings) -> EvalWorld:
    """Build the agent over ``dataset`` (offline unless the spec names an LLM) and the simulator factory."""
    agent = Agent.from_dataset(
        dataset, llm=spec.agent.llm or "offline", config=spec.agent_config(), settings=settings
    )
    return EvalWorld(spec, agent, _simulator_factory(spec, agent, settings))
