"""End to end on ml-latest-small, offline: each thing a user can do, through ``Agent.chat``."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from crsagent.agent import Agent, Reply

pytestmark = pytest.mark.real_data


def _titles(reply: Reply) -> list[str]:
    return [item.title for item in reply.items]


def _talk(agent: Agent, session: str, *messages: str) -> Reply:
    reply = None
    for message in messages:
        reply = agent.chat(message, session)
    assert reply is not None
    return reply


def _until_items(agent: Agent, session: str, first: str, answer: str = "no preference") -> Reply:
    """Send ``first``, then answer every question with ``answer`` until a list comes."""
    reply = agent.chat(first, session)
    for _ in range(6):
        if reply.items:
            return reply
        reply = agent.chat(answer, session)
    raise AssertionError(f"no recommendation after six turns: {reply.text}")


def test_a_greeting_gets_an_open_question(ml_agent: Agent, session: Callable[[], str]) -> None:
    reply = ml_agent.chat("hi", session())
    assert reply.trace.decision == "greet"
    assert not reply.items and reply.question is None


def test_yes_no_answers_narrow_the_candidates(movielens, real_settings, session) -> None:
    from crsagent.agent import AgentConfig

    agent = Agent.from_dataset(
        movielens, llm="offline", settings=real_settings, config=AgentConfig(offer_values=1)
    )
    sid = session()
    first = agent.chat("I'd like a comedy", sid)
    assert first.question is not None and first.question.yes_no
    asked = f"{first.question.attribute}:{first.question.values[0]}"
    yes = agent.chat("yes", sid)
    assert yes.trace.candidates_after < first.trace.candidates_after
    assert asked in _memory_accepted(agent, sid)
    no_sid = session()
    agent.chat("I'd like a comedy", no_sid)
    agent.chat("no", no_sid)
    assert asked not in _memory_accepted(agent, no_sid)


def _memory_accepted(agent: Agent, session_id: str) -> list[str]:
    values = agent.graph.get_state({"configurable": {"thread_id": session_id}}).values
    return values["memory"].accepted


def test_choosing_among_offered_values(ml_agent: Agent, session: Callable[[], str]) -> None:
    sid = session()
    reply = ml_agent.chat("something from the 90s", sid)
    assert reply.question is not None and len(reply.question.values) > 1
    chosen = reply.question.values[1]
    ml_agent.chat(chosen, sid)
    assert f"{reply.question.attribute}:{chosen}" in _memory_accepted(ml_agent, sid)


def test_hard_constraints_hold_in_every_list(ml_agent: Agent, session: Callable[[], str]) -> None:
    reply = _until_items(ml_agent, session(), "a comedy after 2000, no horror")
    for shown in reply.items:
        item = ml_agent.catalog.get(shown.id)
        assert item.year is not None and item.year > 2000
        assert "Comedy" in item.values("genre") and "Horror" not in item.values("genre")


def test_directed_by_a_person(ml_agent: Agent, session: Callable[[], str]) -> None:
    reply = _until_items(ml_agent, session(), "something directed by Christopher Nolan")
    assert reply.items
    for shown in reply.items:
        assert "Christopher Nolan" in ml_agent.catalog.get(shown.id).values("director")
    assert any("Christopher Nolan" in reason for shown in reply.items for reason in shown.reasons)


def test_more_like_a_title(ml_agent: Agent, session: Callable[[], str]) -> None:
    reply = _until_items(ml_agent, session(), "more like The Matrix")
    heat = ml_agent.catalog.find_by_title("The Matrix")[0]
    assert heat.id not in [item.id for item in reply.items]  # never the item itself
    # Proximity in the graph: each list item shares something with it, and says so.
    assert any("Matrix" in reason for item in reply.items for reason in item.reasons)


def test_rejecting_a_list_removes_it(ml_agent: Agent, session: Callable[[], str]) -> None:
    sid = session()
    first = _until_items(ml_agent, sid, "a crime movie")
    second = _until_items(ml_agent, sid, "none of these")
    assert not set(_titles(first)) & set(_titles(second))


def test_accepting_an_item_is_acknowledged(ml_agent: Agent, session: Callable[[], str]) -> None:
    sid = session()
    listed = _until_items(ml_agent, sid, "a crime movie")
    reply = ml_agent.chat("I'll take the first one", sid)
    assert reply.trace.decision == "acknowledge"
    assert reply.trace.understood is not None and reply.trace.understood.accepted_items == [
        listed.items[0].id
    ]


def test_rejecting_an_attribute_value(ml_agent: Agent, session: Callable[[], str]) -> None:
    reply = _until_items(ml_agent, session(), "an action movie but I hate sci-fi")
    for shown in reply.items:
        assert "Sci-Fi" not in ml_agent.catalog.get(shown.id).values("genre")


def test_question_about_an_item(ml_agent: Agent, session: Callable[[], str]) -> None:
    reply = ml_agent.chat("who directed Inception?", session())
    assert reply.trace.decision == "answer_item"
    assert "Christopher Nolan" in reply.text


def test_start_over_forgets_preferences(ml_agent: Agent, session: Callable[[], str]) -> None:
    sid = session()
    ml_agent.chat("a comedy after 2000", sid)
    reply = ml_agent.chat("let's start over", sid)
    assert reply.trace.decision == "restart"
    assert _memory_accepted(ml_agent, sid) == []
    values = ml_agent.graph.get_state({"configurable": {"thread_id": sid}}).values
    assert values["memory"].year_min is None


def test_every_item_is_grounded_with_a_reason(ml_agent: Agent, session: Callable[[], str]) -> None:
    reply = _until_items(ml_agent, session(), "a romantic comedy from the 90s")
    assert 0 < len(reply.items) <= 5
    for shown in reply.items:
        assert ml_agent.catalog.get(shown.id).year == shown.year  # grounded: the id is a catalog item
        assert shown.reasons
    assert len(reply.trace.ranked_ids) >= len(reply.items)
    assert [item.id for item in reply.items] == reply.trace.ranked_ids[: len(reply.items)]


def test_impossible_constraints_are_relaxed_and_said(ml_agent: Agent, session: Callable[[], str]) -> None:
    reply = ml_agent.chat("a documentary directed by Christopher Nolan before 1950", session())
    assert reply.trace.relaxations
    assert "set aside" in reply.text
