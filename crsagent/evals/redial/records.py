"""The per-point log of a ReDial run (``points.jsonl``): one JSON line per evaluated point, flushed
as written, so a killed run resumes where it stopped."""

from __future__ import annotations

import logging
from pathlib import Path

from pydantic import BaseModel, Field, ValidationError

from crsagent.errors import CrsAgentError

logger = logging.getLogger(__name__)
POINTS_FILE = "points.jsonl"


class PointRecord(BaseModel):
    """What one evaluation point gave."""

    point_id: str
    targets: list[str]
    new: list[bool]
    ranks: dict[str, list[int | None]] = Field(
        description="System -> rank of each target (None: not in top 50)."
    )
    latency_ms: float = Field(description="The agent's time for this point.")
    decision: str = Field(description="What the agent did at this point (recommend, ask, ...).")


def read_points(path: Path) -> dict[str, PointRecord]:
    """Logged points by id. A torn or undecodable line (a killed run) is dropped and re-run."""
    if not path.is_file():
        return {}
    records: dict[str, PointRecord] = {}
    for number, raw in enumerate(path.read_bytes().splitlines(), start=1):
        try:
            record = PointRecord.model_validate_json(raw)
        except (ValidationError, UnicodeDecodeError, ValueError) as error:
            logger.warning("%s: line %d is not a point record (%s); it will be re-run", path, number, error)
            continue
        records[record.point_id] = record
    return records


def rewrite_points(path: Path, records: dict[str, PointRecord]) -> None:
    """The log holding exactly ``records`` (drops damaged lines before appending)."""
    temporary = path.with_suffix(".tmp")
    temporary.write_text("".join(r.model_dump_json() + "\n" for r in records.values()), encoding="utf-8")
    temporary.replace(path)


class RedialRunError(CrsAgentError):
    """A ReDial run that cannot start (bad split, missing data, a folder of another run)."""
