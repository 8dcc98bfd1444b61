"""``crsagent eval redial``: the ReDial benchmark on real dialogues (recommendation recall at the
human recommender's turns, and with --understanding the accuracy of reading seeker messages)."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from crsagent.commands.common import positive_int, settings_from_args, with_data_options


def _eval_redial(args: argparse.Namespace) -> int:
    from crsagent.evals.redial.report import recommendation_table
    from crsagent.evals.redial.run import RedialRunConfig, run_redial

    config = RedialRunConfig(
        split=args.split,
        dataset=args.dataset,
        mentions=args.mentions,
        limit=args.limit,
        understanding=args.understanding,
        llm=args.llm,
    )
    split_name = Path(args.split).stem if args.split not in ("valid", "test") else args.split
    stamp = time.strftime("%Y%m%d-%H%M%S")
    out = args.out or Path("runs") / "redial" / f"{split_name}-{args.mentions}-{stamp}"
    started = time.perf_counter()
    run = run_redial(config, out=out, settings=settings_from_args(args), progress=not args.quiet)
    print(recommendation_table(run.metrics), end="")
    for key in ("mapped_share", "recommend_share", "latency_ms_p50", "latency_ms_p99"):
        print(f"{key:24} {run.metrics[key]:.3f}")
    for key, value in run.metrics.items():
        if key.startswith(("movie_", "attribute")):
            print(f"{key:32} {value:.3f}" if isinstance(value, float) else f"{key:32} {value}")
    print(f"run folder: {run.folder}  ({time.perf_counter() - started:.1f} s in all)")
    return 0


def register_redial(actions: argparse._SubParsersAction) -> None:  # pyright: ignore[reportPrivateUsage]
    redial = actions.add_parser(
        "redial",
        help="the ReDial benchmark on real dialogues: Recall@1/10/50 at the human recommender's turns",
        description=(
            "At every recommender message of ReDial that mentions movies, give the agent the dialogue so far "
            "(both roles) and rank the catalog; a mentioned movie mapped into the catalog through imdbId is a "
            "target (one target = one sample, as CRSLab). Baselines on the same samples: popularity and "
            "mentions-CF. Writes points.jsonl, metrics.json and report.md; rerunning into the same --out resumes."
        ),
    )
    with_data_options(redial)
    redial.add_argument(
        "--split", default="valid", help="valid, test (test_data.jsonl beside valid), or a .jsonl path"
    )
    redial.add_argument(
        "--dataset", default="ml-latest-small", help="the evaluated catalog (default: ml-latest-small)"
    )
    redial.add_argument(
        "--mentions",
        choices=("canonical", "casual"),
        default="canonical",
        help="movie names as ReDial spells them ('The Matrix (1999)') or as people type ('the matrix')",
    )
    redial.add_argument("--limit", type=positive_int, help="the first N recommender turns only")
    redial.add_argument("--understanding", action="store_true", help="also measure understanding accuracy")
    redial.add_argument("--llm", default="offline", help="the agent's LLM (model string; default offline)")
    redial.add_argument(
        "--out", type=Path, help="run folder (default: runs/redial/<split>-<mentions>-<time>)"
    )
    redial.add_argument("--quiet", action="store_true", help="no progress bar")
    redial.set_defaults(handler=_eval_redial)
