"""The structured part of a reply as both servers hand it out: items with catalog ids, the question
with its quick replies (``QuestionView``, shared with the UI's API). Kept apart from the agent's own
``Reply`` so that the wire format changes only when we mean it to."""

from __future__ import annotations

from pydantic import BaseModel, Field

from crsagent.agent.reply import QuestionView, Reply


class ItemView(BaseModel):
    """One recommended item."""

    id: str = Field(description="Catalog id: pass it back for feedback or facts.")
    title: str = Field(description="Display title.")
    year: int | None = Field(default=None, description="Release year, when known.")
    reasons: list[str] = Field(default_factory=list, description="Why it is recommended, best first.")


class ReplyView(BaseModel):
    """The agent's answer to one message."""

    text: str = Field(description="The reply as plain text.")
    items: list[ItemView] = Field(default_factory=list, description="Recommended items, best first.")
    question: QuestionView | None = Field(default=None, description="The question asked, if any.")
    decision: str = Field(description="What the agent did: ask, recommend, answer_item, ...")

    @classmethod
    def of(cls, reply: Reply) -> ReplyView:
        return cls(
            text=reply.text,
            items=[ItemView.model_validate(item, from_attributes=True) for item in reply.items],
            question=QuestionView.of(reply.question) if reply.question is not None else None,
            decision=reply.trace.decision,
        )
