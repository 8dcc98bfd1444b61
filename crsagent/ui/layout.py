"""The page's components, and how a ``SessionView`` maps onto them.

Quick replies and item cards are fixed pools of components (shown, relabelled or hidden per turn)
rather than ``gr.render`` blocks: their event handlers then exist once, at build time, so a click
can never name a handler that a re-render has just replaced.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from crsagent.ui import render
from crsagent.ui.choices import Offer
from crsagent.ui.optional import gr
from crsagent.ui.sessions import SessionView, llm_label

STORAGE_KEY = "crsagent-session"
MAX_QUICK_REPLIES = 9  # AgentConfig.offer_values allows 8 values, plus "none of these"
MAX_CARDS = 10
PLACEHOLDER = "Tell me what you are in the mood for, e.g. *I want a comedy* or *something like Alien*."
CSS = """
#crs-chat .message { overflow-wrap: anywhere; }
.crs-card { padding: 8px 10px; }
.crs-title { font-weight: 600; font-size: 1.05em; overflow-wrap: anywhere; }
.crs-rank, .crs-year, .crs-attr-type { color: var(--body-text-color-subdued); }
.crs-year { font-weight: 400; }
.crs-attr { font-size: 0.9em; overflow-wrap: anywhere; }
.crs-attr-type { text-transform: capitalize; }
.crs-reason { font-size: 0.9em; font-style: italic; margin-top: 4px; overflow-wrap: anywhere; }
"""


@dataclass(frozen=True)
class Card:
    """One slot of the card pool."""

    box: gr.Column
    html: gr.HTML
    like: gr.Button
    dislike: gr.Button


@dataclass(frozen=True)
class Widgets:
    """Every component a handler reads or writes."""

    stored: gr.BrowserState
    messages: gr.State
    chatbot: gr.Chatbot
    quick: list[gr.Button]
    box: gr.Textbox
    send: gr.Button
    cards_title: gr.Markdown
    cards: list[Card]
    status: gr.Markdown
    dataset: gr.Dropdown
    llm: gr.Dropdown
    new: gr.Button
    trace: gr.Markdown

    def view_components(self) -> list[Any]:
        """What ``view_updates`` writes."""
        slots = [c for card in self.cards for c in (card.box, card.html, card.like, card.dislike)]
        return [self.stored, self.trace, self.status, self.cards_title, *self.quick, *slots]


def build_layout(offer: Offer, *, secret: str | None) -> Widgets:
    """Create the components (inside an open ``gr.Blocks``): the selectors offer what ``offer`` does."""
    stored = gr.BrowserState(None, storage_key=STORAGE_KEY, secret=secret)
    messages = gr.State([])
    with gr.Row():
        with gr.Column(scale=3):
            chatbot = gr.Chatbot(
                elem_id="crs-chat",
                label="crsagent",
                height=540,
                placeholder=PLACEHOLDER,
                feedback_options=None,
            )
            with gr.Row(elem_id="crs-quick-replies"):
                quick = [
                    gr.Button("", size="sm", visible=False, elem_classes=["crs-quick-reply"])
                    for _ in range(MAX_QUICK_REPLIES)
                ]
            with gr.Row():
                box = gr.Textbox(
                    elem_id="crs-input", show_label=False, placeholder="Type a message…", scale=8
                )
                send = gr.Button("Send", elem_id="crs-send", variant="primary", scale=1, min_width=80)
            cards_title = gr.Markdown("**Recommendations**", visible=False)
            with gr.Row(elem_id="crs-cards", equal_height=True):  # wraps: one card per min_width
                cards = [_card() for _ in range(MAX_CARDS)]
        with gr.Column(scale=2):
            status = gr.Markdown(elem_id="crs-status")
            with gr.Row():
                dataset = gr.Dropdown(
                    choices=offer.datasets, value=offer.dataset, label="Dataset", elem_id="crs-dataset"
                )
                llm = gr.Dropdown(
                    choices=offer.llm_labels(),
                    value=llm_label(offer.llm),
                    label="LLM (offline, or a model string)" if offer.allow_any_llm else "LLM",
                    allow_custom_value=offer.allow_any_llm,  # off: only what the operator offers
                    elem_id="crs-llm",
                )
            new = gr.Button("New session", elem_id="crs-new")
            with gr.Accordion("Trace: what the agent did", open=True):
                trace = gr.Markdown(elem_id="crs-trace")
    return Widgets(
        stored, messages, chatbot, quick, box, send, cards_title, cards, status, dataset, llm, new, trace
    )


def _card() -> Card:
    with gr.Column(visible=False, min_width=220, elem_classes=["crs-card-box"]) as box, gr.Group():
        html = gr.HTML("")
        with gr.Row():
            like = gr.Button("Like", size="sm", min_width=60, elem_classes=["crs-like"])
            dislike = gr.Button("Dislike", size="sm", min_width=60, elem_classes=["crs-dislike"])
    return Card(box, html, like, dislike)


def view_updates(widgets: Widgets, view: SessionView) -> dict[Any, Any]:
    """Every component that shows part of ``view``: stored session, trace, quick replies, cards."""
    updates: dict[Any, Any] = {
        widgets.stored: view.to_browser(),
        widgets.trace: view.trace,
        # The line above the controls: which session, dataset and LLM this tab is on.
        widgets.status: f"Session `{view.session_id[:8]}` · dataset **{render.md_text(view.dataset)}** · "
        f"LLM **{render.md_text(llm_label(view.llm))}**",
    }
    answers = view.question.quick_replies()[: len(widgets.quick)] if view.question else []
    for index, button in enumerate(widgets.quick):
        shown = index < len(answers)
        updates[button] = gr.update(value=answers[index] if shown else "", visible=shown)
    items = view.items[: len(widgets.cards)]
    updates[widgets.cards_title] = gr.update(visible=bool(items))
    for index, card in enumerate(widgets.cards):
        if index >= len(items):
            updates |= {
                card.box: gr.update(visible=False),
                card.html: "",
                card.like: gr.skip(),
                card.dislike: gr.skip(),
            }
            continue
        verdict = view.feedback.get(items[index].id)
        updates |= {
            card.box: gr.update(visible=True),
            card.html: render.item_card_html(items[index], index + 1),
            card.like: gr.update(variant="primary" if verdict is True else "secondary"),
            card.dislike: gr.update(variant="primary" if verdict is False else "secondary"),
        }
    return updates


def hide_quick_replies(widgets: Widgets) -> dict[Any, Any]:
    """While a turn runs, the previous question's answers are no longer valid."""
    return {button: gr.update(visible=False) for button in widgets.quick}
