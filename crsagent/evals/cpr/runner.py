"""Run CPR episodes, in parallel worker processes, reproducibly.

Episode ``i`` draws every random number (the opening, a stochastic policy's coin) from a generator
seeded with ``(seed, i)``, so results do not depend on how many workers share the work or in which
order they finish. Workers are forked after the estimator and policy are built, so they share those
read-only arrays with the parent instead of building or pickling them.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from crsagent.errors import CrsAgentError
from crsagent.evals.cpr.protocol import CprProtocol, EpisodeResult, RuleSimulator, run_episode
from crsagent.knowledge_graph.graph import KnowledgeGraph
from crsagent.knowledge_graph.policies.base import Policy
from crsagent.knowledge_graph.state import NegativeAnswers

# Episodes handed to a worker at once: large enough to amortise the hand-off, small enough for a
# smooth progress bar and balanced workers.
CHUNK = 64


@dataclass(frozen=True)
class Episode:
    """One (user, target) pair of a split, by position."""

    index: int
    user: int
    target: int


@dataclass
class CprTask:
    """Everything the episodes need; built once, shared by forked workers."""

    kg: KnowledgeGraph
    policy: Policy
    user_ids: Sequence[str]
    protocol: CprProtocol
    negative_answers: NegativeAnswers
    seed: int


def episode_rng(seed: int, index: int) -> np.random.Generator:
    """The generator of episode ``index`` under run seed ``seed``."""
    return np.random.default_rng([seed, index])


def select_episodes(pairs: Sequence[tuple[int, int]], limit: int | None, seed: int) -> list[Episode]:
    """All pairs, or a seeded random ``limit`` of them (kept in split order)."""
    episodes = [Episode(i, user, target) for i, (user, target) in enumerate(pairs)]
    if limit is None or limit >= len(episodes):
        return episodes
    if limit < 1:
        raise CrsAgentError(f"--limit must be at least 1, got {limit}")
    chosen = np.sort(np.random.default_rng(seed).permutation(len(episodes))[:limit])
    return [episodes[i] for i in chosen.tolist()]


def play(task: CprTask, episode: Episode) -> EpisodeResult:
    """One episode of ``task``."""
    return run_episode(
        task.kg,
        task.policy,
        RuleSimulator(task.kg, episode.target),
        index=episode.index,
        user=episode.user,
        user_id=task.user_ids[episode.user],
        target_id=task.kg.catalog.at(episode.target).id,
        protocol=task.protocol,
        negative_answers=task.negative_answers,
        rng=episode_rng(task.seed, episode.index),
    )


_WORKER_TASK: CprTask | None = None


def _set_worker_task(task: CprTask) -> None:
    global _WORKER_TASK
    _WORKER_TASK = task


def _play_chunk(chunk: list[Episode]) -> list[EpisodeResult]:
    if _WORKER_TASK is None:
        raise CrsAgentError("worker started without a task")
    return [play(_WORKER_TASK, episode) for episode in chunk]


def _chunks(episodes: Sequence[Episode], size: int) -> Iterator[list[Episode]]:
    for start in range(0, len(episodes), size):
        yield list(episodes[start : start + size])


def default_workers() -> int:
    """All cores this process may use."""
    try:
        return max(len(os.sched_getaffinity(0)), 1)
    except AttributeError:  # not on Linux
        return max(os.cpu_count() or 1, 1)


def run_episodes(
    task: CprTask,
    episodes: Sequence[Episode],
    *,
    workers: int,
    progress: Callable[[int], None] | None = None,
    chunk_size: int = CHUNK,
) -> list[EpisodeResult]:
    """Every episode's result, in episode order; ``progress(n)`` is called as n more finish."""
    if workers < 1:
        raise CrsAgentError(f"--workers must be at least 1, got {workers}")
    results: list[EpisodeResult] = []
    if workers == 1 or len(episodes) <= chunk_size:
        for chunk in _chunks(episodes, chunk_size):
            results.extend(play(task, episode) for episode in chunk)
            if progress:
                progress(len(chunk))
        return results
    methods = multiprocessing.get_all_start_methods()
    # fork shares the built task with the workers; elsewhere the task is pickled to each worker.
    context = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
    with context.Pool(workers, initializer=_set_worker_task, initargs=(task,)) as pool:
        for chunk_results in pool.imap(_play_chunk, _chunks(episodes, chunk_size)):
            results.extend(chunk_results)
            if progress:
                progress(len(chunk_results))
    return results
