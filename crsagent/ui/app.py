"""The Gradio app over the agent: chat with streaming replies, item cards, quick replies, the trace.

Presentation only: each handler calls the agent (``stream``, ``feedback``, ``history``) and renders
what it returns with ``crsagent.ui.render``. The browser keeps a ``SessionView`` in localStorage
(``gr.BrowserState``), so a page reload resumes the same session from the agent's checkpointer.
Handlers return ``{component: value}`` dicts: a component left out keeps its value.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from functools import partial
from typing import Any

from crsagent.agent.reply import Reply
from crsagent.ui import render
from crsagent.ui.layout import CSS, Widgets, build_layout, hide_quick_replies, view_updates
from crsagent.ui.optional import gr
from crsagent.ui.sessions import AgentPool, ChatAgent, SessionView, llm_choice, llm_label

logger = logging.getLogger(__name__)

Messages = list[dict[str, str]]
Updates = dict[Any, Any]


def _user(text: str) -> dict[str, str]:
    return {"role": "user", "content": render.user_message(text)}


def _agent(markdown: str) -> dict[str, str]:
    return {"role": "assistant", "content": markdown}


class ChatApp:
    """The handlers, bound to a pool of agents, the page's widgets and the defaults of a fresh tab."""

    def __init__(
        self, pool: AgentPool, widgets: Widgets, *, dataset: str, llm: str | None, datasets: list[str]
    ):
        self.pool = pool
        self.w = widgets
        self.dataset = dataset
        self.llm = llm
        self.datasets = datasets

    def _agent_for(self, view: SessionView) -> ChatAgent:
        return self.pool.get(view.dataset, view.llm)

    def _view(self, stored: object) -> SessionView:
        return SessionView.from_browser(stored) or SessionView.new(self.dataset, self.llm)

    def _chat(self, messages: Messages) -> Updates:
        return {self.w.chatbot: messages, self.w.messages: messages}

    def _page(self, view: SessionView, messages: Messages) -> Updates:
        """The whole page for ``view``: chat, cards, quick replies, trace and the selectors."""
        datasets = self.datasets if view.dataset in self.datasets else [view.dataset, *self.datasets]
        llms = list(dict.fromkeys([llm_label(None), llm_label(self.llm), llm_label(view.llm)]))
        return {
            **self._chat(messages),
            **view_updates(self.w, view),
            self.w.dataset: gr.update(choices=datasets, value=view.dataset),
            self.w.llm: gr.update(choices=llms, value=llm_label(view.llm)),
        }

    # --- page load and session controls -------------------------------------------------------

    def restore(self, stored: object) -> Updates:
        """Page load: resume the stored session (redrawn from the agent's history), or start one."""
        view = self._view(stored)
        messages: Messages = []
        try:
            history = self._agent_for(view).history(view.session_id)
        except Exception as error:  # e.g. the stored dataset is gone: say so, open the defaults
            logger.exception("cannot resume session %s on %s", view.session_id, view.dataset)
            view = SessionView.new(self.dataset, self.llm)
            messages.append(_agent(render.notice_message(f"Could not resume the last session: {error}")))
        else:
            for user_text, agent_text in history:
                messages += [_user(user_text), _agent(render.md_text(agent_text))]
        return self._page(view, messages)

    def new_session(self, stored: object) -> Updates:
        """A fresh conversation on the same dataset and LLM."""
        current = self._view(stored)
        return self._page(SessionView.new(current.dataset, current.llm), [])

    def switch(self, dataset: str, llm_text: str, messages: Messages, stored: object) -> Iterator[Updates]:
        """Another dataset or LLM: a new session on its agent, or a notice and no change if it fails."""
        current = self._view(stored)
        llm = llm_choice(llm_text)
        if (dataset, llm) == (current.dataset, current.llm):
            yield self._page(current, messages)
            return
        yield {
            self.w.status: f"Opening **{render.md_text(dataset)}** with LLM **{render.md_text(llm_label(llm))}**… "
            "(the first time on a dataset builds its graph and models: up to a minute or two)"
        }
        try:
            self.pool.get(dataset, llm)
        except Exception as error:  # a bad model string, a dataset that will not load: shown, nothing lost
            logger.exception("cannot open %s with LLM %s", dataset, llm_label(llm))
            notice = render.notice_message(f"Could not open {dataset} with LLM {llm_label(llm)}: {error}")
            yield self._page(current, [*messages, _agent(notice)])
            return
        yield self._page(SessionView.new(dataset, llm), [])

    # --- conversation -------------------------------------------------------------------------

    def send(self, text: str, messages: Messages, stored: object) -> Iterator[Updates]:
        """One user message: the reply streams into the chat, then cards, quick replies and trace."""
        if not text or not text.strip():
            yield {}
            return
        view = self._view(stored)
        messages = [*messages, _user(text), _agent("…")]
        yield {self.w.box: "", **self._chat(messages), **hide_quick_replies(self.w)}
        streamed = ""
        reply: Reply | None = None
        try:
            for part in self._agent_for(view).stream(text, session_id=view.session_id):
                if isinstance(part, Reply):
                    reply = part
                    continue
                streamed += part
                messages[-1] = _agent(render.md_text(streamed))
                yield self._chat(messages)
        except Exception as error:  # the conversation goes on: show what failed, keep the session
            logger.exception("a turn failed in session %s", view.session_id)
            reply = None
            streamed = f"Sorry, that turn failed: {error}"
        if reply is None:
            messages[-1] = _agent(
                render.notice_message(streamed or "The agent ended the turn without a reply.")
            )
            yield {**self._chat(messages), **view_updates(self.w, view)}
            return
        messages[-1] = _agent(render.agent_message(reply))
        view = view.after(reply, render.trace_markdown(reply.trace))
        yield {**self._chat(messages), **view_updates(self.w, view)}

    def feedback(self, slot: int, liked: bool, messages: Messages, stored: object) -> Updates:
        """The like / dislike button of card ``slot``: tell the agent, show its answer."""
        view = self._view(stored)
        if slot >= len(view.items):  # a stale page: the card is gone
            return {}
        item = view.items[slot]
        messages = [*messages, _user(f"{'I like' if liked else 'Not for me:'} {item.title}")]
        try:
            reply = self._agent_for(view).feedback(view.session_id, item.id, liked)
        except Exception as error:  # shown in the chat; the session stays usable
            logger.exception("feedback failed in session %s", view.session_id)
            messages.append(_agent(render.notice_message(f"Sorry, the feedback failed: {error}")))
            return self._chat(messages)
        messages.append(_agent(render.agent_message(reply)))
        view = view.with_feedback(item.id, liked).after(reply, render.trace_markdown(reply.trace))
        return {**self._chat(messages), **view_updates(self.w, view)}

    def quick_reply(self, answer: str, messages: Messages, stored: object) -> Iterator[Updates]:
        """A quick-reply button: its label is sent as the user's message (and streams like one)."""
        yield from self.send(answer, messages, stored)

    # --- wiring -------------------------------------------------------------------------------

    def wire(self, app: gr.Blocks) -> None:
        """Attach every handler to its events."""
        w = self.w
        page = [w.chatbot, w.messages, w.dataset, w.llm, *w.view_components()]
        turn = [w.box, w.chatbot, w.messages, *w.view_components()]
        app.load(self.restore, inputs=[w.stored], outputs=page)
        w.new.click(self.new_session, inputs=[w.stored], outputs=page)
        for control in (w.dataset, w.llm):
            control.input(self.switch, inputs=[w.dataset, w.llm, w.messages, w.stored], outputs=page)
        w.box.submit(self.send, inputs=[w.box, w.messages, w.stored], outputs=turn)
        w.send.click(self.send, inputs=[w.box, w.messages, w.stored], outputs=turn)
        for button in w.quick:
            button.click(self.quick_reply, inputs=[button, w.messages, w.stored], outputs=turn)
        for slot, card in enumerate(w.cards):
            for liked, button in ((True, card.like), (False, card.dislike)):
                button.click(partial(self.feedback, slot, liked), inputs=[w.messages, w.stored], outputs=turn)


def build_app(
    pool: AgentPool, *, dataset: str, llm: str | None, datasets: list[str], secret: str | None = None
) -> gr.Blocks:
    """The Blocks app. ``secret`` encrypts the browser's stored session (a fixed one survives restarts)."""
    datasets = datasets if dataset in datasets else [dataset, *datasets]
    with gr.Blocks(title="crsagent", analytics_enabled=False) as app:
        widgets = build_layout(datasets=datasets, dataset=dataset, llm=llm, secret=secret)
        ChatApp(pool, widgets, dataset=dataset, llm=llm, datasets=datasets).wire(app)
    return app


def launch(app: gr.Blocks, *, host: str = "127.0.0.1", port: int | None = None, quiet: bool = False) -> str:
    """Start serving ``app`` in the background (analytics off, no share link); returns its local URL.

    The caller then blocks (``app.block_thread()``) or closes it (``app.close()``, as the tests do).
    """
    _, url, _ = app.launch(
        server_name=host,
        server_port=port,
        share=False,
        prevent_thread_lock=True,
        quiet=quiet,
        css=CSS,
        footer_links=[],
    )
    return url
