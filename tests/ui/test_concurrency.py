"""Sessions are served side by side; turns of one session one at a time, in order, none dropped.
Through the same queue the page uses (gradio_client on the app's named endpoints)."""

from __future__ import annotations

import time

import pytest

from tests.ui.conftest import HOLD, HOLD_WORD, ServedApp

gradio_client = pytest.importorskip("gradio_client")
from gradio_client import Client  # noqa: E402 - after the skip: it comes with the ui extra
from gradio_client.client import Job  # noqa: E402
from gradio_client.utils import Status  # noqa: E402

WAIT_S = 60


def _until_processing(job: Job) -> None:
    deadline = time.monotonic() + WAIT_S
    while job.status().code not in (Status.PROCESSING, Status.ITERATING) and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.5)  # from "processing" to its place at the session gate


def test_another_session_is_answered_while_a_turn_is_running(served: ServedApp) -> None:
    HOLD.reset()
    slow, quick = Client(served.url, verbose=False), Client(served.url, verbose=False)
    held = slow.submit(f"{HOLD_WORD} I want a comedy", "", api_name="/chat")
    assert HOLD.entered.wait(WAIT_S)
    answered = quick.submit("I want a drama", "", api_name="/chat").result(timeout=WAIT_S)
    still_running = not held.done()
    HOLD.release.set()
    assert answered["text"] and still_running
    assert held.result(timeout=WAIT_S)["trace"]["turn"] == 1


def test_messages_of_one_session_run_one_at_a_time_in_order(served: ServedApp) -> None:
    HOLD.reset()
    client = Client(served.url, verbose=False)
    session = client.predict("", "", api_name="/new_session")["session"]
    first = client.submit(f"{HOLD_WORD} I want a comedy", session, api_name="/chat")
    assert HOLD.entered.wait(WAIT_S)
    second = client.submit("yes", session, api_name="/chat")
    # Two HTTP requests sent at once may reach the server in either order; "in order" means in the
    # order they arrive, so the third is sent once the second is being handled (waiting at the gate).
    _until_processing(second)
    third = client.submit("no", session, api_name="/chat")
    HOLD.release.set()
    turns = [job.result(timeout=WAIT_S)["trace"]["turn"] for job in (first, second, third)]
    assert turns == [1, 2, 3]
    ours = [entry for entry in HOLD.log if entry.endswith(("I want a comedy", "yes", "no"))]
    assert ours == [
        f"start {HOLD_WORD} I want a comedy",
        f"end {HOLD_WORD} I want a comedy",
        "start yes",
        "end yes",
        "start no",
        "end no",
    ]
    history = client.predict(session, api_name="/history")["exchanges"]
    assert [e["user"] for e in history] == [f"{HOLD_WORD} I want a comedy", "yes", "no"]
