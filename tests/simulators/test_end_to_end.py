"""Simulated users against the real offline agent: the demo catalog (always), ml-latest-small (real data)."""

from __future__ import annotations

import re

import pytest

from crsagent.agent import Agent
from crsagent.data.dataset import Dataset
from crsagent.llm.protocol import ChatRequest
from crsagent.llm.testing import ScriptedChatModel
from crsagent.simulators import Episode, Target, make_simulator, run_dialogue
from crsagent.simulators.llm_user import SimulatedUserMessage


@pytest.fixture(scope="module")
def demo_agent() -> Agent:
    return Agent.from_dataset("demo", llm="offline")


def _targets(agent: Agent, count: int, step: int = 23) -> list[Target]:
    return [Target(item_id=agent.catalog.at(i).id) for i in range(0, step * count, step)]


def _check(agent: Agent, episodes: list[Episode], max_turns: int = 15) -> None:
    for episode in episodes:
        assert episode.error is None, episode.error
        assert 1 <= len(episode.turns) <= max_turns - 1
        assert all(item in agent.catalog for turn in episode.turns for item in turn.shown_ids)
        if episode.success:
            assert episode.success_turn == len(episode.turns)
            assert episode.target.item_id in episode.turns[-1].shown_ids


@pytest.mark.parametrize("name", ["rule", "template"])
def test_rule_and_template_users_find_demo_targets(demo_agent: Agent, name: str) -> None:
    user = make_simulator(name, kg=demo_agent.kg, seed=0)
    episodes = [run_dialogue(demo_agent, user, t, episode=n) for n, t in enumerate(_targets(demo_agent, 5))]
    _check(demo_agent, episodes)
    assert sum(e.success for e in episodes) >= 3
    # The closing acceptance ("I'll take X" / "the second one") reached the agent.
    assert any(e.accept_understood for e in episodes)


def test_an_episode_replays_identically(demo_agent: Agent) -> None:
    target = _targets(demo_agent, 3)[2]

    def play() -> list[tuple[str, str]]:
        user = make_simulator("template", kg=demo_agent.kg, seed=4)
        return [(t.user_text, t.agent_text) for t in run_dialogue(demo_agent, user, target, episode=0).turns]

    assert play() == play()


def _genre_speaker(request: ChatRequest) -> SimulatedUserMessage:
    """Plays the user from what the prompt says: names a genre, tries to leak the title once per turn."""
    genre = re.search(r"- genre: ([^,\n]+)", request.messages[0].content)
    wanted = genre.group(1) if genre else "anything"
    if request.messages[-1].content.startswith("Your message names"):
        return SimulatedUserMessage(text=f"a {wanted} film, please", signal="request")
    return SimulatedUserMessage(text="King Kong! I mean, something like King Kong", signal="request")


def test_an_llm_user_on_a_scripted_model_never_leaks_to_the_agent(demo_agent: Agent) -> None:
    model = ScriptedChatModel([_genre_speaker] * 60)
    user = make_simulator("llm", dataset=demo_agent.dataset, chat_model=model)
    target = Target(item_id="demo-001")  # King Kong (1933)
    episode = run_dialogue(demo_agent, user, target, episode=0, max_turns=5, close=False)
    _check(demo_agent, [episode], max_turns=5)
    assert episode.turns and all(turn.leaked for turn in episode.turns)
    assert all("king kong" not in turn.user_text.lower() for turn in episode.turns)
    assert all(turn.simulator_llm_calls == 2 for turn in episode.turns)


@pytest.mark.real_data
@pytest.mark.slow  # building the agent fits its preference model (about a minute cold, on 2 cores)
def test_simulated_users_on_ml_latest_small(movielens: Dataset, ml_agent: Agent) -> None:
    agent = ml_agent
    pairs = movielens.split("test").pairs()[:4]
    targets = [Target(item_id=movielens.catalog.at(item).id, user=user) for user, item in pairs]
    for name in ("rule", "template"):
        user = make_simulator(name, kg=agent.kg, dataset=movielens, seed=0)
        episodes = [run_dialogue(agent, user, t, episode=n) for n, t in enumerate(targets)]
        _check(agent, episodes)
        assert all(e.turns[0].ranked_ids for e in episodes)
