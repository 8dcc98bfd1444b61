"""The LLM's structured output for one user turn: what was said (titles, not ids) and a tool plan.

An LLM cannot know catalog ids, so it names items by title; ``to_user_turn`` grounds every title to
the catalog and drops (and reports) the ones grounding cannot place, so only ids go further.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from crsagent.agent.state import PlannedCall
from crsagent.agent.turns import Intent, UserTurn, ValueRef
from crsagent.tools.grounding import Grounder
from crsagent.tools.vocabulary import UnknownValueError, Vocabulary

MAX_PLANNED_CALLS = 4
MAX_TITLES = 5


class LlmUnderstanding(BaseModel):
    """A user message as the LLM reads it."""

    intent: Intent = Field(description="The main thing the user did.")
    answer: Literal["yes", "no"] | None = Field(default=None, description="Answer to a yes / no question.")
    accepted: list[ValueRef] = Field(default_factory=list, description="Attribute values wanted.")
    rejected: list[ValueRef] = Field(default_factory=list, description="Attribute values not wanted.")
    year_min: int | None = Field(default=None, description="Earliest release year wanted.")
    year_max: int | None = Field(default=None, description="Latest release year wanted.")
    liked_titles: list[str] = Field(
        default_factory=list, description="Items the user likes / wants more like."
    )
    accepted_titles: list[str] = Field(default_factory=list, description="Shown items the user takes.")
    rejected_titles: list[str] = Field(default_factory=list, description="Shown items the user turns down.")
    asked_title: str | None = Field(default=None, description="The item the user asks about.")
    asked_attribute: str | None = Field(
        default=None, description="What is asked about it (type, year, text)."
    )
    suggested_titles: list[str] = Field(
        default_factory=list, max_length=MAX_TITLES, description="Items the LLM itself thinks fit."
    )
    wishes: str = Field(default="", description="Other wishes in a few words.")


class Plan(BaseModel):
    """The planner's one structured answer per turn."""

    understanding: LlmUnderstanding
    tool_calls: list[PlannedCall] = Field(default_factory=list, max_length=MAX_PLANNED_CALLS)


class GroundedTurn(BaseModel):
    """A plan's understanding with every title grounded."""

    turn: UserTurn
    suggested: list[str] = Field(default_factory=list, description="Grounded ids of the LLM's suggestions.")
    dropped_titles: list[str] = Field(default_factory=list, description="Titles grounding could not place.")
    notes: list[str] = Field(default_factory=list)


def _values(refs: list[ValueRef], vocabulary: Vocabulary, notes: list[str]) -> list[ValueRef]:
    placed: list[ValueRef] = []
    for ref in refs:
        try:
            placed.append(ValueRef(type=ref.type, value=vocabulary.resolve(ref.type, ref.value)))
        except UnknownValueError as error:
            notes.append(f"LLM value dropped: {error}")
    return placed


def to_user_turn(
    understanding: LlmUnderstanding, grounder: Grounder, vocabulary: Vocabulary, shown: list[str]
) -> GroundedTurn:
    """Ground titles (shown items first, by exact title) and values; report what could not be placed."""
    catalog = grounder.catalog
    shown_by_title = {catalog.get(item_id).title.casefold(): item_id for item_id in shown}
    dropped: list[str] = []
    notes: list[str] = []

    def ground(titles: list[str]) -> list[str]:
        ids: list[str] = []
        for title in titles[:MAX_TITLES]:
            item_id = shown_by_title.get(title.strip().casefold()) or grounder.ground(title, k=1).item_id
            if item_id is None:
                dropped.append(title)
            elif item_id not in ids:
                ids.append(item_id)
        return ids

    asked = ground([understanding.asked_title]) if understanding.asked_title else []
    turn = UserTurn(
        intent=understanding.intent,
        answer=understanding.answer,
        accepted=_values(understanding.accepted, vocabulary, notes),
        rejected=_values(understanding.rejected, vocabulary, notes),
        year_min=understanding.year_min,
        year_max=understanding.year_max,
        liked_items=ground(understanding.liked_titles),
        accepted_items=ground(understanding.accepted_titles),
        rejected_items=ground(understanding.rejected_titles),
        asked_item=asked[0] if asked else None,
        asked_attribute=understanding.asked_attribute if asked else None,
        wishes=understanding.wishes[:500],
    )
    if understanding.asked_title and not asked:
        turn.unplaced_titles.append(understanding.asked_title)
    suggested = ground(understanding.suggested_titles)
    return GroundedTurn(turn=turn, suggested=suggested, dropped_titles=dropped, notes=notes)
