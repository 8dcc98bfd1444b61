"""The run folder: episodes.jsonl, metrics.json, results.md and the SR-by-turn plot."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from crsagent.evals.cpr.metrics import CprMetrics
from crsagent.evals.cpr.protocol import EpisodeResult

EPISODES_FILE = "episodes.jsonl"
METRICS_FILE = "metrics.json"
TABLE_FILE = "results.md"
PLOT_FILE = "sr_by_turn.png"


def metrics_record(metrics: CprMetrics, run: dict[str, Any]) -> dict[str, Any]:
    """metrics.json: the metric keys first (SR@5 ... hDCG, n_episodes), then the run's description."""
    return {**metrics.model_dump(by_alias=True), **run}


def markdown_table(record: dict[str, Any]) -> str:
    """One-row markdown table of a run, with the command that produced it."""
    header = "| dataset | split | policy | negative answers | episodes | SR@5 | SR@10 | SR@15 | AT | hDCG | seconds |"
    rule = "|---|---|---|---|---:|---:|---:|---:|---:|---:|---:|"
    row = (
        f"| {record['dataset']} | {record['split']} | {record['policy']} | {record['negative_answers']} "
        f"| {record['n_episodes']} | {record['SR@5']:.3f} | {record['SR@10']:.3f} | {record['SR@15']:.3f} "
        f"| {record['AT']:.2f} | {record['hDCG']:.3f} | {record['seconds']:.1f} |"
    )
    lines = [header, rule, row, ""]
    if record.get("command"):
        lines += [f"Command: `{record['command']}`", ""]
    return "\n".join(lines)


def plot_sr_by_turn(record: dict[str, Any], path: Path) -> None:
    """Cumulative success rate against the turn of success."""
    import matplotlib

    matplotlib.use("Agg")  # files only: never open a window
    import matplotlib.pyplot as plt

    curve = record["sr_by_turn"]
    figure, axes = plt.subplots(figsize=(6, 4))
    axes.plot(range(1, len(curve) + 1), curve, marker="o")
    axes.set_xlabel("turn of success (t + 1)")
    axes.set_ylabel("success rate")
    axes.set_ylim(0.0, 1.0)
    axes.grid(alpha=0.3)
    axes.set_title(f"{record['dataset']} {record['split']}: {record['policy']}, {record['negative_answers']}")
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    plt.close(figure)


def write_run(folder: Path, episodes: Sequence[EpisodeResult], record: dict[str, Any]) -> Path:
    """Write the four files into ``folder`` (created if needed); returns the folder."""
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / EPISODES_FILE).open("w", encoding="utf-8") as handle:
        for episode in episodes:
            handle.write(episode.model_dump_json(exclude_none=True))
            handle.write("\n")
    (folder / METRICS_FILE).write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    (folder / TABLE_FILE).write_text(markdown_table(record), encoding="utf-8")
    plot_sr_by_turn(record, folder / PLOT_FILE)
    return folder
