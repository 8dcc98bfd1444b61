"""Rendering a Reply for the UI: everything from users, datasets or an LLM is shown as text."""

from __future__ import annotations

import html
import re

from hypothesis import given
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from crsagent.agent.reply import Question, Reply, ReplyItem, Trace
from crsagent.tools.bus import ToolCallRecord
from crsagent.ui import render
from tests.ui.hostile_data import IMG_PAYLOAD, SCRIPT_PAYLOAD

MARKDOWN = MarkdownIt("commonmark")


def _shown_text(markdown: str) -> str:
    """What a Markdown renderer shows for ``markdown`` when it is one paragraph of text."""
    rendered = MARKDOWN.render(markdown).strip()
    assert rendered.startswith("<p>") and rendered.endswith("</p>"), rendered
    inner = rendered[3:-4]
    assert "<" not in inner, f"markup leaked into {rendered!r}"
    return html.unescape(inner)


@given(
    st.text(alphabet=st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp")), min_size=1).map(str.strip)
)
def test_md_text_shows_any_text_literally(text: str) -> None:
    if not text:
        return
    assert _shown_text(render.md_text(text)) == text


def test_md_text_defuses_html_and_markdown() -> None:
    hostile = f"{SCRIPT_PAYLOAD} {IMG_PAYLOAD} **bold** [link](javascript:alert(1)) # heading"
    escaped = render.md_text(hostile)
    assert "<" not in escaped and ">" not in escaped
    assert _shown_text(escaped) == hostile


def _item(**overrides: object) -> ReplyItem:
    fields: dict[str, object] = {
        "id": "m1",
        "title": "Alien",
        "year": 1979,
        "attributes": {
            "tag": ["space", "horror", "classic", "extra"],
            "genre": ["Horror", "Sci-Fi"],
            "director": ["Ridley Scott"],
            "country": ["UK"],
            "decade": ["1970s"],
            "year": ["1979"],
        },
        "reasons": ["directed by Ridley Scott, whom you like", "a second reason"],
    }
    return ReplyItem.model_validate(fields | overrides)


def test_item_card_shows_title_year_key_attributes_and_first_reason() -> None:
    card = render.item_card_html(_item(), 2)
    text = re.sub(r"<[^>]+>", " ", card)
    assert "2." in text and "Alien" in text and "(1979)" in text
    assert "directed by Ridley Scott, whom you like" in text and "a second reason" not in text
    # The known types first, in CARD_TYPES order, at most CARD_MAX_TYPES of them and 3 values each.
    types = re.findall(r'class="crs-attr-type">([^<]+)<', card)
    assert types == ["genre", "director", "tag", "decade"]
    assert "space, horror, classic" in card and "extra" not in card
    assert 'data-item-id="m1"' in card


def test_item_card_escapes_titles_values_reasons_and_ids() -> None:
    item = _item(
        id='x" onclick="alert(1)',
        title=IMG_PAYLOAD,
        attributes={"director": [SCRIPT_PAYLOAD]},
        reasons=[SCRIPT_PAYLOAD],
        year=None,
    )
    card = render.item_card_html(item, 1)
    assert "<img" not in card and "<script" not in card and 'onclick="' not in card
    assert html.escape(IMG_PAYLOAD) in card
    assert card.count(html.escape(SCRIPT_PAYLOAD)) == 2
    assert "crs-year" not in card  # no year, no "(None)"


def test_item_card_does_not_repeat_a_year_the_title_already_has() -> None:
    card = render.item_card_html(_item(title="Alien (1979)"), 1)
    assert card.count("1979") == 1 and "crs-year" not in card
    assert "crs-year" in render.item_card_html(_item(title="Alien (1986)"), 1)


def _trace(**overrides: object) -> Trace:
    fields: dict[str, object] = {"mode": "offline", "turn": 3, "decision": "ask"}
    return Trace.model_validate(fields | overrides)


def test_agent_message_shows_text_and_every_notice() -> None:
    reply = Reply(
        session_id="s",
        text=f"Try {IMG_PAYLOAD}",
        trace=_trace(notices=["LLM unavailable for understanding (timeout); answered offline"]),
    )
    message = render.agent_message(reply)
    assert "<img" not in message
    assert _shown_text(message.split("\n\n")[0]) == f"Try {IMG_PAYLOAD}"
    notice = MARKDOWN.render(message.split("\n\n")[1])
    assert notice.startswith("<p><strong>Notice:</strong> <em>") and "(timeout); answered offline" in notice


def test_quick_replies_follow_the_question() -> None:
    yes_no = Question(attribute="genre", values=["Comedy"], text="Do you like comedies?")
    assert yes_no.quick_replies() == ["yes", "no"]
    choice = Question(attribute="decade", values=["1990s", "2000s"], text="Which period?")
    assert choice.quick_replies() == ["1990s", "2000s", "none of these"]


def test_trace_shows_decision_reason_candidates_tools_and_notices_escaped() -> None:
    call = ToolCallRecord(
        tool="search_catalog",
        arguments={"include": [{"type": "genre", "value": SCRIPT_PAYLOAD}]},
        ok=False,
        error="no such genre <b>x</b>",
        size_before=9742,
        size_after=120,
    )
    trace = _trace(
        decision="recommend",
        decision_reason="the top 5 hold 61% of the belief",
        policy="info-gain",
        candidates_before=9742,
        candidates_after=120,
        tool_calls=[call],
        relaxations=["dropped 'decade:1920s'"],
        dropped_titles=[IMG_PAYLOAD],
        llm_calls=2,
        prompt_tokens=900,
        completion_tokens=40,
        notices=["plan failed; answered offline"],
    )
    markdown = render.trace_markdown(trace)
    assert "<script" not in markdown and "<img" not in markdown and "<b>" not in markdown
    shown = html.unescape(re.sub(r"<[^>]+>", "", MARKDOWN.render(markdown)))
    for expected in (
        "Turn 3",
        "info-gain",
        "Decision: recommend — the top 5 hold 61% of the belief",
        "Candidates: 9742 → 120",
        "search_catalog",
        SCRIPT_PAYLOAD,
        "9742 → 120 candidates (failed: no such genre <b>x</b>)",
        "Relaxed: dropped 'decade:1920s'",
        f"Not in the catalog: {IMG_PAYLOAD}",
        "LLM: 2 calls, 900 prompt + 40 completion tokens",
        "plan failed; answered offline",
    ):
        assert expected in shown, expected
