"""Play episodes: in this process, in worker processes (CPU-bound simulators), or as concurrent
dialogues on an event loop (LLM simulators, whose time is spent waiting for an endpoint).

Every finished episode goes to ``on_done`` in the calling thread, which logs it at once: however the
episodes are played, a kill loses only those in flight.
"""

from __future__ import annotations

import asyncio
import ctypes
import multiprocessing
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, ThreadPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool

from crsagent.config import Settings
from crsagent.data.dataset import Dataset
from crsagent.errors import CrsAgentError
from crsagent.evals.spec import EvalSpec, LLMSimulatorSpec
from crsagent.evals.targets import EpisodeTarget
from crsagent.evals.world import EvalWorld, build_world, play
from crsagent.simulators.base import Episode

OnDone = Callable[[Episode], None]


class WorkerStartError(CrsAgentError):
    """A worker could not build its agent or simulator: no episode can run, so the run stops."""


def play_here(world: EvalWorld, jobs: Sequence[EpisodeTarget], on_done: OnDone) -> None:
    """One episode after another, in this process."""
    for job in jobs:
        on_done(play(world, job))


# --- worker processes --------------------------------------------------------------------------

_WORLD: EvalWorld | None = None
_START_ERROR: str | None = None


_PARENT_POLL_S = 1.0


def die_with_parent(parent_pid: int) -> None:
    """End this worker process when its parent dies (``kill -9`` of ``crsagent eval run``).

    A killed parent cannot shut its pool down, and its workers would play on, orphaned. On Linux the
    kernel sends SIGKILL at the parent's death (PR_SET_PDEATHSIG); everywhere a daemon thread also
    watches the parent's pid and exits the worker when it changes.
    """
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            pr_set_pdeathsig = 1
            libc.prctl(pr_set_pdeathsig, signal.SIGKILL, 0, 0, 0)
        except (OSError, AttributeError):  # no prctl (an unusual libc): the watcher below remains
            pass
    if os.getppid() != parent_pid:  # the parent died before this worker got here
        os._exit(1)

    def watch() -> None:
        while os.getppid() == parent_pid:
            time.sleep(_PARENT_POLL_S)
        os._exit(1)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def _start_worker(spec: EvalSpec, dataset: Dataset, settings: Settings, parent_pid: int) -> None:
    """Process initializer: build this worker's world once (a failure is reported by each task)."""
    global _WORLD, _START_ERROR
    die_with_parent(parent_pid)
    try:
        _WORLD = build_world(spec, dataset, settings)
    except Exception as error:  # noqa: BLE001 - re-raised in the parent by every task, with its message
        _START_ERROR = f"{type(error).__name__}: {error}"


def _play_in_worker(job: EpisodeTarget) -> Episode:
    if _WORLD is None:
        raise WorkerStartError(f"a worker could not build the agent or the simulator: {_START_ERROR}")
    return play(_WORLD, job)


def play_in_processes(
    spec: EvalSpec,
    dataset: Dataset,
    settings: Settings,
    jobs: Sequence[EpisodeTarget],
    on_done: OnDone,
    *,
    workers: int,
) -> None:
    """``workers`` processes, each with its own agent; at most two episodes queued per worker."""
    # fork hands the loaded dataset to the workers without pickling; elsewhere it is pickled.
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
    pending: set[Future[Episode]] = set()
    queue = iter(jobs)
    with ProcessPoolExecutor(
        workers, context, initializer=_start_worker, initargs=(spec, dataset, settings, os.getpid())
    ) as pool:
        try:
            # A bounded queue: a kill leaves few submitted-but-unfinished episodes, and an early
            # start error stops the run before thousands of tasks are queued.
            for job in queue:
                pending.add(pool.submit(_play_in_worker, job))
                if len(pending) >= 2 * workers:
                    break
            while pending:
                finished, pending = wait(pending, return_when=FIRST_COMPLETED)
                for future in finished:
                    on_done(future.result())
                    job = next(queue, None)
                    if job is not None:
                        pending.add(pool.submit(_play_in_worker, job))
        except BrokenProcessPool as error:
            raise CrsAgentError(
                f"a worker process died ({error}); the episodes finished so far are saved: re-run to resume"
            ) from None
        finally:
            for future in pending:
                future.cancel()


# --- concurrent dialogues on an event loop -------------------------------------------------------


async def _play_concurrently(
    world: EvalWorld, jobs: Sequence[EpisodeTarget], on_done: OnDone, concurrency: int
) -> None:
    loop = asyncio.get_running_loop()
    # Dialogues wait on the endpoint in threads (the agent's achat does too): give each its own.
    loop.set_default_executor(ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="eval-dialogue"))
    semaphore = asyncio.Semaphore(concurrency)

    async def one(job: EpisodeTarget) -> None:
        async with semaphore:
            episode = await asyncio.to_thread(play, world, job)
        on_done(episode)  # on the loop's thread: the log has one writer

    await asyncio.gather(*(one(job) for job in jobs))


def play_concurrently(
    world: EvalWorld, jobs: Sequence[EpisodeTarget], on_done: OnDone, *, concurrency: int
) -> None:
    """Up to ``concurrency`` dialogues at once against the configured endpoints."""
    asyncio.run(_play_concurrently(world, jobs, on_done, concurrency))


def play_episodes(
    spec: EvalSpec, dataset: Dataset, settings: Settings, jobs: Sequence[EpisodeTarget], on_done: OnDone
) -> None:
    """Dispatch on the simulator: processes for rule / template users, an event loop for LLM users."""
    if not jobs:
        return
    uses_llm = isinstance(spec.simulator, LLMSimulatorSpec) or spec.agent.llm is not None
    concurrency = min(spec.concurrency, len(jobs))
    if concurrency > 1 and not uses_llm:
        play_in_processes(spec, dataset, settings, jobs, on_done, workers=concurrency)
        return
    try:
        world = build_world(spec, dataset, settings)
    except CrsAgentError:
        raise
    except Exception as error:
        raise WorkerStartError(
            f"could not build the agent or the simulator: {type(error).__name__}: {error}"
        ) from error
    if concurrency > 1:
        play_concurrently(world, jobs, on_done, concurrency=concurrency)
    else:
        play_here(world, jobs, on_done)
