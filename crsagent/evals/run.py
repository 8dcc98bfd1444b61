"""``crsagent eval run``: play a spec's episodes into its run folder, resuming, then report.

    run = run_eval(load_spec(Path("evals/cpr-agent.toml")), out=Path("runs/eval/cpr-agent"))

A re-run with the same spec and folder plays only the episodes the log lacks (and those that
failed to run), then recomputes the metrics over all of them.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from crsagent.config import Settings
from crsagent.data.registry import load_dataset
from crsagent.errors import CrsAgentError
from crsagent.evals.execute import OnDone, play_episodes
from crsagent.evals.metrics import EvalMetrics, compute_metrics
from crsagent.evals.on_ray import RaySettings, play_on_ray
from crsagent.evals.report import describe_run, write_results
from crsagent.evals.spec import EvalSpec
from crsagent.evals.store import RunFolder, RunFolderError
from crsagent.evals.targets import EpisodeTarget, episode_targets
from crsagent.simulators.base import Episode

logger = logging.getLogger(__name__)

DEFAULT_RUNS = Path("runs") / "eval"


@dataclass
class EvalRun:
    """What a run produced."""

    folder: Path
    record: dict[str, Any]
    metrics: EvalMetrics
    episodes: list[Episode]
    played: int
    """Episodes played by this call (the rest came from the log)."""


def default_out(spec: EvalSpec) -> Path:
    """runs/eval/<name>: a fixed folder, so running the same spec again resumes it."""
    return DEFAULT_RUNS / spec.name


def _check_log(done: dict[int, Episode], jobs: list[EpisodeTarget], folder: RunFolder) -> None:
    """A logged episode must be about the target the job names now (else the data changed)."""
    for job in jobs:
        logged = done.get(job.index)
        if logged is not None and logged.target.item_id != job.target.item_id:
            raise RunFolderError(
                f"{folder.path}: episode {job.index} was logged for target {logged.target.item_id!r}, but the "
                f"run now gives {job.target.item_id!r} (the dataset changed?): use another --out"
            )


def _steady_rate(finish_times: list[float]) -> float | None:
    """Dialogues per second between the first and the last to finish: building the agents (seconds
    per worker) is left out, so the figure is the throughput a longer run sees."""
    if len(finish_times) < 2 or finish_times[-1] <= finish_times[0]:
        return None
    return round((len(finish_times) - 1) / (finish_times[-1] - finish_times[0]), 3)


@dataclass
class Played:
    """The episodes of a run's jobs, in job order, and how this call played them."""

    episodes: list[Episode]
    played: int
    seconds: float
    dialogues_per_second: float | None


Dispatch = Callable[[list[EpisodeTarget], OnDone], None]


def play_jobs(
    jobs: list[EpisodeTarget],
    dispatch: Dispatch,
    *,
    folder: RunFolder | None,
    progress: bool = False,
    desc: str = "",
) -> Played:
    """Play the jobs ``folder``'s log lacks (all of them without a folder) with ``dispatch``,
    logging each as it ends; the episodes that failed to run before are tried again."""
    done = folder.read_episodes() if folder is not None else {}
    if folder is not None:
        _check_log(done, jobs, folder)
    todo = [job for job in jobs if job.index not in done or done[job.index].error is not None]
    logger.info("%d episodes, %d logged, %d to play", len(jobs), len(jobs) - len(todo), len(todo))

    from tqdm import tqdm

    tqdm.monitor_interval = 0  # no monitor thread: worker processes are forked after the bar starts
    started = time.perf_counter()
    finish_times: list[float] = []
    with (
        folder.log() if folder is not None else contextlib.nullcontext() as log,
        tqdm(
            total=len(jobs), initial=len(jobs) - len(todo), unit="dialogue", desc=desc, disable=not progress
        ) as bar,
    ):

        def finished(episode: Episode) -> None:
            if log is not None:
                log.write(episode)
            done[episode.episode] = episode
            finish_times.append(time.perf_counter())
            bar.update(1)

        dispatch(todo, finished)
    episodes = [done[job.index] for job in jobs]
    return Played(episodes, len(todo), time.perf_counter() - started, _steady_rate(finish_times))


def run_eval(
    spec: EvalSpec,
    *,
    out: Path | None = None,
    settings: Settings | None = None,
    spec_text: str | None = None,
    progress: bool = False,
    command: str | None = None,
    ray: RaySettings | None = None,
) -> EvalRun:
    """Play what the run folder lacks (here, or as Ray tasks with ``ray``), then write
    metrics.json, report.md and the plots."""
    started = time.perf_counter()
    settings = settings or Settings()
    folder = RunFolder(out or default_out(spec))
    folder.prepare(spec, spec_text)
    dataset = load_dataset(spec.dataset, settings=settings)
    jobs = episode_targets(spec, dataset, settings)
    dispatch: Dispatch = partial(play_episodes, spec, dataset, settings)
    if ray is not None:
        dispatch = partial(play_on_ray, spec, settings, ray_settings=ray)
    played = play_jobs(jobs, dispatch, folder=folder, progress=progress, desc=spec.name)
    episodes = played.episodes
    failed = [e for e in episodes if e.error is not None]
    if len(failed) == len(episodes):
        raise CrsAgentError(
            f"none of the {len(episodes)} episodes ran to an end; the first failure: {failed[0].error}. "
            f"The log is kept in {folder.path}: fix the cause and re-run the same command to retry them"
        )
    metrics = compute_metrics(
        episodes, max_turns=spec.max_turns, sr_at=spec.sr_ks(), recall_at=spec.recall_at
    )
    run = describe_run(spec) | {
        "ray": ray.address if ray is not None else None,
        "episodes_played_now": played.played,
        "seconds": round(time.perf_counter() - started, 3),
        "seconds_playing": round(played.seconds, 3),
        "dialogues_per_second": played.dialogues_per_second,
        "command": command,
    }
    record = write_results(folder, metrics, run, episodes, spec.description)
    return EvalRun(folder.path, record, metrics, episodes, played.played)
