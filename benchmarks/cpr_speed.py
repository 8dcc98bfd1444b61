"""Speed and memory of the CPR benchmark: decision latency, where the time goes, whole-run wall time.

1. Decision latency: one process plays ``--episodes`` episodes of ``--split``; every ``decide``
   call is timed (p50 / p90 / p99 / max).
2. Where the time goes: the same episodes under cProfile, cumulative time of the main steps.
3. Whole evaluation: the full split in a fresh process with ``--workers`` workers, once with an
   empty cache (loading, fitting the estimator, episodes) and once with the fitted estimator
   cached; wall time per stage and peak resident memory of the parent and of the largest worker.

    CRSAGENT_DATA_DIR=../shared/datasets .venv/bin/python benchmarks/cpr_speed.py --out docs/results/cpr-speed.json

Runs on the valid split by default (same size as test; the test split is kept for the reported rows).
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import platform
import pstats
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from crsagent.evals.cpr.config import CprRunConfig
from crsagent.evals.cpr.evaluate import build_policy, prepare
from crsagent.evals.execute import play_here
from crsagent.evals.structured import CprProtocol, StructuredWorld
from crsagent.evals.targets import EpisodeTarget, seeded_subset
from crsagent.knowledge_graph.policies.base import Policy
from crsagent.knowledge_graph.state import Action, DialogueState
from crsagent.registry import DEFAULT_AGENT_POLICY, POLICIES
from crsagent.simulators.base import Episode, Target

# Main steps of an episode: (label, file suffix, function name) of the profiled entry point.
STEPS = (
    ("per-user prior (item-kNN scores, features)", "estimator.py", "prior_scores"),
    ("conversation block (PMI of answered values)", "estimator.py", "conversation_scores"),
    ("belief: softmax over candidates", "belief.py", "probabilities"),
    ("belief: top list (partial sort)", "belief.py", "top_positions"),
    ("value marginals (sparse products)", "belief.py", "value_probability"),
    ("askable values (sparse products)", "belief.py", "askable"),
    ("question choice (entropies)", "base.py", "most_informative"),
    ("state updates (answers, rejected lists)", "state.py", "answer"),
    ("state updates (answers, rejected lists)", "state.py", "reject_items"),
    ("protocol checks", "state.py", "check"),
    ("episode log records (pydantic)", "structured.py", "_turn"),
    ("whole episode", "structured.py", "play_structured"),
)

WHOLE_RUN = """
import json, resource, sys, time
start = time.perf_counter()
from crsagent.config import Settings
from crsagent.evals.cpr.config import CprRunConfig
from crsagent.evals.cpr.evaluate import run_cpr
config = CprRunConfig(dataset="crs-lastfm", split=sys.argv[1], policy=sys.argv[2],
                      negative_answers=sys.argv[3], workers=int(sys.argv[4]))
run = run_cpr(config, settings=Settings(cache_dir=sys.argv[5]))
wall = time.perf_counter() - start
parent = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
workers = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
print(json.dumps({"wall_seconds": wall, "stages": run.record["seconds_by_stage"],
                  "parent_peak_rss_mb": parent, "largest_worker_peak_rss_mb": workers,
                  "SR@15": run.record["SR@15"], "AT": run.record["AT"], "n_episodes": run.record["n_episodes"]}))
"""


class TimedPolicy:
    """Delegates to a policy and records each decision's latency."""

    def __init__(self, policy: Policy) -> None:
        self.policy = policy
        self.name = policy.name
        self.latencies_ns: list[int] = []

    def decide(self, state: DialogueState) -> Action:
        started = time.perf_counter_ns()
        action = self.policy.decide(state)
        self.latencies_ns.append(time.perf_counter_ns() - started)
        return action

    def reflect(self, state: DialogueState, rejected: tuple[int, ...]) -> None:
        self.policy.reflect(state, rejected)


def latency_and_profile(args: argparse.Namespace) -> dict[str, Any]:
    config = CprRunConfig(
        dataset="crs-lastfm", split=args.split, policy=args.policy, negative_answers=args.negative_answers
    )
    prepared = prepare(config)
    policy = build_policy(prepared, config)
    dataset = prepared.dataset
    pairs = dataset.split(args.split).pairs()
    episodes = [
        EpisodeTarget(i, Target(item_id=dataset.catalog.at(pairs[i][1]).id, user=pairs[i][0]))
        for i in seeded_subset(len(pairs), args.episodes, seed=0)
    ]
    finished: list[Episode] = []
    timed = TimedPolicy(policy)
    world = StructuredWorld(prepared.kg, timed, CprProtocol(), args.negative_answers, seed=0)  # type: ignore[arg-type]
    started = time.perf_counter()
    play_here(world, episodes, finished.append)
    elapsed = time.perf_counter() - started
    latencies = np.array(timed.latencies_ns) / 1e6

    profiler = cProfile.Profile()
    plain = StructuredWorld(prepared.kg, policy, CprProtocol(), args.negative_answers, seed=0)
    profiler.enable()
    play_here(plain, episodes, finished.append)
    profiler.disable()
    stats = pstats.Stats(profiler).stats  # type: ignore[attr-defined]
    cumulative: dict[str, float] = {}
    for (filename, _, function), (_, _, _, total, _) in stats.items():
        for label, suffix, name in STEPS:
            if function == name and filename.endswith(suffix):
                cumulative[label] = cumulative.get(label, 0.0) + total
    episode_total = cumulative.pop("whole episode", 0.0)
    return {
        "episodes": len(episodes),
        "decisions": int(latencies.size),
        "decisions_per_episode": latencies.size / len(episodes),
        "ms_per_episode": 1000 * elapsed / len(episodes),
        "decision_ms": {
            "p50": float(np.percentile(latencies, 50)),
            "p90": float(np.percentile(latencies, 90)),
            "p99": float(np.percentile(latencies, 99)),
            "max": float(latencies.max()),
            "mean": float(latencies.mean()),
        },
        "profile_episode_seconds": episode_total,
        "profile_share": {label: round(seconds / episode_total, 3) for label, seconds in cumulative.items()},
    }


def whole_run(args: argparse.Namespace) -> dict[str, Any]:
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as cache:
        for label in ("empty cache", "estimator cached"):
            command = [sys.executable, "-c", WHOLE_RUN, args.split, args.policy, args.negative_answers]
            completed = subprocess.run(
                [*command, str(args.workers), cache],
                capture_output=True,
                text=True,
                check=True,
                env=os.environ,
            )
            results[label] = json.loads(completed.stdout.strip().splitlines()[-1])
    return results


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--split", default="valid", choices=("valid", "test"))
    parser.add_argument("--policy", default=DEFAULT_AGENT_POLICY, choices=POLICIES.names())
    parser.add_argument("--negative-answers", default="prune", choices=("prune", "soft"))
    parser.add_argument("--episodes", type=int, default=2000, help="episodes for latency and profile")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="workers of the whole run")
    parser.add_argument("--skip-whole-run", action="store_true")
    parser.add_argument("--out", type=Path, help="write the results as JSON here too")
    args = parser.parse_args()
    load = os.getloadavg()
    report: dict[str, Any] = {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "load_average_at_start": [round(x, 2) for x in load],
        "policy": args.policy,
        "negative_answers": args.negative_answers,
        "split": args.split,
        "latency": latency_and_profile(args),
    }
    if not args.skip_whole_run:
        report["whole_run"] = whole_run(args)
    report["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    text = json.dumps(report, indent=2)
    print(text)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
