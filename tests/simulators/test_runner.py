"""The dialogue runner against a fake agent: turn counting (the CPR protocol's), hits by id, what each
exchange logs, errors kept per episode, sessions reset."""

from __future__ import annotations

import pytest

from crsagent.agent.reply import Reply
from crsagent.agent.turns import Intent, UserTurn
from crsagent.knowledge_graph.graph import KnowledgeGraph
from crsagent.simulators import RuleUser, SimulatorTurn, Target, TemplateUser, hit_rank, run_dialogue
from tests.knowledge_graph.tiny_data import tiny_dataset
from tests.simulators.helpers import FakeAgent, ask, greet, show, trace

TARGET = Target(item_id="i5", user=3)  # tags rock, soul


@pytest.fixture(scope="module")
def kg() -> KnowledgeGraph:
    return KnowledgeGraph.from_dataset(tiny_dataset())


def test_a_hit_in_the_first_reply_is_turn_one(kg: KnowledgeGraph) -> None:
    """The opening is turn 1 of the budget but not of ``success_turn`` (CPR's t + 1, t = 0)."""
    agent = FakeAgent([show("i1", "i5")])
    episode = run_dialogue(agent, RuleUser(kg), TARGET, episode=7, close=False)
    assert (episode.success, episode.success_turn, episode.hit_rank, episode.end) == (True, 1, 2, "success")
    assert episode.episode == 7 and episode.target == TARGET and episode.error is None
    assert len(episode.turns) == 1 and len(agent.calls) == 1


def test_the_success_turn_counts_agent_replies(kg: KnowledgeGraph) -> None:
    agent = FakeAgent([ask("tag", "rock"), show("i1", "i2"), ask("tag", "pop", "soul"), show("i5")])
    episode = run_dialogue(agent, RuleUser(kg), TARGET, episode=0, close=False)
    assert episode.success_turn == 4 and episode.hit_rank == 1
    assert [t.decision for t in episode.turns] == ["ask", "recommend", "ask", "recommend"]


def test_the_budget_is_max_turns_minus_the_opening(kg: KnowledgeGraph) -> None:
    agent = FakeAgent([show("i1")])
    episode = run_dialogue(agent, RuleUser(kg), TARGET, episode=0, max_turns=15)
    assert not episode.success and episode.success_turn is None and episode.hit_rank is None
    assert episode.end == "max_turns"
    assert len(agent.calls) == 14 and len(episode.turns) == 14
    # A hit in the last reply of the budget still counts (SR@15 = success at all).
    last = FakeAgent([*[show("i1")] * 13, show("i5")])
    assert run_dialogue(last, RuleUser(kg), TARGET, episode=0, max_turns=15).success_turn == 14


def test_each_exchange_is_logged_from_the_reply_and_the_users_message(kg: KnowledgeGraph) -> None:
    question = ask("tag", "rock", "pop")
    busy = question.model_copy(
        update={
            "trace": trace(
                "ask",
                ranked_ids=["i5", "i1"],
                llm_calls=2,
                prompt_tokens=30,
                completion_tokens=5,
                dropped_titles=["Made Up"],
            )
        }
    )
    agent = FakeAgent([busy, show("i5")])
    episode = run_dialogue(agent, RuleUser(kg), TARGET, episode=0, close=False)
    first, second = episode.turns
    assert first.asked == ["tag:rock", "tag:pop"] and first.ranked_ids == ["i5", "i1"]
    assert (first.llm_calls, first.prompt_tokens, first.completion_tokens, first.dropped_titles) == (
        2,
        30,
        5,
        1,
    )
    assert first.user_text == agent.calls[0][0] and first.agent_text == busy.text
    assert first.user_signal == "request" and second.user_signal == "answer"
    assert second.shown_ids == ["i5"] and first.latency_ms >= 0


def test_the_rule_user_hands_over_structured_turns_and_the_template_user_text(kg: KnowledgeGraph) -> None:
    for simulator, structured in ((RuleUser(kg), True), (TemplateUser(kg), False)):
        agent = FakeAgent([ask("tag", "rock"), show("i5")])
        run_dialogue(agent, simulator, TARGET, episode=0, close=False)
        turns = [turn for _, _, turn, _ in agent.calls]
        assert all((turn is not None) == structured for turn in turns)
        assert all(user == 3 for *_, user in agent.calls)  # personalised for the target's user


def test_after_a_hit_the_closing_message_is_sent_and_kept_apart(kg: KnowledgeGraph) -> None:
    understood = UserTurn(intent=Intent.FEEDBACK, accepted_items=["i5"])
    thanks = greet().model_copy(update={"trace": trace("acknowledge", understood=understood)})
    agent = FakeAgent([show("i5"), thanks])
    episode = run_dialogue(agent, RuleUser(kg), TARGET, episode=0)
    assert episode.error is None and episode.success_turn == 1 and len(episode.turns) == 1
    assert episode.closing is not None and episode.closing.decision == "acknowledge"
    assert episode.accept_understood is True
    assert agent.calls[1][2] is not None and agent.calls[1][2].accepted_items == ["i5"]


def test_each_episode_has_a_fresh_session_that_is_reset(kg: KnowledgeGraph) -> None:
    agent = FakeAgent([show("i5")])
    run_dialogue(agent, RuleUser(kg), TARGET, episode=0)
    run_dialogue(agent, RuleUser(kg), TARGET, episode=0)
    sessions = [session for _, session, *_ in agent.calls]
    assert sessions[0] == sessions[1] != sessions[2] == sessions[3]
    assert agent.resets == [sessions[0], sessions[2]]
    run_dialogue(agent, RuleUser(kg), TARGET, episode=1, session_id="mine")
    assert agent.calls[-1][1] == "mine" and agent.resets[-1] == "mine"


def test_an_exception_is_recorded_not_raised_and_the_session_still_reset(kg: KnowledgeGraph) -> None:
    agent = FakeAgent([ask("tag", "rock")], fail_at=2)
    episode = run_dialogue(agent, RuleUser(kg), TARGET, episode=3)
    assert episode.error == "RuntimeError: the agent broke" and episode.end == "error"
    assert not episode.success and len(episode.turns) == 1
    assert agent.resets == [agent.calls[0][1]]
    unknown = run_dialogue(FakeAgent([greet()]), RuleUser(kg), Target(item_id="nope"), episode=4)
    assert unknown.error is not None and "nope" in unknown.error


def test_a_user_who_is_done_ends_the_episode(kg: KnowledgeGraph) -> None:
    class Quitter(RuleUser):
        def reply(self, agent_reply: Reply) -> SimulatorTurn:
            return super().reply(agent_reply).model_copy(update={"done": True})

    episode = run_dialogue(FakeAgent([ask("tag", "rock")]), Quitter(kg), TARGET, episode=0)
    assert episode.end == "user_done" and not episode.success and len(episode.turns) == 1


def test_a_budget_below_two_turns_is_refused(kg: KnowledgeGraph) -> None:
    with pytest.raises(ValueError, match="max_turns"):
        run_dialogue(FakeAgent([greet()]), RuleUser(kg), TARGET, episode=0, max_turns=1)


def test_hit_rank_is_by_id() -> None:
    assert hit_rank(show(("a", "Target Title"), ("i5", "Other")), "i5") == 2
    assert hit_rank(show(("a", "i5")), "i5") is None
