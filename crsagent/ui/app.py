"""The Gradio app over the agent: chat with streaming replies, item cards, quick replies, the trace.

Presentation only: each handler calls the agent (``stream``, ``feedback``, ``history``) and renders
what it returns with ``crsagent.ui.render``. The browser keeps a ``SessionView`` in localStorage
(``gr.BrowserState``), so a page reload resumes the same session from the agent's checkpointer —
after the server has checked the view's signed handle (a session id alone opens nothing).
Sessions are served side by side, one turn at a time each (``crsagent.ui.turns``); a message sent
during a turn waits for it. Handlers return ``{component: value}`` dicts: a component left out keeps
its value. The page's handlers are private to it; clients use the named endpoints of
``crsagent.ui.api``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from functools import partial
from typing import Any

from crsagent.agent.pool import AgentPool
from crsagent.agent.reply import Reply
from crsagent.errors import CrsAgentError
from crsagent.ui import render
from crsagent.ui.api import TURN_GROUP, ApiEndpoints
from crsagent.ui.binding import SessionSigner
from crsagent.ui.choices import Offer
from crsagent.ui.layout import CSS, Widgets, build_layout, hide_quick_replies, view_updates
from crsagent.ui.optional import gr
from crsagent.ui.service import ChatService
from crsagent.ui.sessions import ChatAgent, SessionView, llm_label
from crsagent.ui.settings import UISettings
from crsagent.ui.turns import SessionBusyError, SessionGate, SessionSlot, run_in_turn

logger = logging.getLogger(__name__)

Messages = list[dict[str, str]]
Updates = dict[Any, Any]
Emit = Callable[[Updates], None]


def _user(text: str) -> dict[str, str]:
    return {"role": "user", "content": render.md_text(text)}


def _agent(markdown: str) -> dict[str, str]:
    return {"role": "assistant", "content": markdown}


def _notice(text: str) -> dict[str, str]:
    return _agent(render.notice_message(text))


def _chat_so_far(slot: SessionSlot, messages: Messages, notices: Messages) -> Messages:
    """A turn that waited starts from what the turn before it left, not from the page's values of
    when it was sent."""
    return slot.messages if slot.view is not None and slot.messages is not None else [*messages, *notices]


class ChatApp:
    """The page's handlers, over the shared ``ChatService`` and the page's widgets."""

    def __init__(self, service: ChatService, widgets: Widgets) -> None:
        self.service = service
        self.w = widgets

    def _view(self, stored: object) -> tuple[SessionView, Messages]:
        """The tab's verified session, or a fresh one with a notice saying why."""
        view, notice = self.service.from_browser(stored)
        if view is None:
            return self.service.fresh(), [_notice(notice)] if notice else []
        return view, []

    def _chat(self, messages: Messages) -> Updates:
        return {self.w.chatbot: messages, self.w.messages: messages}

    def _page(self, view: SessionView, messages: Messages) -> Updates:
        """The whole page for ``view``: chat, cards, quick replies, trace and the selectors."""
        llms = list(dict.fromkeys([*self.service.offer.llm_labels(), llm_label(view.llm)]))
        return {
            **self._chat(messages),
            **view_updates(self.w, view),
            self.w.dataset: gr.update(choices=self.service.offer.datasets, value=view.dataset),
            self.w.llm: gr.update(choices=llms, value=llm_label(view.llm)),
        }

    # --- page load and session controls -------------------------------------------------------

    def restore(self, stored: object) -> Updates:
        """Page load: resume the stored session (redrawn from the agent's history), or start one."""
        view, messages = self._view(stored)
        try:
            history = self.service.agent(view).history(view.session_id)
        except Exception as error:  # e.g. the stored dataset is gone: say so, open the defaults
            logger.exception("cannot resume session %s on %s", view.session_id, view.dataset)
            view = self.service.fresh()
            messages.append(_notice(f"Could not resume the last session: {error}"))
        else:
            for user_text, agent_text in history:
                messages += [_user(user_text), _agent(render.md_text(agent_text))]
        return self._page(view, messages)

    def new_session(self, stored: object) -> Updates:
        """A fresh conversation on the same dataset and LLM."""
        current, _ = self._view(stored)
        return self._page(SessionView.new(current.dataset, current.llm, self.service.signer), [])

    def switch(self, dataset: str, llm_text: str, messages: Messages, stored: object) -> Iterator[Updates]:
        """Another dataset or LLM (among those offered): a new session on its agent, or a notice."""
        current, notices = self._view(stored)
        messages = [*messages, *notices]
        try:
            dataset, llm = self.service.offer.check_dataset(dataset), self.service.offer.check_llm(llm_text)
        except CrsAgentError as error:  # not offered here: say so, stay where the tab was
            yield self._page(current, [*messages, _notice(str(error))])
            return
        if (dataset, llm) == (current.dataset, current.llm):
            yield self._page(current, messages)
            return
        yield {
            self.w.status: f"Opening **{render.md_text(dataset)}** with LLM **{render.md_text(llm_label(llm))}**… "
            "(the first time on a dataset builds its graph and models: up to a minute or two)"
        }
        try:
            self.service.pool.get(dataset, llm)
        except Exception as error:  # a bad model string, a dataset that will not load: shown, nothing lost
            logger.exception("cannot open %s with LLM %s", dataset, llm_label(llm))
            notice = f"Could not open {dataset} with LLM {llm_label(llm)}: {error}"
            yield self._page(current, [*messages, _notice(notice)])
            return
        yield self._page(SessionView.new(dataset, llm, self.service.signer), [])

    # --- conversation -------------------------------------------------------------------------

    def _unchanged(self) -> Updates:
        """An update that changes nothing. Never ``{}``: gradio takes an empty dict for one output value
        and fails the event ("didn't return enough output values"), which the page shows as an error."""
        return {self.w.status: gr.skip()}

    def _in_turn(self, view: SessionView, work: Callable[[SessionSlot, Emit], None]) -> Iterator[Updates]:
        """Run ``work`` as the session's turn: after the turns already running or waiting in it."""
        if self.service.gate.waiting(view.session_id):
            yield {self.w.box: "", self.w.status: "Your message waits for the turn in progress…"}
        try:
            yield from run_in_turn(self.service.gate, view.session_id, work)
        except SessionBusyError as error:
            gr.Warning(str(error))
            yield self._unchanged()

    def send(self, text: str, messages: Messages, stored: object) -> Iterator[Updates]:
        """One user message: the reply streams into the chat, then cards, quick replies and trace."""
        if not text or not text.strip():
            yield self._unchanged()
            return
        view, notices = self._view(stored)

        def work(slot: SessionSlot, emit: Emit) -> None:
            slot.messages, slot.view = self._turn(
                text, _chat_so_far(slot, messages, notices), slot.view or view, emit
            )

        yield from self._in_turn(view, work)

    def _turn(
        self, text: str, messages: Messages, view: SessionView, emit: Emit
    ) -> tuple[Messages, SessionView]:
        messages = [*messages, _user(text), _agent("…")]
        emit({self.w.box: "", **self._chat(messages), **hide_quick_replies(self.w)})
        streamed = ""
        reply: Reply | None = None
        try:
            for part in self.service.agent(view).stream(text, session_id=view.session_id):
                if isinstance(part, Reply):
                    reply = part
                    continue
                streamed += part
                messages[-1] = _agent(render.md_text(streamed))
                emit(self._chat(list(messages)))
        except Exception as error:  # the conversation goes on: show what failed, keep the session
            logger.exception("a turn failed in session %s", view.session_id)
            reply = None
            streamed = f"Sorry, that turn failed: {error}"
        if reply is None:
            messages[-1] = _notice(streamed or "The agent ended the turn without a reply.")
            emit({**self._chat(messages), **view_updates(self.w, view)})
            return messages, view
        messages[-1] = _agent(render.agent_message(reply))
        view = view.after(reply, render.trace_markdown(reply.trace))
        emit({**self._chat(messages), **view_updates(self.w, view)})
        return messages, view

    def feedback(self, slot_index: int, liked: bool, messages: Messages, stored: object) -> Iterator[Updates]:
        """The like / dislike button of card ``slot_index``: tell the agent, show its answer."""
        view, notices = self._view(stored)
        if slot_index >= len(view.items):  # a stale page: the card is gone
            yield self._unchanged()
            return
        item = view.items[slot_index]  # the card the person saw when clicking

        def work(slot: SessionSlot, emit: Emit) -> None:
            current = slot.view or view
            chat = [
                *_chat_so_far(slot, messages, notices),
                _user(f"{'I like' if liked else 'Not for me:'} {item.title}"),
            ]
            try:
                reply = self.service.agent(current).feedback(current.session_id, item.id, liked)
            except Exception as error:  # shown in the chat; the session stays usable
                logger.exception("feedback failed in session %s", current.session_id)
                chat.append(_notice(f"Sorry, the feedback failed: {error}"))
                emit(self._chat(chat))
                slot.messages, slot.view = chat, current
                return
            chat.append(_agent(render.agent_message(reply)))
            current = current.with_feedback(item.id, liked).after(reply, render.trace_markdown(reply.trace))
            emit({**self._chat(chat), **view_updates(self.w, current)})
            slot.messages, slot.view = chat, current

        yield from self._in_turn(view, work)

    # --- wiring -------------------------------------------------------------------------------

    def wire(self, app: gr.Blocks, concurrent_turns: int) -> None:
        """Attach every handler to its events: private to the page (clients use ``crsagent.ui.api``);
        turns share one concurrency group, and a message sent during a turn is queued, not dropped."""
        w = self.w
        page = [w.chatbot, w.messages, w.dataset, w.llm, *w.view_components()]
        turn = [w.box, w.chatbot, w.messages, *w.view_components()]
        private: dict[str, Any] = {"api_visibility": "private"}
        turns: dict[str, Any] = {
            **private,
            "concurrency_id": TURN_GROUP,
            "concurrency_limit": concurrent_turns,
            "trigger_mode": "multiple",
        }
        # Private names (the page's own): listed so that none takes a name of the public API.
        app.load(self.restore, inputs=[w.stored], outputs=page, api_name="page_load", **private)
        w.new.click(self.new_session, inputs=[w.stored], outputs=page, api_name="page_new", **private)
        for control in (w.dataset, w.llm):
            inputs = [w.dataset, w.llm, w.messages, w.stored]
            control.input(self.switch, inputs=inputs, outputs=page, api_name="page_switch", **private)
        for trigger in (w.box.submit, w.send.click):
            inputs = [w.box, w.messages, w.stored]
            trigger(self.send, inputs=inputs, outputs=turn, api_name="page_send", **turns)
        for button in w.quick:  # its label is sent as the user's message
            inputs = [button, w.messages, w.stored]
            button.click(self.send, inputs=inputs, outputs=turn, api_name="page_quick", **turns)
        for slot, card in enumerate(w.cards):
            for liked, button in ((True, card.like), (False, card.dislike)):
                handler = partial(self.feedback, slot, liked)
                inputs = [w.messages, w.stored]
                button.click(handler, inputs=inputs, outputs=turn, api_name="page_feedback", **turns)


def build_app(
    pool: AgentPool[ChatAgent], offer: Offer, *, secret: str | None = None, settings: UISettings | None = None
) -> gr.Blocks:
    """The Blocks app. ``secret`` keys the browser's stored session and the session handles (a fixed
    one lets sessions survive restarts); ``settings`` bounds the queue and the turns served at once."""
    settings = settings or UISettings()
    service = ChatService(
        pool,
        offer,
        SessionSigner(secret),
        SessionGate(max_waiting=settings.max_waiting_turns, max_sessions=settings.max_live_sessions),
    )
    with gr.Blocks(title="crsagent", analytics_enabled=False) as app:
        widgets = build_layout(offer, secret=secret)
        # The API first: its names are the stable ones (a later event of the same name gets "_1").
        ApiEndpoints(service).register(settings.concurrent_turns)
        ChatApp(service, widgets).wire(app, settings.concurrent_turns)
    app.queue(default_concurrency_limit=settings.concurrent_turns, max_size=settings.max_queue)
    return app


def launch(
    app: gr.Blocks,
    *,
    host: str = "127.0.0.1",
    port: int | None = None,
    quiet: bool = False,
    settings: UISettings | None = None,
) -> str:
    """Start serving ``app`` in the background (analytics off, no share link); returns its local URL.

    The caller then blocks (``app.block_thread()``) or closes it (``app.close()``, as the tests do).
    """
    settings = settings or UISettings()
    _, url, _ = app.launch(
        server_name=host,
        server_port=port,
        share=False,
        prevent_thread_lock=True,
        quiet=quiet,
        css=CSS,
        footer_links=[],
        # Gradio's worker threads: every running turn holds one, plus page loads and API reads.
        max_threads=max(40, settings.concurrent_turns + 16),
    )
    return url
