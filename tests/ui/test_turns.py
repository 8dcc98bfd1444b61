"""Turns of one session run one at a time, in arrival order; other sessions never wait for them."""

from __future__ import annotations

import threading
import time

import pytest

from crsagent.ui.turns import SessionBusyError, SessionGate, SessionSlot, run_in_turn


def _hold(gate: SessionGate, session: str, log: list[str], name: str, release: threading.Event) -> None:
    with gate.turn(session):
        log.append(f"{name} start")
        assert release.wait(30)
        log.append(f"{name} end")


def _wait_until(condition, what: str) -> None:
    for _ in range(3000):
        if condition():
            return
        time.sleep(0.01)
    raise AssertionError(f"timed out waiting for {what}")


def test_messages_of_one_session_wait_in_order_and_other_sessions_go_ahead() -> None:
    gate = SessionGate(max_waiting=5)
    log: list[str] = []
    release = {name: threading.Event() for name in ("a1", "a2", "a3", "b1")}
    threads = []
    for name in ("a1", "a2", "a3"):
        thread = threading.Thread(target=_hold, args=(gate, "a", log, name, release[name]))
        thread.start()
        threads.append(thread)
        queued = len(threads)
        _wait_until(lambda n=queued: gate.waiting("a") == n, f"{name} to queue")
    other = threading.Thread(target=_hold, args=(gate, "b", log, "b1", release["b1"]))
    other.start()
    _wait_until(lambda: "b1 start" in log, "session b to start while a is busy")
    assert log == ["a1 start", "b1 start"]
    for name in ("a3", "a2", "a1", "b1"):  # released out of order: a2 still waits for a1
        release[name].set()
    for thread in [*threads, other]:
        thread.join(timeout=30)
    session_a = [entry for entry in log if entry.startswith("a")]
    assert session_a == ["a1 start", "a1 end", "a2 start", "a2 end", "a3 start", "a3 end"]
    assert gate.waiting("a") == 0


def test_too_many_waiting_messages_are_refused_with_a_clear_error() -> None:
    gate = SessionGate(max_waiting=1)
    release = threading.Event()
    log: list[str] = []
    threads = [threading.Thread(target=_hold, args=(gate, "s", log, f"t{i}", release)) for i in range(2)]
    for count, thread in enumerate(threads, start=1):
        thread.start()
        _wait_until(lambda c=count: gate.waiting("s") == c, "the turns to queue")
    with (
        pytest.raises(SessionBusyError, match=r"1 messages of this session are already waiting.*at most 1"),
        gate.turn("s"),
    ):
        pass
    release.set()
    for thread in threads:
        thread.join(timeout=30)
    with gate.turn("s"):  # free again
        assert gate.waiting("s") == 1


def test_idle_sessions_beyond_the_bound_are_forgotten_busy_ones_kept() -> None:
    gate = SessionGate(max_sessions=2)
    with gate.turn("busy") as slot:
        slot.messages = [{"role": "user", "content": "kept"}]
        for name in ("x", "y", "z"):
            with gate.turn(name) as other:
                other.messages = []
        assert gate.sessions() == ["busy", "z"]  # x and y were idle and oldest; busy was in a turn
    with gate.turn("busy") as slot:
        assert slot.messages == [{"role": "user", "content": "kept"}]


def test_a_turn_finishes_and_frees_the_session_when_its_reader_goes_away() -> None:
    """A closed tab stops reading its turn's updates; the turn still ends and the next one runs."""
    gate = SessionGate()
    steps = threading.Event()

    def work(slot: SessionSlot, emit) -> None:
        emit("first")
        assert steps.wait(30)
        emit("second")
        slot.messages = [{"role": "assistant", "content": "done"}]

    updates = run_in_turn(gate, "s", work)
    assert next(updates) == "first"
    updates.close()  # the reader leaves mid-turn
    steps.set()
    with gate.turn("s") as slot:  # waits for the abandoned turn to end, then gets its result
        assert slot.messages == [{"role": "assistant", "content": "done"}]


def test_errors_in_a_turn_reach_the_reader() -> None:
    def work(slot: SessionSlot, emit) -> None:
        raise RuntimeError("the turn broke")

    with pytest.raises(RuntimeError, match="the turn broke"):
        list(run_in_turn(SessionGate(), "s", work))
