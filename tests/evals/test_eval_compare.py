"""`eval compare`: metric tables side by side, from eval-run and eval-cpr folders alike."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from crsagent.errors import CrsAgentError
from crsagent.evals.compare import comparison_table, write_comparison


def run_folder(path: Path, record: dict[str, object]) -> Path:
    path.mkdir(parents=True)
    (path / "metrics.json").write_text(json.dumps(record))
    return path


def test_runs_side_by_side_with_missing_metrics_as_dashes(tmp_path: Path) -> None:
    agent = run_folder(
        tmp_path / "agent",
        {"SR@5": 0.25, "SR@15": 0.5, "AT": 11.0, "hDCG": 0.2, "Recall@10": 0.4, "n_episodes": 40,
         "simulator": "template", "dataset": "crs-lastfm", "leak_rate": 0.0},
    )  # fmt: skip
    cpr = run_folder(
        tmp_path / "cpr",
        {"SR@5": 0.3, "SR@10": 0.45, "SR@15": 0.6, "AT": 10.5, "hDCG": 0.25, "n_episodes": 40,
         "policy": "learned", "dataset": "crs-lastfm", "seconds": 3.0},
    )  # fmt: skip
    out = tmp_path / "cmp" / "compare.md"
    table = write_comparison([agent, cpr], out)
    assert out.read_text() == table
    lines = table.splitlines()
    assert lines[0] == "| | agent | cpr |"
    assert "| dataset | crs-lastfm | crs-lastfm |" in lines
    assert "| simulator | template | — |" in lines and "| policy | — | learned |" in lines
    assert "| SR@10 | — | 0.450 |" in lines and "| AT | 11.00 | 10.50 |" in lines
    assert "| Recall@10 | 0.400 | — |" in lines and "| n_episodes | 40 | 40 |" in lines
    metric_rows = [line.split(" | ")[0].lstrip("| ") for line in lines[2:]]
    assert metric_rows.index("SR@5") < metric_rows.index("SR@15") < metric_rows.index("AT")


def test_unfinished_or_missing_runs_are_named(tmp_path: Path) -> None:
    done = run_folder(tmp_path / "done", {"SR@5": 0.1})
    (tmp_path / "unfinished").mkdir()
    with pytest.raises(CrsAgentError, match=r"unfinished: no metrics\.json"):
        comparison_table([done, tmp_path / "unfinished"])
    with pytest.raises(CrsAgentError, match="no such run folder"):
        comparison_table([done, tmp_path / "absent"])
    with pytest.raises(CrsAgentError, match="at least two"):
        comparison_table([done])
