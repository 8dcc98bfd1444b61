"""The ReDial recommendation benchmark: at each human recommender's turn, where do the agent and
the baselines rank the movies that turn suggested?"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from tqdm import tqdm

from crsagent.agent.facade import Agent
from crsagent.evals.redial.ranking_metrics import rank_of, ranking_metrics
from crsagent.evals.redial.records import POINTS_FILE, PointRecord
from crsagent.evals.redial.samples import PointCounts, RecommendationPoint
from crsagent.evals.store import append_log, read_log

AGENT = "agent"


class Baseline(Protocol):
    name: str

    def rank(self, named: Sequence[str]) -> list[str]: ...


def evaluate_point(agent: Agent, baselines: Sequence[Baseline], point: RecommendationPoint) -> PointRecord:
    """The agent's and each baseline's rank of every target of ``point``."""
    started = time.perf_counter()
    result = agent.respond(list(point.context))
    latency = (time.perf_counter() - started) * 1000
    rankings = {AGENT: [item.id for item in result.ranking]}
    for baseline in baselines:
        rankings[baseline.name] = baseline.rank(point.named_before)
    return PointRecord(
        point_id=point.point_id,
        targets=list(point.targets),
        new=list(point.new),
        ranks={name: [rank_of(t, ranking) for t in point.targets] for name, ranking in rankings.items()},
        latency_ms=latency,
        decision=result.reply.trace.decision,
    )


def run_points(
    agent: Agent,
    baselines: Sequence[Baseline],
    points: Sequence[RecommendationPoint],
    folder: Path,
    *,
    progress: bool,
) -> list[PointRecord]:
    """Evaluates the points not yet in ``folder``'s log, appending each as it finishes."""
    path = folder / POINTS_FILE
    done = {record.point_id: record for record in read_log(path, PointRecord)}
    todo = [point for point in points if point.point_id not in done]
    with append_log(path) as log:
        for point in tqdm(todo, desc="redial points", disable=not progress, unit="point"):
            record = evaluate_point(agent, baselines, point)
            log.write(record)
            done[record.point_id] = record
    wanted = {point.point_id for point in points}
    return [record for point_id, record in done.items() if point_id in wanted]


def recommendation_metrics(records: Sequence[PointRecord], counts: PointCounts) -> dict[str, Any]:
    """Per system, the metrics over all targets and over new ones; the mapped share; latency."""
    metrics: dict[str, Any] = {}
    systems = sorted({name for record in records for name in record.ranks}, key=lambda n: (n != AGENT, n))
    for system in systems:
        ranks = [r for record in records for r in record.ranks.get(system, [])]
        new = [
            r
            for record in records
            for r, fresh in zip(record.ranks.get(system, []), record.new, strict=True)
            if fresh
        ]
        prefix = "" if system == AGENT else f"{system}."
        for key, value in {**ranking_metrics(ranks), **ranking_metrics(new, "_new")}.items():
            metrics[prefix + key] = value
    latencies = np.asarray([record.latency_ms for record in records]) if records else np.zeros(1)
    decisions = Counter(record.decision for record in records)
    metrics.update(
        {
            "points": len(records),
            "samples": sum(len(record.targets) for record in records),
            "samples_new": sum(sum(record.new) for record in records),
            "targets_total": counts.targets_total,
            "targets_unmapped": counts.targets_unmapped,
            "mapped_share": 1 - counts.targets_unmapped / counts.targets_total
            if counts.targets_total
            else 0.0,
            "points_without_user_message": counts.points_without_user_message,
            "recommend_share": decisions.get("recommend", 0) / len(records) if records else 0.0,
            "decisions": dict(decisions),
            "latency_ms_p50": float(np.percentile(latencies, 50)),
            "latency_ms_p99": float(np.percentile(latencies, 99)),
        }
    )
    return metrics
