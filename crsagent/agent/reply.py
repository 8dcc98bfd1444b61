"""What the agent returns for one user message: text, grounded items, the question asked, a trace.

These models are the agent's public output: the UI renders them, simulators read them, evaluations
log them. Every item carries its catalog id; nothing without one reaches a ``Reply``.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from crsagent.agent.turns import UserTurn
from crsagent.tools.bus import ToolCallRecord

Mode = Literal["offline", "llm"]
Decision = Literal["ask", "recommend", "answer_item", "acknowledge", "restart", "greet", "chat", "no_match"]


class ReplyItem(BaseModel):
    """One recommended item, as shown."""

    id: str = Field(description="Catalog id.")
    title: str = Field(description="Display title.")
    year: int | None = Field(default=None, description="Release year, when known.")
    attributes: dict[str, list[str]] = Field(
        default_factory=dict, description="Key attributes by type (a few values each), for item cards."
    )
    reasons: list[str] = Field(default_factory=list, description="Why it is recommended, best first.")


class Question(BaseModel):
    """An attribute question the agent asked."""

    attribute: str = Field(description="The attribute type asked about (genre, director, tag, ...).")
    values: list[str] = Field(
        description="The values offered. One value is a yes / no question; several ask to choose."
    )
    text: str = Field(description="The question as shown.")

    @property
    def yes_no(self) -> bool:
        """True for a yes / no question about one value."""
        return len(self.values) == 1

    def quick_replies(self) -> list[str]:
        """The answers a UI can offer as buttons."""
        if self.yes_no:
            return ["yes", "no"]
        return [*self.values, "none of these"]


class QuestionView(BaseModel):
    """The attribute question the agent asked."""  # as the servers and the UI's API hand it out

    attribute: str = Field(description="Attribute type asked about (genre, director, decade, ...).")
    values: list[str] = Field(description="Values offered; one value is a yes / no question.")
    text: str = Field(description="The question as shown.")
    quick_replies: list[str] = Field(description="Answers a client can offer as buttons.")

    @classmethod
    def of(cls, question: Question) -> QuestionView:
        return cls(**question.model_dump(), quick_replies=question.quick_replies())


class Trace(BaseModel):
    """How the reply came about: what was understood, which tools ran, what the policy decided."""

    mode: Mode = Field(description="offline (NLU + templates) or llm for this turn.")
    turn: int = Field(description="1-based index of this user turn in the session.")
    understood: UserTurn | None = Field(default=None, description="The user's message, as understood.")
    decision: Decision = Field(description="What the agent did this turn.")
    decision_reason: str = Field(default="", description="Why, in words (the policy's reason).")
    policy: str = Field(default="", description="The ask / recommend policy's name.")
    candidates_before: int = Field(
        default=0, description="Candidates before this turn's filter (the catalog)."
    )
    candidates_after: int = Field(default=0, description="Candidates after it.")
    tool_calls: list[ToolCallRecord] = Field(default_factory=list, description="Tool calls this turn.")
    ranked_ids: list[str] = Field(
        default_factory=list,
        description="The agent's ranked list for this turn (top 50), whatever it shows: Recall@k reads it.",
    )
    ranked_scores: list[float] = Field(
        default_factory=list, description="The scores of ``ranked_ids`` (log-scale, higher is better)."
    )
    relaxations: list[str] = Field(
        default_factory=list, description="Constraints dropped because nothing matched them."
    )
    dropped_titles: list[str] = Field(
        default_factory=list, description="Item names an LLM produced that grounding could not place."
    )
    llm_calls: int = Field(default=0, description="LLM calls this turn.")
    prompt_tokens: int = Field(default=0)
    completion_tokens: int = Field(default=0)
    notices: list[str] = Field(
        default_factory=list, description="Things the user or developer should know (an LLM fallback...)."
    )
    latency_ms: float = Field(default=0.0, description="Wall time of the turn.")


class Reply(BaseModel):
    """The agent's answer to one message."""

    session_id: str
    text: str = Field(description="The reply as plain text (items are listed in it too).")
    items: list[ReplyItem] = Field(default_factory=list, description="Recommended items, best first.")
    question: Question | None = Field(default=None, description="The question asked, if any.")
    trace: Trace


def stream_pieces(text: str, words: int = 8) -> list[str]:
    """The reply as a stream delivers it: a line at a time, a few words at a time within a line."""
    pieces: list[str] = []
    for line in text.splitlines(keepends=True):
        tokens = line.split(" ")
        pieces.extend(
            " ".join(tokens[i : i + words]) + (" " if i + words < len(tokens) else "")
            for i in range(0, len(tokens), words)
        )
    return pieces
