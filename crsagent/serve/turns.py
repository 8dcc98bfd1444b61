"""Runs agent turns off the event loop: a bounded number at once, each under a deadline, and the
turns of one conversation one after another (two at once would race on its stored state)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import TypeVar

from crsagent.errors import CrsAgentError
from crsagent.serve.settings import ServeLimits

T = TypeVar("T")


class TurnTimeoutError(CrsAgentError):
    """A turn did not finish (or could not start) within ``ServeLimits.turn_timeout_s``."""


class TurnGate:
    """The gate every agent turn of one server passes through."""

    def __init__(self, limits: ServeLimits) -> None:
        self.limits = limits
        self._slots = asyncio.Semaphore(limits.max_concurrent_turns)
        self._sessions: dict[str, tuple[asyncio.Lock, int]] = {}

    @asynccontextmanager
    async def _session(self, key: str | None) -> AsyncIterator[None]:
        if key is None:
            yield
            return
        lock, users = self._sessions.get(key, (asyncio.Lock(), 0))
        self._sessions[key] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._sessions[key]
            # Forget the lock with its last user, so idle conversations cost nothing here.
            if users == 1:
                del self._sessions[key]
            else:
                self._sessions[key] = (lock, users - 1)

    async def run(self, function: Callable[[], T], *, session: str | None = None) -> T:
        """``function()`` in a worker thread, once a slot (and the session) is free, within the deadline."""
        timeout = self.limits.turn_timeout_s
        try:
            async with asyncio.timeout(timeout), self._session(session):
                await self._slots.acquire()
                # The slot is given back when the thread ends, not at the deadline: a thread cannot
                # be stopped, and releasing early would let more turns than the limit run at once.
                work = asyncio.ensure_future(asyncio.to_thread(function))
                work.add_done_callback(lambda _: self._slots.release())
                return await asyncio.shield(work)
        except TimeoutError:
            raise TurnTimeoutError(
                f"the agent did not answer within {timeout:g} s (turn_timeout_s); try again"
            ) from None
