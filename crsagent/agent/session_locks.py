"""One lock per session, held for a whole turn, kept only while someone holds or waits for it.

Two turns of one session that ran at once would both read the same checkpoint and the later write
would drop the earlier turn. Turns of one session therefore run one after another (in arrival order
as far as the OS schedules threads); turns of different sessions still run in parallel. A lock that
nobody holds or waits for is forgotten, so idle sessions cost nothing however many there were.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager


class SessionLocks:
    """Per-key locks that exist only while in use (reference-counted)."""

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._locks: dict[str, tuple[threading.Lock, int]] = {}

    def __len__(self) -> int:
        """Locks held or waited for now (idle sessions are not counted: they hold none)."""
        with self._guard:
            return len(self._locks)

    @contextmanager
    def hold(self, key: str) -> Iterator[None]:
        """Run the body while no other ``hold(key)`` body runs."""
        with self._guard:
            lock, users = self._locks.get(key) or (threading.Lock(), 0)
            self._locks[key] = (lock, users + 1)
        try:
            with lock:
                yield
        finally:
            with self._guard:
                lock, users = self._locks[key]
                if users == 1:
                    del self._locks[key]
                else:
                    self._locks[key] = (lock, users - 1)
