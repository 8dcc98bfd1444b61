"""The LangGraph channel of a turn's message: read by every node of the turn, gone when it ends.

A LangGraph caller sends a turn as a dict, and LangGraph writes only the keys it holds, so a plain
key that a later turn omits would keep the earlier turn's value. ``TurnValue`` forgets its value when
the run finishes; the keys only ``understand`` reads are ``EphemeralValue`` (gone after one step).
Neither checks what is written: a write that raised would stay among the thread's pending writes and
break every later read of its state, so ``understand`` checks the input instead.
"""

from __future__ import annotations

from typing import Any

from langgraph._internal._typing import MISSING  # LastValue's "no value" marker
from langgraph.channels.last_value import LastValue


class TurnValue(LastValue[Any]):
    """A last value that the run forgets when it finishes."""

    def finish(self) -> bool:
        if self.value is MISSING:
            return False
        self.value = MISSING
        return True
