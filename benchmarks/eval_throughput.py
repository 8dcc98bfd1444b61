"""Dialogues per second of ``crsagent eval run``: the rule user in worker processes, and the LLM user
against the local OpenAI-compatible test server with concurrent dialogues.

1. Rule user: ``evals/cpr-agent.toml`` (crs-lastfm, the agent's whole turn, structured answers) with
   ``--rule-episodes`` episodes at each ``--rule-concurrency`` (worker processes).
2. LLM user: ``evals/redial-llm.toml`` (ReDial targets in ml-latest-small) with its simulator on the
   test server (``crsagent.evals.testing.EndpointScript`` answers; every answer waits
   ``--server-delay-ms``, a stand-in for a model's generation time) at each ``--llm-concurrency``
   (dialogues in flight). The server runs in a child process, so it does not share this
   interpreter's lock with the dialogues.

Throughput is steady-state: dialogues finished between the first and the last to finish, so building
the agents (seconds per worker) is left out. Run folders go to a temporary folder.

    CRSAGENT_DATA_DIR=../shared/datasets .venv/bin/python benchmarks/eval_throughput.py --out docs/results/eval-throughput.md
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import platform
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from crsagent.config import Settings
from crsagent.evals.run import EvalRun, run_eval
from crsagent.evals.spec import load_spec

SPECS = Path(__file__).resolve().parents[1] / "evals"


def _serve(delay_s: float, ready: Any, stop: Any) -> None:
    """Child process: the test server with the evaluation responder, until ``stop`` is set."""
    from crsagent.evals.testing import EndpointScript
    from crsagent.llm.testing_server import OpenAITestServer

    script = EndpointScript()
    with OpenAITestServer(
        responder=lambda body: script(body).model_copy(update={"delay_s": delay_s})
    ) as server:
        ready.put(f"vllm-server:{server.url}#{server.model}")
        stop.wait()


def _row(label: str, concurrency: int, run: EvalRun, wall: float) -> dict[str, Any]:
    metrics = run.metrics
    rate = run.record.get("dialogues_per_second")
    return {
        "simulator": label,
        "concurrency": concurrency,
        "episodes": metrics.n_episodes,
        "errors": metrics.n_errors,
        "dialogues/s": rate,
        "turns/s": round(rate * metrics.mean_turns, 1) if rate else None,
        "agent turn p50 ms": round(metrics.latency_ms_p50, 1),
        "SR@max": round(metrics.sr_by_turn[-1], 3),
        "wall s (incl. build)": round(wall, 1),
    }


def _timed(spec_file: str, overrides: dict[str, Any], out: Path, settings: Settings) -> tuple[EvalRun, float]:
    spec = load_spec(SPECS / spec_file, overrides)
    started = time.perf_counter()
    run = run_eval(spec, out=out, settings=settings)
    return run, time.perf_counter() - started


def rule_rows(args: argparse.Namespace, settings: Settings, scratch: Path) -> list[dict[str, Any]]:
    rows = []
    for number, workers in enumerate(args.rule_concurrency):
        overrides = {"episodes": args.rule_episodes, "concurrency": workers}
        # A folder per measurement: the same folder again would resume, playing nothing.
        run, wall = _timed("cpr-agent.toml", overrides, scratch / f"rule-{number}", settings)
        rows.append(_row("rule (processes)", workers, run, wall))
        print(rows[-1], flush=True)
    return rows


def llm_rows(args: argparse.Namespace, settings: Settings, scratch: Path) -> list[dict[str, Any]]:
    context = multiprocessing.get_context("spawn")
    ready, stop = context.Queue(), context.Event()
    server = context.Process(target=_serve, args=(args.server_delay_ms / 1000, ready, stop), daemon=True)
    server.start()
    rows = []
    try:
        endpoint = ready.get(timeout=60)
        for number, concurrency in enumerate(args.llm_concurrency):
            overrides = {"episodes": args.llm_episodes, "concurrency": concurrency, "simulator.llm": endpoint}
            run, wall = _timed("redial-llm.toml", overrides, scratch / f"llm-{number}", settings)
            label = f"llm (test server, {args.server_delay_ms:g} ms/answer)"
            rows.append(_row(label, concurrency, run, wall))
            print(rows[-1], flush=True)
    finally:
        stop.set()
        server.join(timeout=10)
    return rows


def markdown(rows: list[dict[str, Any]], args: argparse.Namespace) -> str:
    keys = list(rows[0])
    lines = ["| " + " | ".join(keys) + " |", "|" + "---|" * len(keys)]
    lines += ["| " + " | ".join("—" if row[k] is None else str(row[k]) for k in keys) + " |" for row in rows]
    machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    lines += ["", f"Machine: {machine}. Load average at the end: {os.getloadavg()[0]:.1f}.", ""]
    lines += [f"Command: `benchmarks/eval_throughput.py {' '.join(args.argv)}`", ""]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rule-episodes", type=int, default=100)
    parser.add_argument("--rule-concurrency", type=int, nargs="*", default=[1, 2])
    parser.add_argument("--llm-episodes", type=int, default=64)
    parser.add_argument("--llm-concurrency", type=int, nargs="*", default=[1, 8, 32])
    parser.add_argument("--server-delay-ms", type=float, default=100.0, help="wait per LLM answer")
    parser.add_argument("--out", type=Path, help="write the markdown table here too")
    args = parser.parse_args()
    args.argv = sys.argv[1:]  # the command line, for the table footer
    settings = Settings()
    with tempfile.TemporaryDirectory(prefix="eval-throughput-") as scratch:
        rows = rule_rows(args, settings, Path(scratch)) if args.rule_concurrency else []
        rows += llm_rows(args, settings, Path(scratch)) if args.llm_concurrency else []
    table = markdown(rows, args)
    print(table)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(table, encoding="utf-8")


if __name__ == "__main__":
    main()
