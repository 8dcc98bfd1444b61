"""The page's own handlers (which a client can call as the browser does) check the stored session:
another session's id, without the handle this server issued for it, opens a new session instead."""

from __future__ import annotations

from pathlib import Path

import pytest

from crsagent.agent import Agent
from crsagent.agent.pool import AgentPool
from crsagent.config import Settings
from crsagent.ui.app import ChatApp
from crsagent.ui.binding import SessionSigner
from crsagent.ui.choices import Offer
from crsagent.ui.layout import build_layout
from crsagent.ui.optional import gr
from crsagent.ui.service import ChatService
from crsagent.ui.sessions import SessionView
from crsagent.ui.turns import SessionGate


@pytest.fixture
def page(tmp_path: Path) -> ChatApp:
    settings = Settings(cache_dir=tmp_path / "cache")
    pool = AgentPool(lambda dataset, llm: Agent.from_dataset(dataset, llm="offline", settings=settings))
    offer = Offer(datasets=["demo"], llms=[None])
    service = ChatService(pool, offer, SessionSigner("page secret"), SessionGate())
    with gr.Blocks():
        widgets = build_layout(offer, secret="page secret")
    return ChatApp(service, widgets)


def _chat_text(updates: dict[object, object], page: ChatApp) -> str:
    return " ".join(message["content"] for message in updates[page.w.chatbot])  # type: ignore[union-attr]


def test_a_forged_stored_session_cannot_read_another_session(page: ChatApp) -> None:
    victim = SessionView.new("demo", None, page.service.signer)
    page.service.agent(victim).chat("I want a western, secretly", victim.session_id)
    own = page.restore(victim.to_browser())  # the victim's own browser: its conversation is back
    assert "secretly" in _chat_text(own, page)
    bare = SessionView(session_id=victim.session_id, dataset="demo").to_browser()
    borrowed = {**bare, "handle": SessionView.new("demo", None, page.service.signer).handle}
    other_server = {**bare, "handle": SessionSigner("another server").handle(victim.key)}
    for forged in (bare, borrowed, other_server):
        updates = page.restore(forged)
        assert "secretly" not in _chat_text(updates, page) and "could not be verified" in _chat_text(
            updates, page
        )
        stored = updates[page.w.stored]
        assert isinstance(stored, dict) and stored["session_id"] != victim.session_id


def test_a_forged_session_cannot_continue_another_session(page: ChatApp) -> None:
    victim = SessionView.new("demo", None, page.service.signer)
    agent = page.service.agent(victim)
    agent.chat("I want a comedy", victim.session_id)
    forged = SessionView(session_id=victim.session_id, dataset="demo").to_browser()
    list(page.send("I want a drama", [], forged))
    assert [user for user, _ in agent.history(victim.session_id)] == ["I want a comedy"]


def test_an_llm_not_offered_is_refused_by_the_page_too(page: ChatApp) -> None:
    view = SessionView.new("demo", None, page.service.signer)
    updates = list(page.switch("demo", "vllm-server:http://10.0.0.1:8000/v1#m", [], view.to_browser()))
    assert "is not offered here" in _chat_text(updates[-1], page)
    assert page.service.pool.keys() == []  # no agent was built for it
