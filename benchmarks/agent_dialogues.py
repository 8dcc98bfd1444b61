"""The agent against simulated users, offline: the NLU's cost and the per-turn latency.

    CRSAGENT_DATA_DIR=../shared/datasets .venv/bin/python benchmarks/agent_dialogues.py \
        --dataset crs-lastfm --episodes 500 [--policy learned]

The same targets (a seeded sample of the test split) are played twice through the public
``Agent.chat`` API, with the CPR protocol's settings (yes / no questions about one value, lists of
10, 15 turns, no question limit): once by the rule user speaking structured turns (the NLU is
skipped) and once by the template user, whose answers are natural language that the offline NLU
must read. The difference in SR@15 / AT is what understanding text costs. Latency is the wall time
of ``Agent.chat`` per agent turn (template run), p50 / p99.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

import numpy as np

from crsagent.agent import Agent, AgentConfig
from crsagent.config import Settings
from crsagent.data.registry import load_dataset
from crsagent.registry import AGENT_POLICY, DEFAULT_AGENT_POLICY, POLICIES
from crsagent.simulators import RuleUser, Target, TemplateUser, run_dialogue
from crsagent.simulators.base import Episode

PROTOCOL = AgentConfig(list_size=10, offer_values=1, max_turns=15, max_questions_in_a_row=None)


def targets(dataset_name: str, episodes: int, seed: int, settings: Settings) -> list[Target]:
    dataset = load_dataset(dataset_name, settings=settings)
    test = dataset.splits["test"]
    rng = np.random.default_rng(seed)
    rows = rng.choice(len(test), size=min(episodes, len(test)), replace=False)
    catalog = dataset.catalog
    return [Target(item_id=catalog.at(int(test.items[r])).id, user=int(test.users[r])) for r in rows]


def summarise(episodes: list[Episode], max_turns: int) -> dict[str, float]:
    turns = [e.success_turn if e.success and e.success_turn is not None else max_turns for e in episodes]
    latencies = [t.latency_ms for e in episodes for t in e.turns]
    return {
        "episodes": len(episodes),
        "errors": sum(e.error is not None for e in episodes),
        "sr@15": float(np.mean([e.success for e in episodes])),
        "at": float(np.mean(turns)),
        "turn_ms_p50": statistics.median(latencies),
        "turn_ms_p99": float(np.percentile(latencies, 99)),
        "agent_turns": len(latencies),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--dataset", default="crs-lastfm")
    parser.add_argument("--episodes", type=int, default=500)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--policy",
        choices=POLICIES.names(AGENT_POLICY),
        default=DEFAULT_AGENT_POLICY,
        help="the agent's ask / recommend policy (a trained one needs its stored weights)",
    )
    args = parser.parse_args()
    settings = Settings()
    started = time.perf_counter()
    config = AgentConfig.model_validate({**PROTOCOL.model_dump(), "policy": args.policy})
    agent = Agent.from_dataset(args.dataset, llm="offline", settings=settings, config=config)
    print(f"agent built in {time.perf_counter() - started:.1f} s")
    chosen = targets(args.dataset, args.episodes, args.seed, settings)
    results = {}
    for name, simulator in (
        ("rule (structured)", RuleUser(agent.kg, seed=args.seed)),
        ("template (text)", TemplateUser(agent.kg, seed=args.seed)),
    ):
        started = time.perf_counter()
        played = [run_dialogue(agent, simulator, t, episode=i, max_turns=15) for i, t in enumerate(chosen)]
        summary = summarise(played, 15) | {"wall_s": time.perf_counter() - started}
        results[name] = summary
        print(name, json.dumps(summary))
        failed = [e.error for e in played if e.error]
        if failed:
            print("  first error:", failed[0])
    record = {"dataset": args.dataset, "policy": args.policy, "seed": args.seed, "results": results}
    print(json.dumps(record, indent=1))


if __name__ == "__main__":
    main()
