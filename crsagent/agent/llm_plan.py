"""The LLM's structured output for one user turn: what was said (titles, not ids) and a tool plan.

An LLM cannot know catalog ids, so it names items by title; ``to_user_turn`` grounds every title to
the catalog and drops (and reports) the ones grounding cannot place, so only ids go further.

A planned tool call carries its arguments as a JSON object *in a string*. An object-typed field
with free keys cannot be expressed in OpenAI's strict structured-output schema (which closes every
object), so guided decoding would force it to ``{}`` and every planned call would lose its arguments.
``planned_calls`` parses the strings; a call whose arguments are not a JSON object is left out with
a note.

Whatever a model writes must also be storable: the session's checkpoint (msgpack) refuses integers
beyond 64 bits, and a reply holding a lone UTF-16 surrogate cannot be written as JSON (the UI, the
evaluation logs); a JSON answer can carry both (a 40-digit number, ``"\\ud800"``). ``json_safe``
replaces them before anything is kept, and years outside ``YEARS`` are dropped with a note.
"""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, Field, model_validator

from crsagent.agent.state import PlannedCall, TurnWork
from crsagent.agent.turns import Intent, UserTurn, ValueRef
from crsagent.tools.grounding import Grounder, GroundingError
from crsagent.tools.vocabulary import UnknownValueError, Vocabulary

MAX_PLANNED_CALLS = 4
MAX_TITLES = 5
# Feedback may name a whole shown list (up to AgentConfig's 50 items): none of it may be cut off.
MAX_FEEDBACK_TITLES = 50
# A dropped title is kept in the trace at most this long (a model may write a paragraph as a "title").
MAX_TITLE_CHARS = 200
# Release years an LLM may set as bounds; anything else is a misreading (or noise), not a wish.
YEARS = range(1000, 3000)
_INT64 = 2**63


def json_safe(value: Any) -> Any:
    """``value`` with lone surrogates in strings made '?' and integers beyond 64 bits made None."""
    if isinstance(value, str):
        return value.encode("utf-8", "replace").decode("utf-8")
    if isinstance(value, int) and not isinstance(value, bool) and not -_INT64 <= value < _INT64:
        return None
    if isinstance(value, dict):
        return {json_safe(key): json_safe(item) for key, item in value.items()}
    if isinstance(value, list):
        return [json_safe(item) for item in value]
    return value


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
    mentioned_titles: list[str] = Field(
        default_factory=list, description="Items named without liking or refusing them ('I haven't seen X')."
    )
    soft: list[ValueRef] = Field(
        default_factory=list,
        description="Values the user leans to without insisting (moods such as 'funny', tags): they rank, not filter.",
    )
    recency: Literal["recent", "older"] | None = Field(
        default=None, description="A lean to newer or older items ('something recent', 'a classic')."
    )
    replace: bool = Field(
        default=False, description="True when the user changes topic ('actually, forget that...')."
    )
    suggested_titles: list[str] = Field(
        default_factory=list, max_length=MAX_TITLES, description="Items the LLM itself thinks fit."
    )
    wishes: str = Field(default="", description="Other wishes in a few words.")


def _arguments_text(value: Any) -> Any:
    """Arguments written as an object (scripts, lenient models) are taken as their JSON text."""
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False)
    return value


class PlanStep(BaseModel):
    """One tool call of a plan, as the LLM writes it."""

    tool: str = Field(description="Tool name, one of the tools listed.")
    arguments: Annotated[str, BeforeValidator(_arguments_text)] = Field(
        default="{}",
        description="The tool's arguments: a JSON object, written as a string.",
    )

    @classmethod
    def of(cls, tool: str, **arguments: Any) -> PlanStep:
        """A step calling ``tool`` with ``arguments`` (for scripts and tests)."""
        return cls(tool=tool, arguments=json.dumps(arguments, ensure_ascii=False))


class Plan(BaseModel):
    """The planner's one structured answer per turn."""

    understanding: LlmUnderstanding
    tool_calls: list[PlanStep] = Field(default_factory=list, max_length=MAX_PLANNED_CALLS)

    @model_validator(mode="before")
    @classmethod
    def _storable(cls, data: Any) -> Any:
        # JSON text that pydantic's parser refuses (lone surrogates) is re-read leniently and arrives
        # here as Python data (``crsagent.llm.structured.validate_output``).
        return json_safe(data)


def planned_calls(steps: list[PlanStep], notes: list[str]) -> list[PlannedCall]:
    """The steps as tool calls; a note in ``notes`` for each step left out (arguments not a JSON object)."""
    calls: list[PlannedCall] = []
    for step in steps:
        try:
            arguments = json_safe(json.loads(step.arguments or "{}"))
            if isinstance(arguments, dict):
                calls.append(PlannedCall(tool=step.tool, arguments=arguments))
                continue
            problem = f"its arguments must be a JSON object, not {type(arguments).__name__}"
        except json.JSONDecodeError as error:
            problem = f"its arguments are not JSON ({error.msg})"
        except ValueError as error:  # a number longer than Python's int parsing allows
            problem = str(error)
        except RecursionError:
            problem = "its arguments are nested too deeply"
        notes.append(f"LLM tool call {step.tool!r} left out: {problem}")
    return calls


def _values(refs: list[ValueRef], vocabulary: Vocabulary, notes: list[str]) -> list[ValueRef]:
    placed: list[ValueRef] = []
    for ref in refs:
        try:
            placed.append(ValueRef(type=ref.type, value=vocabulary.resolve(ref.type, ref.value)))
        except UnknownValueError as error:
            notes.append(f"LLM value dropped: {error}")
    return placed


def to_user_turn(
    understanding: LlmUnderstanding,
    grounder: Grounder,
    vocabulary: Vocabulary,
    shown: list[str],
    work: TurnWork,
) -> UserTurn:
    """Ground titles (shown items first, by exact title) and values; what could not be placed goes
    into ``work`` (dropped titles, notices), and so do the LLM's grounded suggestions."""
    catalog = grounder.catalog
    shown_by_title = {catalog.get(item_id).title.casefold(): item_id for item_id in shown}
    dropped, notes = work.dropped_titles, work.notices

    def ground(titles: list[str], limit: int = MAX_TITLES) -> list[str]:
        ids: list[str] = []
        for title in titles[:limit]:
            if not title.strip():
                continue  # an empty slot, not a name
            try:
                item_id = shown_by_title.get(title.strip().casefold()) or grounder.ground(title, k=1).item_id
            except GroundingError as error:  # no letters, or longer than any title
                notes.append(f"LLM title not grounded: {error}")
                item_id = None
            if item_id is None:
                dropped.append(title[:MAX_TITLE_CHARS])
            elif item_id not in ids:
                ids.append(item_id)
        return ids

    years: dict[str, int | None] = {}
    for name in ("year_min", "year_max"):
        year = getattr(understanding, name)
        if year is not None and year not in YEARS:
            notes.append(f"LLM {name} {year} dropped: not a plausible release year")
            year = None
        years[name] = year
    asked = ground([understanding.asked_title]) if understanding.asked_title else []
    turn = UserTurn(
        intent=understanding.intent,
        answer=understanding.answer,
        accepted=_values(understanding.accepted, vocabulary, notes),
        rejected=_values(understanding.rejected, vocabulary, notes),
        year_min=years["year_min"],
        year_max=years["year_max"],
        liked_items=ground(understanding.liked_titles, MAX_FEEDBACK_TITLES),
        accepted_items=ground(understanding.accepted_titles, MAX_FEEDBACK_TITLES),
        rejected_items=ground(understanding.rejected_titles, MAX_FEEDBACK_TITLES),
        mentioned_items=ground(understanding.mentioned_titles, MAX_FEEDBACK_TITLES),
        asked_item=asked[0] if asked else None,
        asked_attribute=understanding.asked_attribute if asked else None,
        soft=_values(understanding.soft, vocabulary, notes),
        recency=understanding.recency,
        replace=understanding.replace,
        wishes=understanding.wishes[:500],
    )
    if understanding.asked_title and not asked:
        turn.unplaced_titles.append(understanding.asked_title)
    work.suggested = ground(understanding.suggested_titles)
    return turn
