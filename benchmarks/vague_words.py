"""Vague words by meaning on the ReDial valid split: Recall@10/50 with them off and at a few thresholds.

The same points and agent as ``crsagent eval redial --split valid`` (canonical names), one agent per
setting; only the agent's ranks are measured (the baselines do not change). Tuning uses the valid
split only. Also counts the messages where vague words added values, and the turn latency.

    CRSAGENT_DATA_DIR=... python benchmarks/vague_words.py --every 4 --thresholds 0.5 0.6 0.7
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from crsagent.agent.config import AgentConfig
from crsagent.agent.facade import Agent
from crsagent.config import Settings
from crsagent.data.loaders.redial import RedialDataset
from crsagent.data.registry import load_dataset
from crsagent.evals.redial.ranking_metrics import rank_of, ranking_metrics
from crsagent.evals.redial.samples import PointCounts, RecommendationPoint, recommendation_points


def _measure(agent: Agent, points: list[RecommendationPoint], label: str) -> dict[str, object]:
    ranks: list[int | None] = []
    latencies: list[float] = []
    matched_turns = 0
    examples: list[str] = []
    every: list[str] = []
    for point in points:
        started = time.perf_counter()
        result = agent.respond(list(point.context))
        latencies.append((time.perf_counter() - started) * 1000)
        ranking = [item.id for item in result.ranking]
        ranks += [rank_of(target, ranking) for target in point.targets]
        understood = result.reply.trace.understood
        if understood is not None and understood.vague_words:
            matched_turns += 1
            every.extend(understood.vague_words)
            if len(examples) < 12:
                examples.append(f"{point.context[-1].content[:80]!r}: {'; '.join(understood.vague_words)}")
    metrics = ranking_metrics(ranks)
    return {
        "setting": label,
        "samples": len(ranks),
        "Recall@10": round(metrics["Recall@10"], 4),
        "Recall@50": round(metrics["Recall@50"], 4),
        "last_turns_with_vague_values": matched_turns,
        "latency_ms_p50": round(float(np.percentile(latencies, 50)), 1),
        "latency_ms_p99": round(float(np.percentile(latencies, 99)), 1),
        "examples": examples,
        "matches": every,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--every", type=int, default=1, help="every Nth point (default: all)")
    parser.add_argument("--limit", type=int, help="the first N points (after --every)")
    parser.add_argument("--thresholds", type=float, nargs="+", default=[0.5, 0.6, 0.7])
    parser.add_argument("--matches", help="append every match of each setting to this JSON-lines file")
    parser.add_argument("--no-off", action="store_true", help="skip the run with vague words off")
    args = parser.parse_args()
    settings = Settings()
    redial = load_dataset("redial", settings=settings)
    assert isinstance(redial, RedialDataset) and redial.to_movielens
    dataset = load_dataset("ml-latest-small", settings=settings)
    ids = set(dataset.catalog.ids)
    points = list(
        recommendation_points(redial.dialogues, redial.to_movielens, "canonical", ids, PointCounts())
    )
    points = points[:: args.every][: args.limit]
    settings_list = [] if args.no_off else [("off", AgentConfig(vague_words="off"))]
    settings_list += [
        (f"minilm {t}", AgentConfig(vague_words="minilm", vague_threshold=t)) for t in args.thresholds
    ]
    for label, config in settings_list:
        agent = Agent.from_dataset(dataset, llm="offline", config=config, settings=settings)
        started = time.perf_counter()
        row = _measure(agent, points, label)
        row["seconds"] = round(time.perf_counter() - started, 1)
        matches = row.pop("matches")
        print(json.dumps(row), flush=True)
        if args.matches:
            with Path(args.matches).open("a", encoding="utf-8") as out:
                out.write(json.dumps({"setting": label, "matches": matches}) + "\n")


if __name__ == "__main__":
    main()
