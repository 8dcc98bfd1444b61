"""The usage meter: per-call records, totals, per-turn slices, concurrent recording."""

from __future__ import annotations

import threading

import pytest

from crsagent.llm import Usage, UsageMeter


def test_totals_and_turn_slices() -> None:
    meter = UsageMeter()
    meter.record("m", Usage(prompt_tokens=10, completion_tokens=5), 0.5)
    turn = meter.mark()
    meter.record("m", Usage(prompt_tokens=20, completion_tokens=1), 1.5)
    meter.record("m", Usage(prompt_tokens=30, completion_tokens=2), 2.5)

    total = meter.summary()
    assert (total.calls, total.prompt_tokens, total.completion_tokens, total.total_tokens) == (3, 60, 8, 68)
    assert total.latency_s == pytest.approx(4.5)
    assert total.mean_latency_s == pytest.approx(1.5)
    assert total.p95_latency_s == 2.5

    last_turn = meter.summary(since=turn)
    assert (last_turn.calls, last_turn.prompt_tokens, last_turn.latency_s) == (2, 50, pytest.approx(4.0))
    assert meter.summary(since=3).calls == 0
    assert meter.summary(since=3).mean_latency_s == 0.0


def test_p95_is_nearest_rank() -> None:
    meter = UsageMeter()
    for latency in range(1, 21):  # 1..20 s
        meter.record("m", Usage(), float(latency))
    assert meter.summary().p95_latency_s == 19.0


def test_bad_slice_and_reset() -> None:
    meter = UsageMeter()
    meter.record("m", Usage(prompt_tokens=1), 0.1)
    with pytest.raises(ValueError, match="since must be a position"):
        meter.summary(since=-1)
    meter.reset()
    assert meter.summary().calls == 0


def test_concurrent_recording_loses_nothing() -> None:
    meter = UsageMeter()

    def work() -> None:
        for _ in range(500):
            meter.record("m", Usage(prompt_tokens=1, completion_tokens=2), 0.001)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    summary = meter.summary()
    assert (summary.calls, summary.prompt_tokens, summary.completion_tokens) == (2000, 2000, 4000)
