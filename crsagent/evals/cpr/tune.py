"""Choose policy settings on the valid split: ``python -m crsagent.evals.cpr.tune``.

Every combination of the grid runs on the same seeded valid episodes; the best maximises
SR@15 - 0.01 * AT (one turn saved is worth one point of success rate). The test split is never read.
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
from collections.abc import Sequence
from typing import Any

from crsagent.evals.cpr.config import CprRunConfig
from crsagent.evals.cpr.evaluate import prepare, run_cpr
from crsagent.registry import DEFAULT_AGENT_POLICY, POLICIES


def objective(record: dict[str, Any]) -> float:
    """The selection criterion: success first, then speed."""
    return float(record["SR@15"]) - 0.01 * float(record["AT"])


def tune(base: CprRunConfig, grid: dict[str, Sequence[Any]]) -> list[dict[str, Any]]:
    """Run every combination of ``grid`` (policy setting -> values) on ``base``; best first."""
    if base.split != "valid":
        raise ValueError("settings are chosen on the valid split only")
    prepared = prepare(base)
    names = sorted(grid)
    rows = []
    for values in itertools.product(*(grid[name] for name in names)):
        settings = dict(zip(names, values, strict=True))
        config = base.model_copy(update={"policy_settings": {**base.policy_settings, **settings}})
        record = run_cpr(config, prepared=prepared).record
        row = {"settings": settings, **{k: record[k] for k in ("SR@5", "SR@10", "SR@15", "AT", "hDCG")}}
        row["objective"] = objective(record)
        rows.append(row)
        print(json.dumps(row), file=sys.stderr, flush=True)
    return sorted(rows, key=lambda r: -r["objective"])


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--dataset", default="crs-lastfm")
    # The agent's default policy is the one with settings worth tuning (a trained one is trained instead).
    parser.add_argument("--policy", choices=POLICIES.names(), default=DEFAULT_AGENT_POLICY)
    parser.add_argument("--negative-answers", choices=("prune", "soft"), default="prune")
    parser.add_argument("--limit", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--workers", type=int)
    parser.add_argument("--grid", required=True, help='JSON: {"top_mass": [0.15, 0.2], "endgame": [1, 2]}')
    args = parser.parse_args(argv)
    base = CprRunConfig(
        dataset=args.dataset,
        split="valid",
        policy=args.policy,
        negative_answers=args.negative_answers,
        limit=args.limit,
        seed=args.seed,
        workers=args.workers,
    )
    rows = tune(base, json.loads(args.grid))
    for row in rows:
        print(json.dumps(row))
    return 0


if __name__ == "__main__":
    sys.exit(main())
