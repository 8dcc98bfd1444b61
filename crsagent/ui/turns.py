"""One turn at a time per session, in the order the messages came, and the session's latest chat.

Gradio runs events of different sessions side by side (up to ``concurrent_turns``). Two messages of
one session must not: the second waits here, in arrival order, until the first is done, then starts
from the chat and view the first left (the values Gradio handed it were read before the first
finished). At most ``max_waiting`` messages wait per session; more are refused with a clear error
rather than piling up workers. The latest chat of at most ``max_sessions`` idle sessions is kept.
"""

from __future__ import annotations

import queue
import threading
from collections import OrderedDict
from collections.abc import Callable, Generator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar

from crsagent.errors import CrsAgentError

T = TypeVar("T")


class SessionBusyError(CrsAgentError):
    """Too many messages of one session waiting behind its running turn."""


@dataclass
class SessionSlot:
    """A session's place in line, and what its last finished turn left (None: nothing yet)."""

    messages: list[dict[str, str]] | None = None
    view: Any = None  # the SessionView after the last turn (typed loosely: no import cycle)
    users: int = 0  # the running turn plus those waiting
    _next_ticket: int = 0
    _serving: int = 0
    _turn_done: threading.Condition = field(default_factory=threading.Condition)


class SessionGate:
    """Serialises turns per session id; sessions never wait for each other here."""

    def __init__(self, *, max_waiting: int = 3, max_sessions: int = 10_000) -> None:
        self.max_waiting = max_waiting
        self.max_sessions = max_sessions
        self._slots: OrderedDict[str, SessionSlot] = OrderedDict()
        self._lock = threading.Lock()

    def waiting(self, session_id: str) -> int:
        """Turns of the session running or waiting now."""
        with self._lock:
            slot = self._slots.get(session_id)
            return slot.users if slot is not None else 0

    def sessions(self) -> list[str]:
        """Session ids the gate holds a slot for, least recently used first."""
        with self._lock:
            return list(self._slots)

    def _enter(self, session_id: str) -> tuple[SessionSlot, int]:
        with self._lock:
            slot = self._slots.get(session_id)
            if slot is None:
                slot = self._slots[session_id] = SessionSlot()
            self._slots.move_to_end(session_id)
            if slot.users > self.max_waiting:
                raise SessionBusyError(
                    f"{slot.users - 1} messages of this session are already waiting behind the turn in "
                    f"progress (at most {self.max_waiting}); send this one when they are answered"
                )
            slot.users += 1
            ticket = slot._next_ticket
            slot._next_ticket += 1
            self._evict_idle()
            return slot, ticket

    def _evict_idle(self) -> None:
        """Drop the least recently used idle slots past ``max_sessions`` (busy ones stay)."""
        excess = len(self._slots) - self.max_sessions
        for session_id in list(self._slots):
            if excess <= 0:
                break
            if self._slots[session_id].users == 0:
                del self._slots[session_id]
                excess -= 1

    @contextmanager
    def turn(self, session_id: str) -> Iterator[SessionSlot]:
        """Hold the session's turn; the slot's ``messages`` / ``view`` are for the caller to update."""
        slot, ticket = self._enter(session_id)
        try:
            with slot._turn_done:
                slot._turn_done.wait_for(lambda: slot._serving == ticket)
            yield slot
        finally:
            with slot._turn_done:
                slot._serving += 1
                slot._turn_done.notify_all()
            with self._lock:
                slot.users -= 1


_UPDATE, _ERROR, _DONE = "update", "error", "done"


def run_in_turn(
    gate: SessionGate, session_id: str, work: Callable[[SessionSlot, Callable[[T], None]], None]
) -> Generator[T, None, None]:
    """Run ``work(slot, emit)`` holding the session's turn, in a thread of its own; yield what it emits.

    The turn runs to its end and lets the next message in even when the consumer stops reading (a
    closed tab leaves its generator unfinished): the gate is held by the worker, never by the page.
    ``work``'s exceptions (and ``SessionBusyError``) are raised here.
    """
    events: queue.SimpleQueue[tuple[str, Any]] = queue.SimpleQueue()

    def worker() -> None:
        try:
            with gate.turn(session_id) as slot:
                work(slot, lambda update: events.put((_UPDATE, update)))
        except Exception as error:  # noqa: BLE001 - not swallowed: raised again in the consumer
            events.put((_ERROR, error))
        else:
            events.put((_DONE, None))

    threading.Thread(target=worker, name=f"turn-{session_id[:8]}", daemon=True).start()
    while True:
        kind, value = events.get()
        if kind == _UPDATE:
            yield value
        elif kind == _ERROR:
            raise value
        else:
            return
