"""Agents shared by the agent tests: building one fits (or loads) the preference model."""

from __future__ import annotations

import itertools
from collections.abc import Callable

import pytest

from crsagent.agent import Agent
from crsagent.config import Settings
from crsagent.data.dataset import Dataset


@pytest.fixture(scope="session")
def ml_agent(movielens: Dataset, real_settings: Settings) -> Agent:
    """An offline agent over ml-latest-small."""
    return Agent.from_dataset(movielens, llm="offline", settings=real_settings)


@pytest.fixture(scope="session")
def demo_agent() -> Agent:
    """An offline agent over the built-in demo catalog."""
    return Agent.from_dataset("demo", llm="offline")


_numbers = itertools.count()


@pytest.fixture
def session() -> Callable[[], str]:
    """Fresh session ids: tests sharing an agent never share a conversation."""
    return lambda: f"test-session-{next(_numbers)}"
