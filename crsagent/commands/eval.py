"""``crsagent eval``: simulated-user evaluations.

``cpr``: the structured CPR benchmark (rule user, policy only); ``run``: a TOML spec through the
whole agent with a rule, template or LLM user; ``compare``: run folders side by side.
"""

from __future__ import annotations

import argparse
import json
import shlex
import time
from pathlib import Path
from typing import Any

from crsagent.commands.common import positive_int, settings_from_args, with_data_options
from crsagent.commands.eval_redial import register_redial
from crsagent.errors import CrsAgentError
from crsagent.registry import DEFAULT_EVAL_POLICY, POLICIES, UnknownPluginError


def _split(text: str) -> str:
    if text == "train":
        raise argparse.ArgumentTypeError(
            "the train split fitted the estimator, so its pairs cannot be evaluation episodes: use valid or test"
        )
    if text not in ("valid", "test"):
        raise argparse.ArgumentTypeError(f"unknown split {text!r}: use valid or test")
    return text


def _policy(text: str) -> str:
    try:
        return POLICIES.check(text)
    except UnknownPluginError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


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
    _print_metrics(run.record)
    print(f"run folder: {run.folder}  ({time.perf_counter() - started:.1f} s in all)")
    return 0


def _print_metrics(record: dict[str, Any]) -> None:
    from crsagent.evals.report import format_value, metric_keys

    for key in metric_keys(record):
        print(f"{key:32} {format_value(record[key])}")


def _eval_run(args: argparse.Namespace) -> int:
    from crsagent.evals.on_ray import RaySettings
    from crsagent.evals.run import default_out, run_eval
    from crsagent.evals.spec import parse_spec, read_spec_file

    text, data = read_spec_file(args.spec)
    overrides = dict(args.set or [])
    if args.episodes is not None:
        overrides["episodes"] = args.episodes
    if args.concurrency is not None:
        overrides["concurrency"] = args.concurrency
    spec = parse_spec(data, source=str(args.spec), overrides=overrides)
    out = args.out or default_out(spec)
    command = _run_command_line(args, out)
    run = run_eval(
        spec,
        out=out,
        settings=settings_from_args(args),
        spec_text=text,
        progress=not args.quiet,
        command=command,
        ray=RaySettings(address=args.ray) if args.ray is not None else None,
    )
    _print_metrics(run.record)
    print(f"run folder: {run.folder}  ({run.played} episodes played now, {run.record['seconds']:.1f} s)")
    return 0


def _run_command_line(args: argparse.Namespace, out: Path) -> str:
    """The command that reproduces (or resumes) this run, for the run folder's records."""
    parts = ["crsagent", "eval", "run", str(args.spec), "--out", str(out)]
    for name, value in args.set or []:
        parts += ["--set", f"{name}={json.dumps(value) if not isinstance(value, str) else value}"]
    for option in ("episodes", "concurrency"):
        if getattr(args, option) is not None:
            parts += [f"--{option}", str(getattr(args, option))]
    if args.ray is not None:
        parts += ["--ray", args.ray]
    return " ".join(shlex.quote(part) for part in parts)


def _eval_compare(args: argparse.Namespace) -> int:
    from crsagent.evals.compare import write_comparison

    out = args.out or args.runs[0].parent / "compare.md"
    print(write_comparison(args.runs, out), end="")
    print(f"written to {out}")
    return 0


def _dotted_setting(text: str) -> tuple[str, Any]:
    name, value = _setting(text)
    if not all(part.strip() for part in name.split(".")):
        raise argparse.ArgumentTypeError(f"expected FIELD.PATH=VALUE (e.g. simulator.llm=...), got {text!r}")
    return name, value


def _register_run(actions: argparse._SubParsersAction) -> None:  # pyright: ignore[reportPrivateUsage]
    run = actions.add_parser(
        "run",
        help="run an evaluation spec (TOML) through the agent: rule, template or LLM user",
        description=(
            "Play the episodes of an evaluation spec (see evals/ and docs/evals.md) and write episodes.jsonl, "
            "metrics.json, report.md, sr_by_turn.png and turns_hist.png into the run folder. Running the "
            "same spec into the same folder again resumes: finished episodes are skipped."
        ),
    )
    with_data_options(run)
    run.add_argument("spec", type=Path, help="the spec file (TOML)")
    run.add_argument("--out", type=Path, help="run folder (default: runs/eval/<spec name>)")
    run.add_argument(
        "--set",
        type=_dotted_setting,
        action="append",
        metavar="FIELD=VALUE",
        help="override a spec field, e.g. --set simulator.llm=vllm-server:http://host:8000/v1#model (repeatable)",
    )
    run.add_argument("--episodes", type=positive_int, help="shorthand for --set episodes=N")
    run.add_argument("--concurrency", type=positive_int, help="shorthand for --set concurrency=N")
    run.add_argument(
        "--ray",
        nargs="?",
        const="local",
        metavar="ADDRESS",
        help="shard the episodes over Ray tasks (the ray extra): alone, a local Ray instance; "
        "'auto' or ray://HOST:PORT, an existing cluster",
    )
    run.add_argument("--quiet", action="store_true", help="no progress bar")
    run.set_defaults(handler=_eval_run)

    compare = actions.add_parser(
        "compare",
        help="metrics of run folders side by side (eval run and eval cpr folders)",
        description="Print a markdown table of the runs' metrics.json, one column per run, and write it to a file.",
    )
    compare.add_argument("runs", type=Path, nargs="+", metavar="RUN", help="run folders (two or more)")
    compare.add_argument("--out", type=Path, help="table file (default: compare.md beside the first run)")
    compare.set_defaults(handler=_eval_compare)


def register(commands: argparse._SubParsersAction) -> None:  # pyright: ignore[reportPrivateUsage]
    """Add ``eval`` and its actions to the top-level parser."""
    evaluation = commands.add_parser(
        "eval",
        help="evaluations (cpr: the CPR benchmark; redial: real dialogues; run: a spec; compare: runs)",
    )
    actions = evaluation.add_subparsers(dest="eval_command", required=True, metavar="ACTION")
    _register_run(actions)
    register_redial(actions)

    cpr = actions.add_parser(
        "cpr",
        help="the CPR benchmark: rule user, SR@5/10/15, AT, hDCG",
        description=(
            "Run every (user, target) episode of a split with the rule simulator of the CPR protocol "
            "(opening = one random attribute of the target, at most 14 agent actions, lists of 10) and "
            "write episodes.jsonl, metrics.json, report.md, sr_by_turn.png and turns_hist.png into the run "
            "folder. Running the same command into the same --out again resumes: finished episodes are kept."
        ),
    )
    with_data_options(cpr)
    cpr.add_argument("--dataset", required=True, help="crs-lastfm, another dataset name, or a folder")
    cpr.add_argument(
        "--policy",
        type=_policy,
        default=DEFAULT_EVAL_POLICY,
        help=f"one of {POLICIES.listing()} (default: {DEFAULT_EVAL_POLICY}, the best on the valid split)",
    )
    cpr.add_argument(
        "--negative-answers",
        choices=("prune", "soft"),
        default="prune",
        help="prune: a 'no' removes the items carrying the value; soft: they stay (default: prune)",
    )
    cpr.add_argument("--split", type=_split, default="test", help="valid or test (default: test)")
    cpr.add_argument("--limit", type=positive_int, help="a seeded random subset of N episodes (default: all)")
    cpr.add_argument("--seed", type=int, default=0, help="seed of openings, subsets and stochastic policies")
    cpr.add_argument("--workers", type=positive_int, help="worker processes (default: every core)")
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
