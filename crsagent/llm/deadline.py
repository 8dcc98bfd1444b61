"""A wall-clock budget for one model call (connect, every read, retries and waits together), and
reading an HTTP body under that budget and a size cap.

httpx's timeouts bound each step (connect, one read), not the whole: a server that sends one byte
every few seconds never trips a read timeout, and retries multiply a per-request timeout. The
``Deadline`` is checked between chunks and before every attempt (``openai_budget``), so a call ends
by its budget whatever the server does; the size cap stops a runaway answer before it fills memory.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass

from crsagent.llm.errors import LLMResponseError, LLMTimeoutError


@dataclass(frozen=True)
class Deadline:
    """The moment (``time.monotonic``) a call must be over by, and the budget it came from."""

    end: float
    budget_s: float

    @classmethod
    def after(cls, seconds: float) -> Deadline:
        return cls(time.monotonic() + seconds, seconds)

    def remaining(self) -> float:
        return self.end - time.monotonic()

    def check(self, server: str, attempts: int = 1) -> float:
        """Seconds left; ``LLMTimeoutError`` when none are."""
        left = self.remaining()
        if left <= 0:
            raise self.spent(server, attempts)
        return left

    def spent(self, server: str, attempts: int) -> LLMTimeoutError:
        """The error of a call whose budget ran out after ``attempts`` attempts."""
        return LLMTimeoutError(
            f"{server}: no complete answer within the call's budget of {self.budget_s:g} s "
            f"({attempts} attempt(s))",
            attempts=attempts,
        )


def _over(size: int, max_bytes: int, server: str) -> LLMResponseError:
    return LLMResponseError(
        f"{server}: the answer is larger than the cap of {max_bytes:,} bytes (at least {size:,}); "
        "set a lower max_tokens or raise CRSAGENT_LLM_MAX_RESPONSE_BYTES"
    )


class BoundedBody:
    """Collects a body chunk by chunk; fails as soon as it is too large or the deadline passes."""

    def __init__(self, deadline: Deadline, max_bytes: int, server: str) -> None:
        self.deadline = deadline
        self.max_bytes = max_bytes
        self.server = server
        self.parts: list[bytes] = []
        self.size = 0

    def feed(self, chunk: bytes) -> None:
        self.size += len(chunk)
        if self.size > self.max_bytes:
            raise _over(self.size, self.max_bytes, self.server)
        self.parts.append(chunk)
        self.deadline.check(self.server)

    def read(self, chunks: Iterator[bytes]) -> bytes:
        for chunk in chunks:
            self.feed(chunk)
        return b"".join(self.parts)

    async def aread(self, chunks: AsyncIterator[bytes]) -> bytes:
        async for chunk in chunks:
            self.feed(chunk)
        return b"".join(self.parts)


def check_text_size(text_chars: int, max_bytes: int, server: str) -> None:
    """A streamed answer's text so far against the cap (characters count as at least one byte)."""
    if text_chars > max_bytes:
        raise _over(text_chars, max_bytes, server)
