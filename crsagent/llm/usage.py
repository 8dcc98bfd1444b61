"""A usage meter: every model call's tokens and latency, summed per run for the evaluation reports.

One meter per run (an evaluation, a chat session). Backends record every completed model call —
the re-ask of a structured answer counts as a call of its own, since it costs the same. Calls that
failed (an error raised to the caller) are not recorded: they produced no tokens to count.
Thread-safe: simulations run conversations concurrently.
"""

from __future__ import annotations

import math
import statistics
import threading
from collections.abc import Sequence

from pydantic import BaseModel, ConfigDict, Field

from crsagent.llm.results import Usage


class CallRecord(BaseModel):
    """One model call."""

    model_config = ConfigDict(frozen=True)

    model: str = Field(description="Model that answered.")
    prompt_tokens: int = Field(ge=0, description="Tokens read.")
    completion_tokens: int = Field(ge=0, description="Tokens generated.")
    latency_s: float = Field(ge=0, description="Seconds from request to full answer.")


class UsageSummary(BaseModel):
    """Totals over a run (or a slice of it, e.g. one turn)."""

    model_config = ConfigDict(frozen=True)

    calls: int = Field(description="Model calls made.")
    prompt_tokens: int = Field(description="Tokens read, summed.")
    completion_tokens: int = Field(description="Tokens generated, summed.")
    total_tokens: int = Field(description="prompt_tokens + completion_tokens.")
    latency_s: float = Field(description="Seconds spent in model calls, summed.")
    mean_latency_s: float = Field(description="Mean seconds per call (0 with no calls).")
    p95_latency_s: float = Field(description="95th percentile of seconds per call (0 with no calls).")

    @classmethod
    def of(cls, records: Sequence[CallRecord]) -> UsageSummary:
        latencies = [record.latency_s for record in records]
        prompt = sum(record.prompt_tokens for record in records)
        completion = sum(record.completion_tokens for record in records)
        return cls(
            calls=len(records),
            prompt_tokens=prompt,
            completion_tokens=completion,
            total_tokens=prompt + completion,
            latency_s=sum(latencies),
            mean_latency_s=statistics.fmean(latencies) if latencies else 0.0,
            p95_latency_s=_percentile(latencies, 0.95),
        )


def _percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile; exact for the small per-run lists this sees."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]


class UsageMeter:
    """Collects ``CallRecord``s; ``summary()`` sums them, ``mark()`` + ``summary(since=)`` slice a turn."""

    def __init__(self) -> None:
        self._records: list[CallRecord] = []
        self._lock = threading.Lock()

    def record(self, model: str, usage: Usage, latency_s: float) -> None:
        record = CallRecord(
            model=model,
            prompt_tokens=usage.prompt_tokens,
            completion_tokens=usage.completion_tokens,
            latency_s=max(0.0, latency_s),
        )
        with self._lock:
            self._records.append(record)

    @property
    def records(self) -> tuple[CallRecord, ...]:
        with self._lock:
            return tuple(self._records)

    def mark(self) -> int:
        """A position to pass to ``summary(since=...)`` later (e.g. at the start of a turn)."""
        with self._lock:
            return len(self._records)

    def summary(self, since: int = 0) -> UsageSummary:
        """Totals of the calls recorded after position ``since`` (all of them by default)."""
        if since < 0:
            raise ValueError(f"since must be a position from mark() (>= 0), got {since}")
        with self._lock:
            return UsageSummary.of(self._records[since:])

    def reset(self) -> None:
        with self._lock:
            self._records.clear()
