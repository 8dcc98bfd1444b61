"""What a turn decided, between the policy nodes and ``respond``."""

from __future__ import annotations

from pydantic import BaseModel, Field

from crsagent.agent.reply import Decision


class Outcome(BaseModel):
    """The turn's decision and what the reply needs to render it."""

    decision: Decision
    reason: str = ""
    items: list[str] = Field(default_factory=list, description="Ids to show, best first.")
    attribute: str | None = Field(default=None, description="Attribute type asked about.")
    offered: list[str] = Field(default_factory=list, description="Values offered (labels).")
    ranked: list[str] = Field(default_factory=list, description="The ranked list the trace logs.")
    scores: list[float] = Field(default_factory=list, description="Scores of ``ranked``, best first.")
    candidates: int = 0
    asked_item: str | None = None
    asked_attribute: str | None = None
