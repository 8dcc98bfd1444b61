"""The one episode runner: in this process, in worker processes (CPU-bound users: the rule and
template users, the structured CPR turns), or as concurrent dialogues on an event loop (LLM users,
whose time is spent waiting for an endpoint).

A ``World`` plays one episode; it is built once per worker (an agent and its simulator factory) or
once in the parent and inherited by forked workers (the structured runs' fitted policy). Every
finished episode goes to ``on_done`` in the calling thread, which logs it at once: however the
episodes are played, a kill loses only those in flight.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import gc
import itertools
import multiprocessing
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, ThreadPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from functools import partial
from typing import Protocol

from crsagent.config import Settings
from crsagent.data.dataset import Dataset
from crsagent.errors import CrsAgentError
from crsagent.evals.spec import EvalSpec
from crsagent.evals.targets import EpisodeTarget
from crsagent.evals.world import build_world
from crsagent.simulators.base import Episode


class World(Protocol):
    """Plays one episode; a failure to play is the episode's ``error``, not an exception."""

    def play(self, job: EpisodeTarget) -> Episode: ...


OnDone = Callable[[Episode], None]


class WorkerStartError(CrsAgentError):
    """A worker could not build its agent or simulator: no episode can run, so the run stops."""


WorldFactory = Callable[[], World]


class Prebuilt:
    """A factory handing out a world built before the workers fork (a picklable callable)."""

    def __init__(self, world: World) -> None:
        self.world = world

    def __call__(self) -> World:
        return self.world


def play_here(world: World, jobs: Sequence[EpisodeTarget], on_done: OnDone) -> None:
    """One episode after another, in this process."""
    for job in jobs:
        on_done(world.play(job))


# --- worker processes --------------------------------------------------------------------------

_WORLD: World | None = None
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


def _start_worker(build: WorldFactory, parent_pid: int) -> None:
    """Process initializer: build this worker's world once (a failure is reported by each task)."""
    global _WORLD, _START_ERROR
    die_with_parent(parent_pid)
    # What the worker inherited (dataset, graph, models) lives as long as it does: out of the
    # collector's sight, so its passes scan only the episodes' own objects.
    gc.freeze()
    try:
        _WORLD = build()
    except Exception as error:  # noqa: BLE001 - re-raised in the parent by every task, with its message
        _START_ERROR = f"{type(error).__name__}: {error}"


def _play_in_worker(jobs: list[EpisodeTarget]) -> list[Episode]:
    if _WORLD is None:
        raise WorkerStartError(f"a worker could not build the agent or the simulator: {_START_ERROR}")
    return [_WORLD.play(job) for job in jobs]


def play_bounded(
    jobs: Sequence[EpisodeTarget],
    chunk: int,
    submit: Callable[[list[EpisodeTarget]], Future[list[Episode]]],
    on_done: OnDone,
    *,
    limit: int,
) -> None:
    """``jobs`` as tasks of ``chunk`` episodes (a process pool's, Ray's), at most ``limit`` in flight.

    A bounded queue: a kill leaves few submitted-but-unfinished episodes, and an early start error
    stops the run before thousands of tasks are queued."""
    chunks = (list(jobs[start : start + chunk]) for start in range(0, len(jobs), chunk))
    pending = {submit(part) for part in itertools.islice(chunks, limit)}
    try:
        while pending:
            finished, pending = wait(pending, return_when=FIRST_COMPLETED)
            for future in finished:
                for episode in future.result():
                    on_done(episode)
                pending.update(submit(part) for part in itertools.islice(chunks, 1))
    finally:
        for future in pending:
            future.cancel()


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """No cyclic garbage collection while results arrive: unpickling a run's ~100k acyclic episode
    records triggers collections that scan every object of the parent (dataset, graph, models) and
    cost several times the unpickling itself. Reference counting still frees what is dropped."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def play_in_processes(
    build: WorldFactory,
    jobs: Sequence[EpisodeTarget],
    on_done: OnDone,
    *,
    workers: int,
    chunk: int = 1,
) -> None:
    """``workers`` processes, each with its world; ``chunk`` episodes per task (many for
    millisecond episodes, one for agent dialogues), at most two tasks queued per worker."""
    if workers < 1 or chunk < 1:
        raise CrsAgentError(f"workers and chunk must be at least 1, got {workers} and {chunk}")
    # fork hands the loaded dataset (or a prebuilt world) to the workers without pickling;
    # elsewhere ``build`` is pickled.
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
    with (
        _collector_paused(),
        ProcessPoolExecutor(
            workers, context, initializer=_start_worker, initargs=(build, os.getpid())
        ) as pool,
    ):
        try:
            play_bounded(jobs, chunk, partial(pool.submit, _play_in_worker), on_done, limit=2 * workers)
        except BrokenProcessPool as error:
            raise CrsAgentError(
                f"a worker process died ({error}); the episodes finished so far are saved: re-run to resume"
            ) from None


# --- concurrent dialogues on an event loop -------------------------------------------------------


def play_concurrently(
    world: World, jobs: Sequence[EpisodeTarget], on_done: OnDone, *, concurrency: int
) -> None:
    """Up to ``concurrency`` dialogues at once against the configured endpoints."""

    async def play_all() -> None:
        # Dialogues wait on the endpoint in threads (the agent's achat does too): give each its own.
        asyncio.get_running_loop().set_default_executor(
            ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="eval-dialogue")
        )
        semaphore = asyncio.Semaphore(concurrency)

        async def one(job: EpisodeTarget) -> None:
            async with semaphore:
                episode = await asyncio.to_thread(world.play, job)
            on_done(episode)  # on the loop's thread: the log has one writer

        await asyncio.gather(*(one(job) for job in jobs))

    asyncio.run(play_all())


def uses_llm(spec: EvalSpec) -> bool:
    """True when the user or the agent talks to an LLM (such runs play concurrently in one process)."""
    return spec.simulator.llm is not None or spec.agent.llm is not None


def play_world(world: World, spec: EvalSpec, jobs: Sequence[EpisodeTarget], on_done: OnDone) -> None:
    """Play ``jobs`` on one built world: concurrently for an LLM run with concurrency, else in turn."""
    concurrency = min(spec.concurrency, len(jobs))
    if uses_llm(spec) and concurrency > 1:
        play_concurrently(world, jobs, on_done, concurrency=concurrency)
    else:
        play_here(world, jobs, on_done)


def play_episodes(
    spec: EvalSpec, dataset: Dataset, settings: Settings, jobs: Sequence[EpisodeTarget], on_done: OnDone
) -> None:
    """Dispatch on the simulator: processes for rule / template users, an event loop for LLM users."""
    if not jobs:
        return
    concurrency = min(spec.concurrency, len(jobs))
    if concurrency > 1 and not uses_llm(spec):
        play_in_processes(partial(build_world, spec, dataset, settings), jobs, on_done, workers=concurrency)
        return
    try:
        world = build_world(spec, dataset, settings)
    except CrsAgentError:
        raise
    except Exception as error:
        raise WorkerStartError(
            f"could not build the agent or the simulator: {type(error).__name__}: {error}"
        ) from error
    play_world(world, spec, jobs, on_done)
