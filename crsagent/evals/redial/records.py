"""The per-point log of a ReDial run (``points.jsonl``, an ``evals.store`` JSON-lines log): one line
per evaluated point, flushed as written, so a killed run resumes where it stopped."""

from __future__ import annotations

from pydantic import BaseModel, Field

from crsagent.errors import CrsAgentError

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


class RedialRunError(CrsAgentError):
    """A ReDial run that cannot start (bad split, missing data, a folder of another run)."""
