"""Helpers of the agent tests (the shared agents are in tests/conftest.py)."""

from __future__ import annotations

import itertools
from collections.abc import Callable

import pytest

_numbers = itertools.count()


@pytest.fixture
def session() -> Callable[[], str]:
    """Fresh session ids: tests sharing an agent never share a conversation."""
    return lambda: f"test-session-{next(_numbers)}"
