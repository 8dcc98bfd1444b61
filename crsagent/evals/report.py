"""metrics.json, report.md and the plots of a finished run."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from crsagent.evals.metrics import CURVE_FIELDS, HEADLINE_FIELDS, EvalMetrics
from crsagent.evals.plots import plot_sr_by_turn, plot_turns_histogram
from crsagent.evals.spec import EvalSpec
from crsagent.evals.store import METRICS_FILE, REPORT_FILE, SR_PLOT_FILE, TURNS_PLOT_FILE, RunFolder
from crsagent.simulators.base import Episode

# Rows of the report's metric table (and of `eval compare`), in order; a key a run lacks is skipped.
HEADLINE_PREFIXES = ("SR@", "AT", "hDCG", "Recall@")
# The other rows: the metrics' scalar fields in their order, then the run's throughput.
COST_KEYS = (
    *(key for key in EvalMetrics.model_fields if key not in (*HEADLINE_FIELDS, *CURVE_FIELDS)),
    "dialogues_per_second",
)


# Rows of the setup table (report.md, `eval compare`), those a run has: spec runs and structured (CPR) runs.
SETUP_KEYS = (
    "dataset", "split", "targets", "simulator", "simulator_llm", "agent_llm", "policy",
    "negative_answers", "offer_values", "max_turns", "list_size", "seed", "limit", "concurrency",
    "workers", "seconds",
)  # fmt: skip


def describe_run(spec: EvalSpec) -> dict[str, Any]:
    """The run's description in metrics.json (beside the metrics): what was evaluated, how."""
    return {
        "name": spec.name,
        "dataset": spec.dataset,
        "targets": spec.targets.source,
        "simulator": spec.simulator.kind,
        "simulator_llm": spec.simulator.llm,
        "agent_llm": spec.agent.llm,
        "policy": spec.agent.config.policy,
        "offer_values": spec.agent.config.offer_values,
        "max_turns": spec.max_turns,
        "list_size": spec.list_size,
        "seed": spec.seed,
        "episodes_planned": spec.episodes,
        "concurrency": spec.concurrency,
    }


def metric_keys(record: dict[str, Any]) -> list[str]:
    """The record's metric keys in table order."""
    headline = [k for prefix in HEADLINE_PREFIXES for k in record if k.startswith(prefix)]
    return list(dict.fromkeys(headline)) + [k for k in COST_KEYS if k in record]


def format_value(value: Any) -> str:
    """Counts as integers, rates with three decimals, larger numbers with two."""
    if value is None:
        return "—"
    if not isinstance(value, float):  # counts (and anything else) as they are
        return str(value)
    return f"{value:.3f}" if abs(value) < 10 else f"{value:.2f}"


def _errors_section(episodes: Sequence[Episode], limit: int = 10) -> list[str]:
    failed = [e for e in episodes if e.error is not None]
    if not failed:
        return []
    lines = [f"## Episodes that failed to run ({len(failed)})", ""]
    for episode in failed[:limit]:
        first = (episode.error or "").strip().splitlines()
        lines.append(f"- episode {episode.episode}: {first[-1] if first else 'unknown error'}")
    if len(failed) > limit:
        lines.append(f"- ... and {len(failed) - limit} more (see episodes.jsonl)")
    return [*lines, ""]


def markdown_report(record: dict[str, Any], episodes: Sequence[Episode], description: str = "") -> str:
    """report.md: setup, metric table, plots, failures, the command."""
    lines = [f"# Evaluation `{record['name']}`", ""]
    if description:
        lines += [description.strip(), ""]
    lines += ["| setting | value |", "|---|---|"]
    lines += [f"| {key} | {format_value(record.get(key))} |" for key in SETUP_KEYS if key in record]
    lines += ["", "| metric | value |", "|---|---:|"]
    lines += [f"| {key} | {format_value(record[key])} |" for key in metric_keys(record)]
    lines += [
        "",
        f"![success rate by turn]({SR_PLOT_FILE})",
        "",
        f"![turns per episode]({TURNS_PLOT_FILE})",
        "",
    ]
    lines += _errors_section(episodes)
    if record.get("command"):
        lines += [f"Command: `{record['command']}`", ""]
    return "\n".join(lines)


def write_results(
    folder: RunFolder,
    metrics: EvalMetrics,
    run: dict[str, Any],
    episodes: Sequence[Episode],
    description: str = "",
) -> dict[str, Any]:
    """Write metrics.json, report.md and both plots; returns the metrics.json record."""
    record = {**metrics.record(), **run}
    folder.file(METRICS_FILE).write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    folder.file(REPORT_FILE).write_text(markdown_report(record, episodes, description), encoding="utf-8")
    title = f"{record['name']}: {record['simulator']} user, {record['n_episodes']} episodes"
    plot_sr_by_turn(metrics.sr_by_turn, title, folder.file(SR_PLOT_FILE))
    plot_turns_histogram(metrics.turns_success, metrics.turns_failure, title, folder.file(TURNS_PLOT_FILE))
    return record
