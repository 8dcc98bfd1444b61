"""Conversations as people type them, end to end through ``Agent.chat`` on ml-latest-small (offline).

Each test is one short conversation: lower case, typos, moods, a movie they loved, a change of mind,
"nah", "why that one?". They pin what the understanding rebuilt around the catalog must do.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from crsagent.agent import Agent, Reply

pytestmark = pytest.mark.real_data


def _id(agent: Agent, title: str) -> str:
    return agent.catalog.find_by_title(title)[0].id


def _ranked_years(agent: Agent, reply: Reply) -> list[int | None]:
    return [agent.catalog.get(i).year for i in reply.trace.ranked_ids]


def _genres(agent: Agent, item_id: str) -> list[str]:
    return agent.catalog.get(item_id).values("genre")


def test_a_mood_ranks_and_a_decade_filters(ml_agent: Agent, session: Callable[[], str]) -> None:
    reply = ml_agent.chat("I want a funny movie from the 90s", session())
    understood = reply.trace.understood
    assert understood is not None
    assert ("genre", "Comedy") in [(v.type, v.value) for v in understood.soft]
    assert understood.accepted == [] and (understood.year_min, understood.year_max) == (1990, 1999)
    years = _ranked_years(ml_agent, reply)
    assert years and all(y is not None and 1990 <= y <= 1999 for y in years)
    top = reply.trace.ranked_ids[:10]
    assert sum("Comedy" in _genres(ml_agent, i) for i in top) >= 7  # funny leans, it does not filter
    assert "Comedy" not in (reply.question.values if reply.question else [])  # no need to ask it


def test_a_new_request_is_kept_and_what_still_applies_is_said(
    ml_agent: Agent, session: Callable[[], str]
) -> None:
    sid = session()
    ml_agent.chat("something from the 90s", sid)
    reply = ml_agent.chat("with jim carrey", sid)
    carrey = {i for i in reply.trace.ranked_ids if "Jim Carrey" in ml_agent.catalog.get(i).values("cast")}
    assert reply.trace.ranked_ids and carrey == set(reply.trace.ranked_ids)
    assert "Still keeping 'from 1990'" in reply.text or "set aside" in reply.text


def test_a_change_of_topic_replaces_the_old_request(ml_agent: Agent, session: Callable[[], str]) -> None:
    sid = session()
    ml_agent.chat("something with Jim Carrey from the 90s", sid)
    reply = ml_agent.chat("actually forget all that, i want a documentary", sid)
    assert reply.trace.understood is not None and reply.trace.understood.replace
    assert reply.trace.relaxations == []
    assert all("Documentary" in _genres(ml_agent, i) for i in reply.trace.ranked_ids)
    assert not any("Jim Carrey" in ml_agent.catalog.get(i).values("cast") for i in reply.trace.ranked_ids)


def test_a_loved_movie_drives_the_ranking_and_newer_means_after_it(
    ml_agent: Agent, session: Callable[[], str]
) -> None:
    alien = _id(ml_agent, "Alien (1979)")
    reply = ml_agent.chat("I loved Alien, something tense but newer", session())
    understood = reply.trace.understood
    assert understood is not None and understood.liked_items == [alien]
    assert understood.year_min == 1980 and understood.recency == "recent"
    assert alien not in reply.trace.ranked_ids
    assert all(y is not None and y >= 1980 for y in _ranked_years(ml_agent, reply))
    aliens = _id(ml_agent, "Aliens (1986)")
    assert aliens in reply.trace.ranked_ids[:10]  # the collaborative model knows who loves Alien


def test_like_a_movie_but_no_genre(ml_agent: Agent, session: Callable[[], str]) -> None:
    heat = _id(ml_agent, "Heat (1995)")
    reply = ml_agent.chat("something like heat but no horror", session())
    understood = reply.trace.understood
    assert understood is not None and understood.liked_items == [heat]
    assert [(v.type, v.value) for v in understood.rejected] == [("genre", "Horror")]
    assert not any("Horror" in _genres(ml_agent, i) for i in reply.trace.ranked_ids)


def test_typos_in_titles_are_forgiven(ml_agent: Agent, session: Callable[[], str]) -> None:
    reply = ml_agent.chat("i loved the matrx and inceptoin", session())
    understood = reply.trace.understood
    assert understood is not None
    assert understood.liked_items == [_id(ml_agent, "Matrix, The (1999)"), _id(ml_agent, "Inception (2010)")]


def _until_list(agent: Agent, sid: str, text: str) -> Reply:
    reply = agent.chat(text, sid)
    for _ in range(5):
        if reply.items:
            return reply
        reply = agent.chat("just show me something", sid)
    raise AssertionError(f"no list: {reply.text}")


def test_why_that_one_explains_the_first_item(ml_agent: Agent, session: Callable[[], str]) -> None:
    sid = session()
    shown = _until_list(ml_agent, sid, "a crime movie with al pacino")
    reply = ml_agent.chat("why that one?", sid)
    assert reply.trace.decision == "answer_item" and not reply.items
    assert reply.text.startswith("I suggested") and shown.items[0].title.split(" (")[0] in reply.text
    why_second = ml_agent.chat(f"why {shown.items[1].title.split(' (')[0]}?", sid)
    assert why_second.trace.understood is not None
    assert why_second.trace.understood.asked_item == shown.items[1].id  # a question, not accepting it
    assert why_second.trace.understood.accepted_items == []


def test_thanks_and_picking_a_shown_film(ml_agent: Agent, session: Callable[[], str]) -> None:
    sid = session()
    shown = _until_list(ml_agent, sid, "a crime movie with al pacino")
    title = shown.items[0].title.split(" (")[0]
    reply = ml_agent.chat(f"thanks, i'll watch {title.lower()}", sid)
    understood = reply.trace.understood
    assert understood is not None and understood.accepted_items == [shown.items[0].id]
    assert understood.soft == [] and reply.trace.decision == "acknowledge"
    assert ml_agent.chat("thanks!", sid).trace.decision == "chat"
    assert ml_agent.chat("just show me something", sid).trace.decision == "recommend"  # not small talk


def test_seen_it_and_nah(ml_agent: Agent, session: Callable[[], str]) -> None:
    sid = session()
    shown = _until_list(ml_agent, sid, "a western")
    reply = ml_agent.chat("seen them all, nah", sid)
    assert {i.id for i in shown.items} <= set(
        reply.trace.understood.rejected_items if reply.trace.understood else []
    )
    later = ml_agent.chat("something else", sid)
    assert not {i.id for i in shown.items} & set(later.trace.ranked_ids)  # rejected for good


def test_an_unknown_movie_is_said_not_invented(ml_agent: Agent, session: Callable[[], str]) -> None:
    reply = ml_agent.chat("more like Zorblax Returns", session())
    understood = reply.trace.understood
    assert understood is not None and understood.unplaced_titles == ["Zorblax Returns"]
    assert understood.liked_items == []


def test_a_new_genre_replaces_the_old_one(ml_agent: Agent, session: Callable[[], str]) -> None:
    sid = session()
    ml_agent.chat("a horror film from the 1950s", sid)
    reply = ml_agent.chat("a drama from the 1990s", sid)
    assert reply.trace.relaxations == []
    assert reply.trace.ranked_ids
    for item_id in reply.trace.ranked_ids:
        item = ml_agent.catalog.get(item_id)
        assert "Drama" in item.values("genre") and item.year is not None and 1990 <= item.year <= 1999
    assert "Horror" not in reply.text


def test_a_loved_film_that_breaks_old_filters_sets_them_aside_and_says_so(
    ml_agent: Agent, session: Callable[[], str]
) -> None:
    sid = session()
    ml_agent.chat("something with jim carrey from the 90s", sid)
    reply = ml_agent.chat("I loved Alien, something tense but newer", sid)
    assert "set those aside" in reply.text and "Jim Carrey" in reply.text
    assert not any(
        "Jim Carrey" in ml_agent.catalog.get(i).values("cast") for i in reply.trace.ranked_ids[:10]
    )
    assert all(y is not None and y >= 1980 for y in _ranked_years(ml_agent, reply))


def test_everyday_phrases_are_no_titles(ml_agent: Agent, session: Callable[[], str]) -> None:
    sid = session()
    shown = _until_list(ml_agent, sid, "a western")
    reply = ml_agent.chat("nope, anything else?", sid)  # not the film "Anything Else" (2003)
    understood = reply.trace.understood
    assert understood is not None and understood.liked_items == []
    assert {i.id for i in shown.items} <= set(understood.rejected_items)
    assert "set those aside" not in reply.text


def test_just_show_me_something_shows(ml_agent: Agent, session: Callable[[], str]) -> None:
    sid = session()
    first = ml_agent.chat("a documentary", sid)
    assert first.question is not None  # the policy wants to narrow it down
    reply = ml_agent.chat("just show me something", sid)
    assert reply.trace.decision == "recommend" and reply.items
    assert all("Documentary" in _genres(ml_agent, item.id) for item in reply.items)
    assert not reply.text.startswith("I couldn't match")


@pytest.mark.parametrize(
    ("text", "title", "role"),
    [
        ("I have not seen goldfinger.", "Goldfinger (1964)", "mentioned"),  # a film before an obscure writer
        ("favorite movie.. fargo", "Fargo (1996)", "liked"),
        ("lincoln  is another", "Lincoln (2012)", "liked"),  # a rare word judged right after
        ("elf is a funny movie", "Elf (2003)", "liked"),
    ],
)
def test_lower_case_titles_real_people_typed(
    ml_agent: Agent, session: Callable[[], str], text: str, title: str, role: str
) -> None:
    understood = ml_agent.chat(text, session()).trace.understood
    assert understood is not None
    named = understood.mentioned_items if role == "mentioned" else understood.liked_items
    assert _id(ml_agent, title) in named


@pytest.mark.parametrize(
    ("text", "person"),
    [
        ("I like Jennifer Lawerence", "Jennifer Lawrence"),  # not the film "Jennifer 8"
        ("I also love Steven King", "Stephen King"),
        ("M. Night Shamalayn has a lot of films with twists", "M. Night Shyamalan"),
    ],
)
def test_misspelt_names_real_people_typed(
    ml_agent: Agent, session: Callable[[], str], text: str, person: str
) -> None:
    understood = ml_agent.chat(text, session()).trace.understood
    assert understood is not None
    assert person in [v.value for v in [*understood.accepted, *understood.soft]]
    assert understood.liked_items == []


def test_titles_in_a_list_prove_each_other(ml_agent: Agent, session: Callable[[], str]) -> None:
    understood = ml_agent.chat("halloween , get out , and shining", session()).trace.understood
    assert understood is not None
    titles = ("Halloween (1978)", "Get Out (2017)", "Shining, The (1980)")
    assert set(understood.liked_items) == {_id(ml_agent, title) for title in titles}
    understood = ml_agent.chat("comedy, horror and action", session()).trace.understood
    assert understood is not None and understood.liked_items == []  # a list of genres stays genres


def test_the_catalogs_words_for_kinds_are_no_titles(ml_agent: Agent, session: Callable[[], str]) -> None:
    understood = ml_agent.chat("I want a movie with tag emotional", session()).trace.understood
    assert understood is not None and understood.liked_items == []  # not the film "Tag" (2018)


def test_a_series_name_names_its_best_known_film(ml_agent: Agent, session: Callable[[], str]) -> None:
    understood = ml_agent.chat("I also like harry potter", session()).trace.understood
    assert understood is not None and len(understood.liked_items) == 1
    assert ml_agent.catalog.get(understood.liked_items[0]).title.startswith("Harry Potter and the")


def test_a_kind_of_film_is_no_title(ml_agent: Agent, session: Callable[[], str]) -> None:
    understood = ml_agent.chat(
        "yeah, that was a good alien movie slash mutant mix", session()
    ).trace.understood
    assert understood is not None and understood.liked_items == []  # not "Alien", not "Splash"
