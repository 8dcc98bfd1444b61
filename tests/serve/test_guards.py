"""The rate limiter's bucket and the turn gate's deadline and bound, without a server."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from crsagent.serve.http_guards import RateLimiter
from crsagent.serve.settings import ServeLimits
from crsagent.serve.turns import TurnGate, TurnTimeoutError


def test_a_bucket_allows_the_burst_then_refills_at_the_rate() -> None:
    limiter = RateLimiter(ServeLimits(rate_per_minute=60, rate_burst=2))
    assert limiter.wait_seconds("a", now=0.0) == 0 and limiter.wait_seconds("a", now=0.0) == 0
    assert limiter.wait_seconds("a", now=0.0) == pytest.approx(1.0)
    assert limiter.wait_seconds("b", now=0.0) == 0  # clients have their own buckets
    assert limiter.wait_seconds("a", now=1.0) == 0  # one second refilled one request


def test_the_limiter_forgets_the_oldest_clients_beyond_its_bound() -> None:
    limiter = RateLimiter(ServeLimits(rate_per_minute=60, rate_burst=1, max_clients_tracked=2))
    for client in ("a", "b", "c"):
        assert limiter.wait_seconds(client, now=0.0) == 0
    assert limiter.wait_seconds("a", now=0.0) == 0  # "a" was forgotten: a fresh bucket
    assert limiter.wait_seconds("c", now=0.0) > 0


def test_no_rate_means_no_limit() -> None:
    limiter = RateLimiter(ServeLimits(rate_per_minute=0, rate_burst=1))
    assert all(limiter.wait_seconds("a", now=0.0) == 0 for _ in range(100))


def test_a_slow_turn_times_out_and_keeps_its_slot_until_its_thread_ends() -> None:
    gate = TurnGate(ServeLimits(max_concurrent_turns=1, turn_timeout_s=0.2))
    release = threading.Event()

    async def main() -> None:
        with pytest.raises(TurnTimeoutError, match=r"within 0\.2 s"):
            await gate.run(lambda: release.wait(5))
        # The slow thread still runs: a second turn cannot start and times out waiting.
        with pytest.raises(TurnTimeoutError):
            await gate.run(lambda: "second")
        release.set()
        await asyncio.sleep(0.1)
        assert await gate.run(lambda: "third") == "third"

    asyncio.run(main())


def test_turns_of_one_session_run_one_after_another() -> None:
    gate = TurnGate(ServeLimits(max_concurrent_turns=4))
    inside = 0
    most = 0
    lock = threading.Lock()

    def turn() -> None:
        nonlocal inside, most
        with lock:
            inside += 1
            most = max(most, inside)
        time.sleep(0.02)
        with lock:
            inside -= 1

    async def main() -> None:
        await asyncio.gather(*(gate.run(turn, session="s") for _ in range(5)))

    asyncio.run(main())
    assert most == 1
