"""Browser fixtures: Debian's chromium through Playwright, and the app served in-process.

Without /usr/bin/chromium the browser tests skip, except under ``CRSAGENT_REQUIRE_BROWSER=1`` (set
by ``.ci/run``), where a missing browser fails them. Playwright's own browser downloads are never
used (no ``playwright install``).
"""

from __future__ import annotations

import os
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import pytest

from crsagent.config import Settings
from tests.ui.hostile_data import HOSTILE_NAME, hostile_dataset

if TYPE_CHECKING:
    from playwright.sync_api import Browser

    from crsagent.agent import Agent
    from crsagent.agent.pool import AgentPool

CHROMIUM = Path("/usr/bin/chromium")
HOLD_WORD = "[hold]"


class Hold:
    """Makes turns whose message contains ``HOLD_WORD`` wait until the test releases them, and
    logs when each turn starts and ends: the tests see what ran side by side and in which order."""

    def __init__(self) -> None:
        self.entered = threading.Event()
        self.release = threading.Event()
        self.log: list[str] = []
        self._lock = threading.Lock()

    def reset(self) -> None:
        self.release.set()  # nothing from an earlier test stays stuck
        self.__init__()

    def enter(self, text: str) -> None:
        with self._lock:
            self.log.append(f"start {text}")
        if HOLD_WORD in text:
            self.entered.set()
            assert self.release.wait(120), "the test never released the held turn"

    def leave(self, text: str) -> None:
        with self._lock:
            self.log.append(f"end {text}")


HOLD = Hold()


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "browser: drives chromium; skipped without it unless CRSAGENT_REQUIRE_BROWSER=1"
    )


def _missing_browser(reason: str) -> NoReturn:
    if os.environ.get("CRSAGENT_REQUIRE_BROWSER") == "1":
        pytest.fail(f"a browser is required (CRSAGENT_REQUIRE_BROWSER=1) but {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Headless chromium (Debian's package), shared by the browser tests."""
    if not CHROMIUM.is_file():
        _missing_browser(f"{CHROMIUM} is missing (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as error:
        _missing_browser(f"playwright is not installed ({error}); it is in the dev extra")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        yield launched
        launched.close()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass(frozen=True)
class ServedApp:
    """The UI on a local port, over real agents (demo and the hostile catalog)."""

    url: str
    pool: AgentPool

    def agent(self, dataset: str = "demo") -> Agent:
        """The very agent the page talks to (offline), to compute what the page must show."""
        agent = self.pool.get(dataset, None)
        from crsagent.agent import Agent

        assert isinstance(agent, Agent)
        return agent


def _holding_agent_class() -> type[Agent]:
    from crsagent.agent import Agent, Reply

    class HoldingAgent(Agent):
        """A real agent whose turns report to ``HOLD`` (and wait there when asked to)."""

        def stream(self, text: str, session_id: str = "default", **options: Any) -> Iterator[str | Reply]:
            HOLD.enter(text)
            try:
                yield from super().stream(text, session_id, **options)
            finally:
                HOLD.leave(text)

        def chat(self, text: str, session_id: str = "default", **options: Any) -> Reply:
            HOLD.enter(text)
            try:
                return super().chat(text, session_id, **options)
            finally:
                HOLD.leave(text)

    return HoldingAgent


@pytest.fixture(scope="session")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServedApp]:
    """``build_app`` over an agent pool, launched on a free port; closed after the tests."""
    from crsagent.agent.pool import AgentPool
    from crsagent.ui.app import build_app, launch
    from crsagent.ui.choices import Offer

    HoldingAgent = _holding_agent_class()  # noqa: N806 - a class
    folder = tmp_path_factory.mktemp("ui")
    settings = Settings(cache_dir=folder / "cache")
    datasets = {"demo": "demo", HOSTILE_NAME: hostile_dataset()}

    def factory(dataset: str, llm: str | None) -> Agent:
        return HoldingAgent.from_dataset(
            datasets[dataset],
            llm=llm or "offline",
            settings=settings,
            checkpoint_path=folder / "sessions.sqlite",
        )

    pool = AgentPool(factory)
    # The LLM-failure test picks these two; anything else a visitor typed would be refused.
    offer = Offer(datasets=["demo", *datasets], llms=[None], allow_any_llm=True)
    app = build_app(pool, offer, secret="browser-test-secret")
    url = launch(app, port=free_port(), quiet=True)
    yield ServedApp(url, pool)
    app.close()
