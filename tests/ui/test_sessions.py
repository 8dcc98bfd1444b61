"""What the UI keeps per tab (SessionView), its agent pool, and the datasets it offers."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from crsagent.agent.pool import AgentPool
from crsagent.agent.reply import Question, Reply, ReplyItem, Trace
from crsagent.config import Settings
from crsagent.ui.binding import SessionSigner
from crsagent.ui.sessions import (
    ChatAgent,
    SessionView,
    available_datasets,
    default_dataset,
    llm_choice,
    llm_label,
)

SIGNER = SessionSigner("test-secret")


def _reply(items: list[str], question: Question | None = None) -> Reply:
    return Reply(
        session_id="s",
        text="...",
        items=[ReplyItem(id=i, title=i.upper()) for i in items],
        question=question,
        trace=Trace(mode="offline", turn=1, decision="recommend" if items else "ask"),
    )


def test_session_view_round_trips_through_the_browser_and_rejects_garbage() -> None:
    view = SessionView.new("demo", None, SIGNER).after(_reply(["a"]), "trace").with_feedback("a", True)
    assert SessionView.from_browser(view.to_browser()) == view
    for stored in (None, "text", [], {"dataset": "demo"}, {**view.to_browser(), "session_id": ""}):
        assert SessionView.from_browser(stored) is None


def test_new_sessions_get_distinct_ids() -> None:
    assert len({SessionView.new("demo", None, SIGNER).session_id for _ in range(50)}) == 50


def test_a_new_list_replaces_the_cards_and_a_question_alone_keeps_them() -> None:
    question = Question(attribute="genre", values=["Comedy"], text="Comedy?")
    view = SessionView.new("demo", None, SIGNER).after(_reply(["a", "b"]), "t1")
    asked = view.after(_reply([], question), "t2")
    assert [i.id for i in asked.items] == ["a", "b"] and asked.question == question and asked.trace == "t2"
    answered = asked.after(_reply(["c"]), "t3")
    assert [i.id for i in answered.items] == ["c"] and answered.question is None


def test_llm_selector_values() -> None:
    for offline in (None, "", "  ", "offline", "Offline", "none"):
        assert llm_choice(offline) is None
    assert llm_choice(" openai:gpt-4o-mini ") == "openai:gpt-4o-mini"
    assert llm_label(None) == "offline" and llm_label("scripted:x.json") == "scripted:x.json"


def test_pool_builds_one_agent_per_pair_even_when_tabs_ask_at_once() -> None:
    built: list[tuple[str, str | None]] = []

    def factory(dataset: str, llm: str | None) -> ChatAgent:
        built.append((dataset, llm))
        return object()  # type: ignore[return-value]  # the pool never calls the agent

    pool = AgentPool(factory)
    threads = [threading.Thread(target=pool.get, args=("demo", None)) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert pool.get("demo", None) is pool.get("demo", None)
    pool.get("demo", "scripted:x.json")
    assert built == [("demo", None), ("demo", "scripted:x.json")]


def test_pool_does_not_cache_a_failed_build() -> None:
    attempts: list[str] = []

    def factory(dataset: str, llm: str | None) -> ChatAgent:
        attempts.append(dataset)
        raise ValueError(f"cannot open {dataset}")

    pool = AgentPool(factory)
    for _ in range(2):
        with pytest.raises(ValueError, match="cannot open nope"):
            pool.get("nope", None)
    assert attempts == ["nope", "nope"]


def test_datasets_offered_are_the_ones_found(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", cache_dir=tmp_path / "cache")
    assert default_dataset(settings) == "demo"
    assert available_datasets(settings) == ["demo"]
    (tmp_path / "data" / "ml-latest-small").mkdir(parents=True)
    assert default_dataset(settings) == "ml-latest-small"
    assert available_datasets(settings) == ["ml-latest-small", "demo"]
    assert available_datasets(settings, current="/some/folder") == ["/some/folder", "ml-latest-small", "demo"]
    assert default_dataset(settings.model_copy(update={"default_dataset": "demo"})) == "demo"
