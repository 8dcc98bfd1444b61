"""Bounded retries with exponential backoff for transient server failures (429, 5xx, network).

We retry ourselves instead of using the openai SDK's built-in retries (set to 0 on the client): the
policy is then one typed object, the same for sync, async and streaming calls, and the error
raised at the end says how many attempts were made and what the last failure was.
"""

from __future__ import annotations

import random

import openai
from pydantic import BaseModel, ConfigDict, Field


class RetryPolicy(BaseModel):
    """How often and how patiently to retry a transient failure."""

    model_config = ConfigDict(frozen=True)

    max_retries: int = Field(default=3, ge=0, le=10, description="Retries after the first attempt.")
    initial_backoff_s: float = Field(default=0.5, ge=0, description="Wait before the first retry.")
    max_backoff_s: float = Field(default=20.0, ge=0, description="Longest wait between two attempts.")
    retry_timeouts: bool = Field(
        default=True, description="Also retry a request that timed out (a slow server may be overloaded)."
    )

    def delay_s(self, retry: int, error: Exception | None = None) -> float:
        """Seconds to wait before retry number ``retry`` (0-based).

        A server's ``Retry-After`` header wins (capped at ``max_backoff_s``); otherwise exponential
        backoff with jitter in [50%, 100%] so that concurrent clients do not retry in lockstep.
        """
        hinted = retry_after_s(error)
        if hinted is not None:
            return min(hinted, self.max_backoff_s)
        base = min(self.initial_backoff_s * (2**retry), self.max_backoff_s)
        return base * random.uniform(0.5, 1.0)

    def is_retryable(self, error: Exception) -> bool:
        if isinstance(error, openai.APITimeoutError):
            return self.retry_timeouts
        if isinstance(error, openai.APIConnectionError):
            return True
        if isinstance(error, openai.APIStatusError):
            return error.status_code == 429 or error.status_code >= 500
        return False


def retry_after_s(error: Exception | None) -> float | None:
    """The ``Retry-After`` (seconds) or ``retry-after-ms`` header of an HTTP error, if any."""
    if not isinstance(error, openai.APIStatusError):
        return None
    headers = error.response.headers
    for name, scale in (("retry-after-ms", 0.001), ("retry-after", 1.0)):
        value = headers.get(name)
        if value is None:
            continue
        try:
            seconds = float(value) * scale
        except ValueError:
            continue  # an HTTP-date form; fall back to our own backoff
        if seconds >= 0:
            return seconds
    return None
