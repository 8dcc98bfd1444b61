"""A whole CPR run: load, fit on train, build the policy, then the evaluation core plays the
structured episodes (rule user, policy turns), resumably when given a run folder, and writes it."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import BaseModel, ValidationError

from crsagent.config import Settings
from crsagent.data.dataset import Dataset
from crsagent.data.registry import load_dataset
from crsagent.errors import CrsAgentError
from crsagent.evals.cpr.config import RESUMABLE_CPR_CHANGES, CprRunConfig
from crsagent.evals.execute import Prebuilt, play_here, play_in_processes
from crsagent.evals.metrics import compute_metrics
from crsagent.evals.report import write_results
from crsagent.evals.run import play_jobs
from crsagent.evals.store import RunFolder
from crsagent.evals.structured import StructuredWorld
from crsagent.evals.targets import EpisodeTarget, episode_jobs, split_targets
from crsagent.knowledge_graph.estimator import PreferenceEstimator
from crsagent.knowledge_graph.estimator_cache import data_digest, load_or_fit
from crsagent.knowledge_graph.graph import KnowledgeGraph
from crsagent.knowledge_graph.policies import Policy, make_policy
from crsagent.knowledge_graph.policies.learned import LearnedPolicy, LearnedPolicyConfig
from crsagent.knowledge_graph.policies.learned_store import (
    MissingSwitchError,
    StoredSwitchError,
    TrainingProtocol,
    load_switch,
    new_switch,
    save_switch,
)
from crsagent.knowledge_graph.row_blocks import usable_cpus
from crsagent.registry import POLICIES, TRAINED_POLICY
from crsagent.simulators.base import Episode

logger = logging.getLogger(__name__)


@dataclass
class PreparedCpr:
    """The fitted pieces of a run, reusable across policies and settings."""

    dataset: Dataset
    kg: KnowledgeGraph
    estimator: PreferenceEstimator
    seconds: dict[str, float] = field(default_factory=dict)


@dataclass
class CprRun:
    """What a run produced."""

    record: dict[str, Any]
    episodes: list[Episode]
    folder: Path | None


def default_workers() -> int:
    """All cores this process may use."""
    return usable_cpus()


def prepare(
    config: CprRunConfig, *, dataset: Dataset | None = None, settings: Settings | None = None
) -> PreparedCpr:
    """Load the dataset (unless given), build the graph, fit the estimator (train; weights on valid)."""
    started = time.perf_counter()
    data = dataset if dataset is not None else load_dataset(config.dataset, settings=settings)
    loaded = time.perf_counter()
    kg = KnowledgeGraph.from_dataset(data)
    cache_dir = (settings or Settings()).cache_dir if config.cache_estimator else None
    estimator = load_or_fit(kg, data.split("train"), data.split("valid"), config.estimator, cache_dir)
    fitted = time.perf_counter()
    return PreparedCpr(data, kg, estimator, {"load": loaded - started, "fit": fitted - loaded})


def build_policy(prepared: PreparedCpr, config: CprRunConfig, settings: Settings | None = None) -> Policy:
    """The configured policy over the prepared estimator (a trained one is trained on valid here)."""
    if TRAINED_POLICY in POLICIES.get(config.policy).tags:
        return _trained_policy(prepared, config, settings)
    return make_policy(config.policy, prepared.estimator, config.policy_settings)


def _trained_policy(prepared: PreparedCpr, config: CprRunConfig, settings: Settings | None) -> Policy:
    """Train the switch on valid, or load the one stored for exactly these inputs; the result is
    stored (``learned_store``), where the agent finds it."""
    from crsagent.evals.cpr.learn import train_learned_policy

    if POLICIES.get(config.policy).factory() is not LearnedPolicy:
        raise CrsAgentError(
            f"no trainer for policy {config.policy!r}: only {LearnedPolicy.name!r} is trained here"
        )
    try:
        learned_config = LearnedPolicyConfig.model_validate(config.policy_settings)
    except ValidationError as error:
        raise CrsAgentError(f"invalid settings for policy {config.policy!r}: {error}") from error
    data = prepared.dataset
    train, valid = data.split("train"), data.split("valid")
    protocol = TrainingProtocol(
        max_turns=config.protocol.max_turns,
        list_size=config.protocol.list_size,
        negative_answers=config.negative_answers,
    )
    fingerprint = data_digest(prepared.kg, train, valid)
    cache_dir = (settings or Settings()).cache_dir if config.cache_estimator else None
    if cache_dir is not None:
        try:  # only a switch trained on exactly these inputs and settings; else train (replacing it)
            stored = load_switch(
                cache_dir,
                dataset=data.name,
                fingerprint=fingerprint,
                estimator=config.estimator,
                negative_answers=config.negative_answers,
                protocol=protocol,
                training=learned_config,
            )
        except MissingSwitchError:
            pass
        except StoredSwitchError as error:
            logger.warning("%s\n(training it again)", error)
        else:
            return make_policy(config.policy, prepared.estimator, trained=stored)
    policy = train_learned_policy(
        prepared.estimator,
        valid,
        learned_config,
        protocol=config.protocol,
        negative_answers=config.negative_answers,
        workers=config.workers or default_workers(),
    )
    if cache_dir is not None:
        switch = new_switch(
            policy.weights.tolist(),
            dataset=data.name,
            fingerprint=fingerprint,
            estimator=config.estimator,
            protocol=protocol,
            training=learned_config,
        )
        logger.info("trained switch stored in %s", save_switch(cache_dir, switch))
    return policy


def run_cpr(
    config: CprRunConfig,
    *,
    prepared: PreparedCpr | None = None,
    settings: Settings | None = None,
    out: Path | None = None,
    progress: bool = False,
    command: str | None = None,
) -> CprRun:
    """Evaluate one policy in one setting on one split; with ``out``, log every episode there as it
    ends (a re-run of the same config resumes) and write metrics.json, report.md and the plots."""
    started = time.perf_counter()
    folder = RunFolder(out) if out is not None else None
    if folder is not None:
        folder.prepare(config, None, RESUMABLE_CPR_CHANGES)
    prepared = prepared or prepare(config, settings=settings)
    policy_started = time.perf_counter()
    policy = build_policy(prepared, config, settings)
    policy_seconds = time.perf_counter() - policy_started
    dataset = prepared.dataset
    # The target's user is the dataset's user index: the policy's collaborative prior reads it.
    jobs = episode_jobs(split_targets(dataset, config.split), config.limit, config.seed)
    workers = config.workers or default_workers()
    world = StructuredWorld(prepared.kg, policy, config.protocol, config.negative_answers, config.seed)

    def dispatch(todo: list[EpisodeTarget], on_done: Callable[[Episode], None]) -> None:
        if workers == 1 or len(todo) <= config.chunk:
            play_here(world, todo, on_done)
        else:
            play_in_processes(Prebuilt(world), todo, on_done, workers=workers, chunk=config.chunk)

    desc = f"{config.policy} ({config.negative_answers})"
    played = play_jobs(jobs, dispatch, folder=folder, progress=progress, desc=desc)
    metrics = compute_metrics(
        played.episodes, max_turns=config.protocol.max_turns, sr_at=(5, 10, 15), recall_at=()
    )
    name = f"cpr-{dataset.name}-{config.split}-{config.policy}-{config.negative_answers}"
    run = {
        "name": name,
        "policy": config.policy,
        "negative_answers": config.negative_answers,
        "dataset": dataset.name,
        "split": config.split,
        "targets": "split",
        "simulator": "rule",
        "max_turns": config.protocol.max_turns,
        "list_size": config.protocol.list_size,
        # Wall time of this call: loading and fitting included unless they were done before.
        "seconds": round(time.perf_counter() - started, 3),
        "seconds_by_stage": {
            **{k: round(v, 3) for k, v in prepared.seconds.items()},
            "policy": round(policy_seconds, 3),
            "episodes": round(played.seconds, 3),
        },
        "episodes_played_now": played.played,
        "dialogues_per_second": played.dialogues_per_second,
        "seed": config.seed,
        "workers": workers,
        "limit": config.limit,
        "policy_settings": _policy_settings(policy),
        "estimator_weights": prepared.estimator.weights.as_dict(),
        "command": command,
    }
    if folder is None:
        record = {**metrics.record(), **run}
    else:
        record = write_results(folder, metrics, run, played.episodes)
    return CprRun(record, played.episodes, out)


def _policy_settings(policy: Policy) -> dict[str, Any]:
    config = getattr(policy, "config", None)
    if isinstance(config, BaseModel):
        return config.model_dump(mode="json")
    weights = getattr(policy, "weights", None)
    return {"weights": np.round(weights, 4).tolist()} if isinstance(weights, np.ndarray) else {}
