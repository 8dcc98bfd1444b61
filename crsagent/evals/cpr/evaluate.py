"""A whole CPR run: load, fit on train, build the policy, play the episodes, write the run folder."""

from __future__ import annotations

import hashlib
import json
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import BaseModel, ValidationError

from crsagent.config import Settings
from crsagent.data.dataset import Dataset
from crsagent.data.registry import load_dataset
from crsagent.errors import CrsAgentError
from crsagent.evals.cpr.config import CprRunConfig
from crsagent.evals.cpr.metrics import compute_metrics
from crsagent.evals.cpr.protocol import EpisodeResult
from crsagent.evals.cpr.report import metrics_record, write_run
from crsagent.evals.cpr.runner import CprTask, default_workers, run_episodes, select_episodes
from crsagent.knowledge_graph.estimator import PreferenceEstimator
from crsagent.knowledge_graph.estimator_cache import estimator_key, load_or_fit
from crsagent.knowledge_graph.graph import KnowledgeGraph
from crsagent.knowledge_graph.policies import Policy, make_policy

logger = logging.getLogger(__name__)

# Bump when the learned policy's features or training change, so cached weights are not reused.
LEARNED_POLICY_VERSION = "1"


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
    episodes: list[EpisodeResult]
    folder: Path | None


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
    """The configured policy over the prepared estimator (the learned one is trained on valid here)."""
    if config.policy == "learned":
        return _learned_policy(prepared, config, settings)
    return make_policy(config.policy, prepared.estimator, config.policy_settings)


def _learned_policy(prepared: PreparedCpr, config: CprRunConfig, settings: Settings | None) -> Policy:
    """Train the switch on valid, or load weights trained before on exactly these inputs."""
    from crsagent.evals.cpr.learn import train_learned_policy
    from crsagent.knowledge_graph.policies.learned import LearnedPolicy, LearnedPolicyConfig

    try:
        learned_config = LearnedPolicyConfig.model_validate(config.policy_settings)
    except ValidationError as error:
        raise CrsAgentError(f"invalid settings for policy 'learned': {error}") from error
    data = prepared.dataset
    key_parts = [
        estimator_key(prepared.kg, data.split("train"), data.split("valid"), config.estimator),
        learned_config.model_dump_json(),
        config.protocol.model_dump_json(),
        config.negative_answers,
        LEARNED_POLICY_VERSION,
    ]
    key = hashlib.sha256("|".join(key_parts).encode()).hexdigest()[:32]
    path = (settings or Settings()).cache_dir / "policies" / f"{data.name}-learned-{key}.json"
    if config.cache_estimator and path.is_file():
        weights = json.loads(path.read_text(encoding="utf-8"))["weights"]
        return LearnedPolicy(prepared.estimator, np.asarray(weights, dtype=np.float64))
    policy = train_learned_policy(
        prepared.estimator,
        data.split("valid"),
        learned_config,
        protocol=config.protocol,
        negative_answers=config.negative_answers,
        workers=config.workers or default_workers(),
    )
    if config.cache_estimator:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({"weights": policy.weights.tolist()}), encoding="utf-8")
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
    """Evaluate one policy in one setting on one split; write the run folder when ``out`` is given."""
    started = time.perf_counter()
    prepared = prepared or prepare(config, settings=settings)
    policy_started = time.perf_counter()
    policy = build_policy(prepared, config, settings)
    policy_seconds = time.perf_counter() - policy_started
    dataset = prepared.dataset
    episodes = select_episodes(dataset.split(config.split).pairs(), config.limit, config.seed)
    workers = config.workers or default_workers()
    task = CprTask(
        prepared.kg, policy, dataset.user_ids, config.protocol, config.negative_answers, config.seed
    )
    play_started = time.perf_counter()
    if progress:
        from tqdm import tqdm

        with tqdm(
            total=len(episodes), unit="episode", desc=f"{config.policy} ({config.negative_answers})"
        ) as bar:

            def advance(finished: int) -> None:
                bar.update(finished)

            results = run_episodes(task, episodes, workers=workers, progress=advance)
    else:
        results = run_episodes(task, episodes, workers=workers)
    finished = time.perf_counter()
    metrics = compute_metrics(results, config.protocol.max_turns)
    record = metrics_record(
        metrics,
        {
            "policy": config.policy,
            "negative_answers": config.negative_answers,
            "dataset": dataset.name,
            "split": config.split,
            # Wall time of this call: loading and fitting included unless they were done before.
            "seconds": round(finished - started, 3),
            "seconds_by_stage": {
                **{k: round(v, 3) for k, v in prepared.seconds.items()},
                "policy": round(policy_seconds, 3),
                "episodes": round(finished - play_started, 3),
            },
            "seed": config.seed,
            "workers": workers,
            "limit": config.limit,
            "policy_settings": _policy_settings(policy),
            "estimator_weights": prepared.estimator.weights.as_dict(),
            "command": command,
        },
    )
    folder = write_run(out, results, record) if out is not None else None
    return CprRun(record, results, folder)


def _policy_settings(policy: Policy) -> dict[str, Any]:
    config = getattr(policy, "config", None)
    if isinstance(config, BaseModel):
        return config.model_dump(mode="json")
    weights = getattr(policy, "weights", None)
    return {"weights": np.round(weights, 4).tolist()} if isinstance(weights, np.ndarray) else {}
