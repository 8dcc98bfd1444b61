"""The structured part of a reply as both servers hand it out: items with catalog ids, the question
with its quick replies. Kept apart from the agent's own ``Reply`` so that the wire format changes
only when we mean it to."""

from __future__ import annotations

from pydantic import BaseModel, Field

from crsagent.agent.reply import Question, Reply


class ItemView(BaseModel):
    """One recommended item."""

    id: str = Field(description="Catalog id: pass it back for feedback or facts.")
    title: str = Field(description="Display title.")
    year: int | None = Field(default=None, description="Release year, when known.")
    reasons: list[str] = Field(default_factory=list, description="Why it is recommended, best first.")


class QuestionView(BaseModel):
    """The attribute question the agent asked."""

    attribute: str = Field(description="Attribute type asked about (genre, director, decade, ...).")
    values: list[str] = Field(description="Values offered; one value is a yes / no question.")
    text: str = Field(description="The question as shown.")
    quick_replies: list[str] = Field(description="Answers a client can offer as buttons.")

    @classmethod
    def of(cls, question: Question) -> QuestionView:
        return cls(**question.model_dump(), quick_replies=question.quick_replies())


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
