"""``crsagent eval``: simulated-user evaluations (``cpr``: the CPR benchmark with the rule user)."""

from __future__ import annotations

import argparse
import json
import shlex
import time
from pathlib import Path
from typing import Any

from crsagent.commands.common import settings_from_args, with_data_options
from crsagent.errors import CrsAgentError


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _split(text: str) -> str:
    if text == "train":
        raise argparse.ArgumentTypeError(
            "the train split fitted the estimator, so its pairs cannot be evaluation episodes: use valid or test"
        )
    if text not in ("valid", "test"):
        raise argparse.ArgumentTypeError(f"unknown split {text!r}: use valid or test")
    return text


# Spelled out here so that building the parser does not import the knowledge-graph stack (scipy,
# networkx, the recommenders: about a second); a test keeps them equal to the policy registry's.
POLICY_NAMES = ("max-entropy", "scpr", "info-gain", "learned")
DEFAULT_POLICY = "learned"


def _policy(text: str) -> str:
    if text not in POLICY_NAMES:
        raise argparse.ArgumentTypeError(
            f"unknown policy {text!r}; known policies: {', '.join(POLICY_NAMES)}"
        )
    return text


def _setting(text: str) -> tuple[str, Any]:
    name, separator, raw = text.partition("=")
    if not separator or not name.strip():
        raise argparse.ArgumentTypeError(f"expected NAME=VALUE (e.g. top_mass=0.25), got {text!r}")
    try:
        value = json.loads(raw)
    except json.JSONDecodeError:
        value = raw  # a bare word: a string setting such as question=top-mass
    return name.strip(), value


def _default_out(args: argparse.Namespace) -> Path:
    dataset = Path(args.dataset).name or "dataset"
    stamp = time.strftime("%Y%m%d-%H%M%S")
    return Path("runs") / "cpr" / f"{dataset}-{args.split}-{args.policy}-{args.negative_answers}-{stamp}"


def _command_line(args: argparse.Namespace) -> str:
    """The command that reproduces this run (defaults spelled out), for the run folder's records."""
    parts = ["crsagent", "eval", "cpr", "--dataset", args.dataset, "--policy", args.policy]
    parts += ["--negative-answers", args.negative_answers, "--split", args.split, "--seed", str(args.seed)]
    if args.limit is not None:
        parts += ["--limit", str(args.limit)]
    if args.workers is not None:
        parts += ["--workers", str(args.workers)]
    for option, settings in (("--set", args.set), ("--estimator-set", args.estimator_set)):
        for name, value in settings or []:
            parts += [option, f"{name}={json.dumps(value) if not isinstance(value, str) else value}"]
    return " ".join(shlex.quote(part) for part in parts)


def _eval_cpr(args: argparse.Namespace) -> int:
    from crsagent.evals.cpr.config import CprRunConfig
    from crsagent.evals.cpr.evaluate import run_cpr
    from crsagent.evals.cpr.report import markdown_table
    from crsagent.knowledge_graph.estimator import EstimatorConfig

    started = time.perf_counter()
    config = CprRunConfig(
        dataset=args.dataset,
        split=args.split,
        policy=args.policy,
        policy_settings=dict(args.set or []),
        negative_answers=args.negative_answers,
        limit=args.limit,
        seed=args.seed,
        workers=args.workers,
        cache_estimator=not args.no_cache,
        estimator=EstimatorConfig.model_validate(dict(args.estimator_set or [])),
    )
    out = args.out or _default_out(args)
    if out.exists() and not out.is_dir():
        raise CrsAgentError(f"--out {out} exists and is not a folder")
    command = _command_line(args)
    run = run_cpr(
        config, settings=settings_from_args(args), out=out, progress=not args.quiet, command=command
    )
    print(markdown_table(run.record), end="")
    print(f"run folder: {run.folder}  ({time.perf_counter() - started:.1f} s in all)")
    return 0


def register(commands: argparse._SubParsersAction) -> None:  # pyright: ignore[reportPrivateUsage]
    """Add ``eval`` and its actions to the top-level parser."""
    evaluation = commands.add_parser("eval", help="simulated-user evaluations (cpr: the CPR benchmark)")
    actions = evaluation.add_subparsers(dest="eval_command", required=True, metavar="ACTION")

    cpr = actions.add_parser(
        "cpr",
        help="the CPR benchmark: rule user, SR@5/10/15, AT, hDCG",
        description=(
            "Run every (user, target) episode of a split with the rule simulator of the CPR protocol "
            "(opening = one random attribute of the target, at most 14 agent actions, lists of 10) and "
            "write episodes.jsonl, metrics.json, results.md and sr_by_turn.png into the run folder."
        ),
    )
    with_data_options(cpr)
    cpr.add_argument("--dataset", required=True, help="crs-lastfm, another dataset name, or a folder")
    cpr.add_argument(
        "--policy",
        type=_policy,
        default=DEFAULT_POLICY,
        help=f"one of {', '.join(POLICY_NAMES)} (default: {DEFAULT_POLICY}, the best on the valid split)",
    )
    cpr.add_argument(
        "--negative-answers",
        choices=("prune", "soft"),
        default="prune",
        help="prune: a 'no' removes the items carrying the value; soft: they stay (default: prune)",
    )
    cpr.add_argument("--split", type=_split, default="test", help="valid or test (default: test)")
    cpr.add_argument(
        "--limit", type=_positive_int, help="a seeded random subset of N episodes (default: all)"
    )
    cpr.add_argument("--seed", type=int, default=0, help="seed of openings, subsets and stochastic policies")
    cpr.add_argument("--workers", type=_positive_int, help="worker processes (default: every core)")
    cpr.add_argument("--out", type=Path, help="run folder (default: runs/cpr/<dataset>-<split>-<policy>-...)")
    cpr.add_argument(
        "--set",
        type=_setting,
        action="append",
        metavar="NAME=VALUE",
        help="override a policy setting, e.g. --set top_mass=0.25 (repeatable)",
    )
    cpr.add_argument(
        "--estimator-set",
        type=_setting,
        action="append",
        metavar="NAME=VALUE",
        help="override an estimator setting, e.g. --estimator-set rejected_features=false (repeatable)",
    )
    cpr.add_argument(
        "--no-cache",
        action="store_true",
        help="fit the estimator (and train a learned policy) afresh, ignore the cache",
    )
    cpr.add_argument("--quiet", action="store_true", help="no progress bar")
    cpr.set_defaults(handler=_eval_cpr)
