"""The stateless entry point: a whole conversation in, the reply and the ranking out."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from crsagent.agent import Agent
from crsagent.agent.conversation import ChatMessage, ConversationInputError

pytestmark = pytest.mark.real_data


def _ids(agent: Agent, *titles: str) -> list[str]:
    return [agent.catalog.find_by_title(title)[0].id for title in titles]


def test_a_conversation_gets_a_reply_and_a_ranking_of_fifty(ml_agent: Agent) -> None:
    result = ml_agent.respond([{"role": "user", "content": "a crime film from the 90s please"}])
    assert result.reply.text
    assert len(result.ranking) == 50
    scores = [item.score for item in result.ranking]
    assert scores == sorted(scores, reverse=True)
    years = [ml_agent.catalog.get(item.id).year for item in result.ranking]
    assert all(year is not None and 1990 <= year <= 1999 for year in years)
    assert all("Crime" in ml_agent.catalog.get(item.id).values("genre") for item in result.ranking)


def test_items_an_assistant_named_count_as_shown_and_feedback_applies_to_them(ml_agent: Agent) -> None:
    blade_runner, dark_city = _ids(ml_agent, "Blade Runner (1982)", "Dark City (1998)")
    messages = [
        {"role": "user", "content": "i want some sci-fi"},
        {"role": "assistant", "content": "Have you seen Blade Runner (1982) or Dark City (1998)?"},
        {"role": "user", "content": "seen them both, something else"},
    ]
    result = ml_agent.respond(messages)
    understood = result.reply.trace.understood
    assert understood is not None
    assert {blade_runner, dark_city} <= set(understood.rejected_items)
    ranked = {item.id for item in result.ranking}
    assert blade_runner not in ranked and dark_city not in ranked


def test_a_turn_without_search_still_ranks(ml_agent: Agent) -> None:
    result = ml_agent.respond([ChatMessage(role="user", content="hello")])
    assert result.reply.trace.decision == "greet"
    assert len(result.ranking) == 50  # the prior: what the agent would show with nothing said


def test_respond_keeps_nothing_and_matches_a_session(ml_agent: Agent, session: Callable[[], str]) -> None:
    messages = [
        {"role": "system", "content": "be brief"},
        {"role": "user", "content": "something with Tom Hanks"},
    ]
    first = ml_agent.respond(messages)
    second = ml_agent.respond(messages)
    assert [i.id for i in first.ranking] == [i.id for i in second.ranking]
    chatted = ml_agent.chat("something with Tom Hanks", session())
    assert chatted.trace.ranked_ids == [i.id for i in first.ranking]
    assert ml_agent.history("stateless") == []


@pytest.mark.parametrize(
    ("messages", "problem"),
    [
        ([], "no user message"),
        ([{"role": "assistant", "content": "hi"}], "no user message"),
        ([{"role": "robot", "content": "hi"}], "messages[0].role"),
        ([{"role": "user"}], "messages[0].content"),
        ("hello", "must be a list"),
    ],
)
def test_bad_message_lists_are_refused_clearly(ml_agent: Agent, messages: object, problem: str) -> None:
    with pytest.raises(ConversationInputError, match=problem.replace("[", r"\[").replace("]", r"\]")):
        ml_agent.respond(messages)  # type: ignore[arg-type]


def test_the_agents_own_question_is_read_back_from_its_text(ml_agent: Agent) -> None:
    first = ml_agent.respond([{"role": "user", "content": "a comedy"}])
    assert first.reply.question is not None
    picked = first.reply.question.values[0]
    messages = [
        {"role": "user", "content": "a comedy"},
        {"role": "assistant", "content": first.reply.text},
        {"role": "user", "content": picked},
    ]
    second = ml_agent.respond(messages)
    understood = second.reply.trace.understood
    assert understood is not None and understood.intent.value == "answer"
    assert (first.reply.question.attribute, picked) in [(v.type, v.value) for v in understood.accepted]
    assert all(
        picked in ml_agent.catalog.get(i).values(first.reply.question.attribute)
        for i in second.reply.trace.ranked_ids
    )
