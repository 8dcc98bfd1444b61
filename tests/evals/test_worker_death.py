"""Worker processes die with their parent: ``kill -9`` of a run leaves no orphan playing on."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

PARENT = """
import sys, time
from concurrent.futures import ProcessPoolExecutor
import multiprocessing, os
from crsagent.evals.execute import die_with_parent

def work(_):
    time.sleep(600)

pool = ProcessPoolExecutor(2, multiprocessing.get_context("fork"), initializer=die_with_parent, initargs=(os.getpid(),))
pool.submit(work, 0); pool.submit(work, 1)
time.sleep(1.0)
print(" ".join(str(pid) for pid in pool._processes), flush=True)
time.sleep(600)
"""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie (dead, not yet reaped by init) counts as gone.
    status = Path(f"/proc/{pid}/status")
    return not (status.is_file() and "zombie" in status.read_text())


def test_workers_exit_when_the_parent_is_killed() -> None:
    parent = subprocess.Popen([sys.executable, "-c", PARENT], stdout=subprocess.PIPE, text=True)
    assert parent.stdout is not None
    workers = [int(pid) for pid in parent.stdout.readline().split()]
    assert len(workers) == 2 and all(_alive(pid) for pid in workers)
    os.kill(parent.pid, signal.SIGKILL)
    parent.wait()
    for _ in range(100):  # up to 10 s for the kernel / the watcher to end them
        if not any(_alive(pid) for pid in workers):
            break
        time.sleep(0.1)
    left = [pid for pid in workers if _alive(pid)]
    for pid in left:  # do not leave them behind if the test fails
        os.kill(pid, signal.SIGKILL)
    assert left == []
