"""``crsagent eval compare``: runs side by side, one column per run, one row per metric.

Any folder with a metrics.json compares: runs of ``crsagent eval run`` and of ``crsagent eval cpr``
(the structured benchmark, whose SR@k / AT / hDCG keys are the same), so the agent's NL pipeline can
be set against the structured policy on the same episodes. A metric a run lacks shows as "—".
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from crsagent.errors import CrsAgentError
from crsagent.evals.report import SETUP_KEYS, format_value, metric_keys
from crsagent.evals.store import METRICS_FILE


def read_metrics(folder: Path) -> dict[str, Any]:
    """A run folder's metrics.json, or an error saying why it cannot be compared."""
    path = folder / METRICS_FILE
    if not folder.is_dir():
        raise CrsAgentError(f"{folder}: no such run folder")
    if not path.is_file():
        raise CrsAgentError(f"{folder}: no {METRICS_FILE} (the run has not finished; re-run it to resume)")
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise CrsAgentError(f"{path}: not JSON ({error.msg}, line {error.lineno})") from None
    if not isinstance(record, dict):
        raise CrsAgentError(f"{path}: expected a JSON object of metrics")
    return record


def comparison_table(folders: Sequence[Path]) -> str:
    """A markdown table: the setup rows of the runs' reports, then every metric any run reports."""
    if len(folders) < 2:
        raise CrsAgentError("compare needs at least two run folders")
    records = [read_metrics(folder) for folder in folders]
    keys = list(dict.fromkeys(k for record in records for k in metric_keys(record)))
    described = [k for k in SETUP_KEYS if any(record.get(k) is not None for record in records)]
    names = [folder.name for folder in folders]  # a column is a folder's name, or its path where two collide
    header = "| | " + " | ".join(str(f) if names.count(f.name) > 1 else f.name for f in folders) + " |"
    rule = "|---|" + "---:|" * len(folders)
    rows = [
        f"| {key} | " + " | ".join(format_value(record.get(key)) for record in records) + " |"
        for key in [*described, *keys]
    ]
    return "\n".join([header, rule, *rows]) + "\n"


def write_comparison(folders: Sequence[Path], out: Path) -> str:
    """The table, also written to ``out``."""
    table = comparison_table(folders)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(table, encoding="utf-8")
    return table
