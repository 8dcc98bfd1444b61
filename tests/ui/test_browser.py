"""The web UI in a real browser: a conversation with quick replies and cards, reloads, bad input.

Each test computes what the page must show from the very agent the page talks to (same dataset,
offline, deterministic), on a session of its own, and compares. Set CRSAGENT_UPDATE_SCREENSHOTS=1 to
rewrite docs/screenshots/chat.png from the conversation test.
"""

from __future__ import annotations

import itertools
import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from crsagent.agent import Agent, Reply
from crsagent.agent.facade import MAX_INPUT_CHARS
from tests.ui.conftest import HOLD, HOLD_WORD, ServedApp
from tests.ui.hostile_data import HOSTILE_NAME, IMG_PAYLOAD, SCRIPT_PAYLOAD

pytestmark = pytest.mark.browser

SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "screenshots" / "chat.png"
TIMEOUT_MS = 30_000
_sessions = itertools.count()


@pytest.fixture
def page(browser: Browser, served: ServedApp) -> Iterator[Page]:
    """A fresh tab (own localStorage, so its own session) with the app loaded."""
    context = browser.new_context(viewport={"width": 1280, "height": 1000})
    tab = context.new_page()
    tab.set_default_timeout(TIMEOUT_MS)
    expect.set_options(timeout=TIMEOUT_MS)
    tab.goto(served.url)
    expect(tab.locator("#crs-status")).to_contain_text("Session")
    yield tab
    context.close()


def _reference() -> str:
    """A session of the test's own on the page's agent."""
    return f"reference-{next(_sessions)}"


def _send(page: Page, text: str) -> None:
    box = page.locator("#crs-input textarea")
    box.fill(text)
    box.press("Enter")


def _first_line(reply: Reply) -> str:
    return reply.text.splitlines()[0]


def _session_id(page: Page) -> str:
    return page.locator("#crs-status code").inner_text()


def _answer_until_cards(page: Page, agent: Agent, session: str, reply: Reply) -> Reply:
    """Click quick replies (the first offered value) until the agent recommends, checking each turn."""
    for _ in range(5):
        if reply.items:
            return reply
        assert reply.question is not None, reply.text
        expect(page.locator("#crs-chat")).to_contain_text(reply.question.text)
        buttons = page.locator("#crs-quick-replies button:visible")
        expect(buttons).to_have_text(reply.question.quick_replies())
        answer = reply.question.quick_replies()[0]
        buttons.get_by_text(answer, exact=True).click()
        reply = agent.chat(answer, session)
    raise AssertionError("the agent asked five questions without recommending")


def _expect_cards(page: Page, reply: Reply) -> None:
    titles = page.locator("#crs-cards .crs-title")
    expect(titles).to_have_count(len(reply.items))
    for title, item in zip(titles.all(), reply.items, strict=True):
        expect(title).to_contain_text(item.title)


def test_conversation_question_answer_cards_feedback_and_reload(
    page: Page, served: ServedApp, tmp_path: Path
) -> None:
    agent = served.agent("demo")
    session = _reference()
    _send(page, "I want a comedy")
    reply = _answer_until_cards(page, agent, session, agent.chat("I want a comedy", session))
    _expect_cards(page, reply)
    expect(page.locator("#crs-chat")).to_contain_text(_first_line(reply))
    expect(page.locator("#crs-trace")).to_contain_text("Decision: recommend")
    expect(page.locator("#crs-trace")).to_contain_text(reply.trace.decision_reason)
    update_docs = os.environ.get("CRSAGENT_UPDATE_SCREENSHOTS") == "1"
    shot = SCREENSHOT if update_docs else tmp_path / "chat.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000

    first = reply.items[0]
    page.locator(".crs-like:visible").first.click()
    expect(page.locator("#crs-chat")).to_contain_text(f"I like {first.title}")
    acknowledged = agent.feedback(session, first.id, liked=True)
    expect(page.locator("#crs-chat")).to_contain_text(_first_line(acknowledged))
    expect(page.locator(".crs-like:visible").first).to_have_class(re.compile(r"\bprimary\b"))

    # A reload resumes the same session: the history is redrawn from the agent, the cards come back.
    session_before = _session_id(page)
    page.reload()
    expect(page.locator("#crs-status code")).to_have_text(session_before)
    expect(page.locator("#crs-chat")).to_contain_text("I want a comedy")
    expect(page.locator("#crs-chat")).to_contain_text(f"I like {first.title}")
    _expect_cards(page, reply)

    page.locator("#crs-new").click()
    expect(page.locator("#crs-status code")).not_to_have_text(session_before)
    expect(page.locator("#crs-cards .crs-title")).to_have_count(0)
    expect(page.locator("#crs-chat")).not_to_contain_text(f"I like {first.title}")


def _choose(page: Page, control: str, option: str) -> None:
    page.locator(f"{control} input").click()
    page.get_by_role("option", name=option, exact=True).click()


def test_html_and_script_in_messages_and_titles_show_as_text(page: Page, served: ServedApp) -> None:
    _choose(page, "#crs-dataset", HOSTILE_NAME)
    expect(page.locator("#crs-status")).to_contain_text(f"dataset {HOSTILE_NAME}")
    agent, session = served.agent(HOSTILE_NAME), _reference()
    message = f"I want a comedy {SCRIPT_PAYLOAD} {IMG_PAYLOAD} **not bold**"
    _send(page, message)
    reply = _answer_until_cards(page, agent, session, agent.chat(message, session))
    _expect_cards(page, reply)
    assert IMG_PAYLOAD in reply.items[0].title
    expect(page.locator("#crs-chat")).to_contain_text(message)  # the user's text, literally
    expect(page.locator("#crs-chat")).to_contain_text(IMG_PAYLOAD)  # titles in the agent's text
    expect(page.locator("#crs-cards .crs-card").first).to_contain_text(SCRIPT_PAYLOAD)  # the director
    assert page.evaluate("window.__xss") is None
    assert page.locator("img[src='x']").count() == 0
    assert page.evaluate("[...document.scripts].some(s => s.text.includes('__xss'))") is False

    # A very long message (one unbroken word): the agent cuts it and says so; the page does not overflow.
    long_message = "I want a drama " + "a" * 6000
    _send(page, long_message)
    cut = f"message cut from {len(long_message)} to {MAX_INPUT_CHARS} characters"
    expect(page.locator("#crs-chat")).to_contain_text(cut)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert page.evaluate("window.__xss") is None


def test_llm_failure_shows_a_notice_and_the_conversation_goes_on(page: Page, tmp_path: Path) -> None:
    # A model string that cannot load: a notice, and the tab stays on the offline agent.
    _choose_llm(page, "bogus:model")
    expect(page.locator("#crs-chat")).to_contain_text("Could not open demo with LLM bogus:model")
    expect(page.locator("#crs-chat")).to_contain_text("unknown backend 'bogus'")
    expect(page.locator("#crs-status")).to_contain_text("LLM offline")

    # An LLM that fails on every call (a script with no replies): each turn falls back, with a notice.
    script = tmp_path / "no-replies.json"
    script.write_text("[]")
    _choose_llm(page, f"scripted:{script}")
    expect(page.locator("#crs-status")).to_contain_text(f"LLM scripted:{script}")
    # The switch reaches the page before the browser has stored the new session (gr.BrowserState
    # syncs asynchronously); a message sent in that gap still goes to the old agent. Known race,
    # see the UI notes in the README; give the store a moment here.
    page.wait_for_timeout(1500)
    _send(page, "I want a comedy")
    notices = page.locator("#crs-chat").get_by_text("Notice:")
    expect(notices).to_have_count(1)
    expect(page.locator("#crs-chat")).to_contain_text("LLM unavailable")
    answers = page.locator("#crs-quick-replies button:visible")
    expect(answers.first).to_be_visible()
    answers.first.click()
    expect(notices).to_have_count(2)
    expect(page.locator("#crs-trace")).to_contain_text("mode offline")


def _choose_llm(page: Page, model: str) -> None:
    box = page.locator("#crs-llm input")
    box.fill(model)
    box.press("Enter")


def test_two_tabs_are_served_side_by_side(browser: Browser, served: ServedApp) -> None:
    """A slow turn in one tab does not hold up another tab's reply."""
    HOLD.reset()
    tabs = []
    for _ in range(2):
        context = browser.new_context()
        tab = context.new_page()
        tab.set_default_timeout(TIMEOUT_MS)
        tab.goto(served.url)
        expect(tab.locator("#crs-status")).to_contain_text("Session")
        tabs.append((context, tab))
    try:
        (_, slow), (_, quick) = tabs
        _send(slow, f"{HOLD_WORD} I want a comedy")
        assert HOLD.entered.wait(60)
        _send(quick, "I want a comedy")
        reply = served.agent("demo").chat("I want a comedy", _reference())
        expect(quick.locator("#crs-chat")).to_contain_text(_first_line(reply))
        assert f"end {HOLD_WORD} I want a comedy" not in HOLD.log  # the slow turn was still running
    finally:
        HOLD.release.set()
        for context, _ in tabs:
            context.close()


def test_a_message_sent_during_a_turn_is_queued_not_dropped(page: Page, served: ServedApp) -> None:
    HOLD.reset()
    HOLD.release.set()  # the reference conversation first, on the same agent, nothing held
    agent, session = served.agent("demo"), _reference()
    agent.chat(f"{HOLD_WORD} I want a comedy", session)
    second = agent.chat("I want a drama", session)
    HOLD.reset()
    _send(page, f"{HOLD_WORD} I want a comedy")
    assert HOLD.entered.wait(60)
    # Type again once the page has cleared the box for the first turn, as a person would: typing
    # earlier races that update, which empties the box before Enter.
    expect(page.locator("#crs-input textarea")).to_have_value("")
    _send(page, "I want a drama")  # while the first turn runs
    expect(page.locator("#crs-status")).to_contain_text("waits for the turn in progress")
    HOLD.release.set()
    chat = page.locator("#crs-chat")
    expect(chat).to_contain_text(_first_line(second))
    expect(chat.get_by_text("I want a drama")).to_have_count(1)
    # Both turns, in the order sent (retried: the page may still be drawing the last update).
    expect(chat).to_contain_text(re.compile(r"I want a comedy[\s\S]*I want a drama"))
    assert HOLD.log == [
        f"start {HOLD_WORD} I want a comedy",
        f"end {HOLD_WORD} I want a comedy",
        "start I want a drama",
        "end I want a drama",
    ]


def test_sending_an_empty_box_changes_nothing_and_shows_no_error(page: Page) -> None:
    page.locator("#crs-send").click()  # nothing typed
    page.wait_for_timeout(1500)
    expect(page.locator("#crs-status")).not_to_contain_text("Error")
    _send(page, "I want a comedy")
    expect(page.locator("#crs-chat")).to_contain_text("comedy")
    expect(page.locator("#crs-status")).not_to_contain_text("Error")
