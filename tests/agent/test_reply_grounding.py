"""The text an LLM writes into a reply names only items the turn shows, however it writes a name.

A scripted model writes the lead of a recommendation turn on the demo catalog. Every way of putting
an item name into the text that the catalog did not supply for this turn — invented titles in plain
text, Title Case, with a year, quoted or emphasised, and real catalog titles that were not shown, in
lower case or misspelt — makes the agent drop the lead for the template and count the name; leads
that name the shown items (as the catalog or as people write them), their people and genres are kept.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace

import pytest

from crsagent.agent import Agent, AgentConfig
from crsagent.agent.llm_plan import LlmUnderstanding, Plan
from crsagent.agent.reply import Question, Reply, ReplyItem
from crsagent.agent.reply_grounding import ungrounded_names
from crsagent.agent.title_spans import title_spans
from crsagent.agent.turns import Intent, ValueRef
from crsagent.llm import ChatRequest
from crsagent.llm.testing import ScriptedChatModel

CRIME = Plan(
    understanding=LlmUnderstanding(intent=Intent.REQUEST, accepted=[ValueRef(type="genre", value="Crime")])
)

# {first}: the first title shown. Jurassic Park is a demo title that a crime list does not show.
INVENTED_FORMS = {
    "plain text": "You will love Midnight Harbor Blues as much as these.",
    "title case opening the sentence": "Midnight Harbor is where to start.",
    "with a year": "Start with Midnight Harbor (1997), then these.",
    "lower case with a year": "start with midnight harbor (1997), then these.",
    "double quotes": 'Start with "Midnight Harbor", then these.',
    "curly quotes, lower case": "Start with “midnight harbor”, then these.",
    "single quotes": "Start with 'Midnight Harbor', then these.",
    "emphasis": "Start with *midnight harbor*, then these.",
    "bold": "Start with **Midnight Harbor**, then these.",
    "underscores": "Start with _Midnight Harbor_, then these.",
    "capitals": "MIDNIGHT HARBOR first, then these.",
    "a sequel of a shown title": "Once you have seen {first}, try {first} Returns.",
    "a shown title with another year": "Start with {first} (2015).",
    "real but not shown": "If you like these, Jurassic Park is a must too.",
    "real but not shown, lower case": "you could also watch jurassic park tonight.",
    "real but not shown, with its year": "Jurassic Park (1993) belongs here too.",
    "real but not shown, misspelt": "Fans of Jurasic Park will like these.",
    "real but not shown, misspelt in lower case": "if you loved jurasic park, try these.",
}
KEPT_FORMS = {
    "as listed": "Start with {first}, a gripping pick.",
    "with its year": "Start with {first} ({year}).",
    "quoted": 'Start with "{first}".',
    "lower case": "start with {lower}, it never lets go.",
    "after a word opening the sentence": "Watch {first} tonight.",
    "no names": "Here is some crime for a quiet evening.",
    "a genre and the reason": "All Crime, as you asked for.",
}


def _lead(template: str) -> Callable[[ChatRequest], str]:
    """A lead written from the facts the model is given (the titles it may use)."""

    def write(request: ChatRequest) -> str:
        facts = json.loads(request.messages[-1].content)
        first = facts["recommendations"][0]["title"]
        year = first.rsplit("(", 1)[-1].rstrip(")")
        plain = first.rsplit(" (", 1)[0] if year.isdigit() else first
        return template.format(first=plain, year=year, lower=plain.lower())

    return write


@pytest.fixture
def recommend_with_lead(demo_agent: Agent) -> Callable[[str], Reply]:
    """Two turns on the demo catalog (one question, then a crime list); the second lead from ``template``."""

    def run(template: str) -> Reply:
        model = ScriptedChatModel([CRIME, "Sure.", CRIME, _lead(template)])
        config = AgentConfig(max_questions_in_a_row=1)
        agent = Agent(replace(demo_agent.runtime, chat_model=model, config=config))
        agent.chat("a crime film", session_id="lead")
        reply = agent.chat("a crime film, any period", session_id="lead")
        assert reply.trace.mode == "llm" and reply.trace.decision == "recommend" and reply.items
        return reply

    return run


@pytest.mark.parametrize("template", INVENTED_FORMS.values(), ids=INVENTED_FORMS.keys())
def test_an_unsupplied_name_in_the_lead_gives_the_template(
    recommend_with_lead: Callable[[str], Reply], template: str
) -> None:
    reply = recommend_with_lead(template)
    trace = reply.trace
    assert reply.text.startswith("Here are some films you might like:")  # the template alone
    assert trace.dropped_titles, "the name is counted"
    assert any("used the template" in notice for notice in trace.notices)
    for name in trace.dropped_titles:
        assert name.casefold() not in reply.text.casefold()


@pytest.mark.parametrize("template", KEPT_FORMS.values(), ids=KEPT_FORMS.keys())
def test_a_lead_naming_what_the_turn_shows_is_kept(
    recommend_with_lead: Callable[[str], Reply], template: str
) -> None:
    reply = recommend_with_lead(template)
    assert reply.trace.dropped_titles == []
    assert not reply.text.startswith("Here are some films")


def test_each_invented_name_is_counted_once(demo_agent: Agent) -> None:
    items = [ReplyItem(id="demo-091", title="Heat", year=1995, reasons=["directed by Michael Mann"])]
    spotter = demo_agent.runtime.spotter
    lead = 'Skip "The Matrix Reloaded" and Midnight Harbor (1997); Heat is better than The Matrix.'
    names = ungrounded_names(lead, spotter, items, None, "1. Heat (1995) — directed by Michael Mann")
    assert names == ["The Matrix Reloaded", "Midnight Harbor (1997)", "The Matrix"]


def test_names_the_facts_supply_are_not_invented(demo_agent: Agent) -> None:
    """A title a reason names, a person of the cards, the question's values: all supplied."""
    items = [
        ReplyItem(
            id="demo-091",
            title="Heat",
            year=1995,
            attributes={"director": ["Michael Mann"]},
            reasons=["shares director Michael Mann with Collateral (2004), which you liked"],
        )
    ]
    question = Question(attribute="genre", values=["Film-Noir", "Crime"], text="Film-Noir or Crime?")
    lead = "Since you liked Collateral, Michael Mann's Heat fits; Film-Noir or Crime next?"
    assert ungrounded_names(lead, demo_agent.runtime.spotter, items, question, "1. Heat (1995)") == []


def test_title_spans_in_one_pass() -> None:
    text = (
        "I think Blade Runner 2049 beats 'Alien', and try _Se7en_ or heat (1995). Lord of the Rings: Part Two"
    )
    found = [(span.kind, span.text) for span in title_spans(text)]
    assert found == [
        ("capitalised", "Blade Runner 2049"),
        ("quoted", "Alien"),
        ("quoted", "Se7en"),
        ("year", "heat (1995)"),
        ("capitalised", "Lord of the Rings: Part Two"),
    ]
    # Apostrophes inside words, a lone "I", quotes that never close: no spans.
    assert title_spans("I'm sure it's the users' choice, isn't it? 'not closed *either") == []


def test_hostile_text_is_read_in_one_pass() -> None:
    """Openers with no closer, and endless capitalised runs, are bounded by the text's length."""
    openers = '"' * 20_000 + "*_'`" * 5_000
    assert title_spans(openers) == []
    run = "Word " * 20_000
    (span,) = title_spans(run)
    assert span.kind == "capitalised" and len(span.words) == 20_000
