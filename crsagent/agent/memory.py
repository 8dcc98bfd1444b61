"""What the agent remembers of a conversation, and how one understood turn updates it.

Values are graph keys (``type:value``), items are catalog ids: small, serialisable, and all the
policy needs. ``apply_turn`` is pure: it returns the new memory and notes for the trace.
"""

from __future__ import annotations

from pydantic import BaseModel, Field

from crsagent.agent.reply import Question
from crsagent.agent.turns import Intent, TurnContext, UserTurn, ValueRef
from crsagent.knowledge_graph.graph import AttributeValue, KnowledgeGraph

# Attribute types where a new request replaces the earlier one rather than adding to it.
REPLACED_TYPES = frozenset({"genre", "decade"})


class Memory(BaseModel):
    """The durable facts of one conversation."""

    user: int | None = Field(default=None, description="Dataset user index, when the caller gave one.")
    accepted: list[str] = Field(default_factory=list, description="Values the user wants (type:value).")
    rejected: list[str] = Field(default_factory=list, description="Values the user does not want.")
    skipped: list[str] = Field(
        default_factory=list,
        description="Values offered in a question the user did not answer: not re-asked.",
    )
    liked_items: list[str] = Field(default_factory=list, description="Items the user likes ('more like X').")
    accepted_items: list[str] = Field(default_factory=list, description="Recommended items the user took.")
    rejected_items: list[str] = Field(
        default_factory=list, description="Items the user turned down or has seen."
    )
    year_min: int | None = None
    year_max: int | None = None
    soft: list[str] = Field(
        default_factory=list, description="Soft preferences (type:value): they rank, not filter."
    )
    recency: str | None = Field(default=None, description="A lean to 'recent' or 'older' items.")
    since: dict[str, int] = Field(
        default_factory=dict,
        description="The user turn each hard preference came from (value keys, 'year_min', 'year_max'): "
        "relaxation drops the oldest first.",
    )
    question: Question | None = Field(default=None, description="The question the agent asked last turn.")
    shown: list[str] = Field(default_factory=list, description="Items shown last turn, in order.")
    actions: int = Field(default=0, description="Questions and lists so far (the policy's turn counter).")
    turns: int = Field(default=0, description="User messages so far.")
    questions_in_a_row: int = Field(default=0, description="Questions since the last list.")

    def context(self) -> TurnContext:
        """What understanding needs to know about the previous agent turn."""
        question = self.question
        return TurnContext(
            asked_type=question.attribute if question else None,
            asked_values=list(question.values) if question else [],
            shown_items=list(self.shown),
        )


def _move(key: str, into: list[str], out_of: list[str]) -> None:
    if key in out_of:
        out_of.remove(key)
    if key not in into:
        into.append(key)


def value_key(kg: KnowledgeGraph, ref: ValueRef) -> str | None:
    """The graph key of ``ref``, or None when the graph has no such value."""
    value = AttributeValue(ref.type, ref.value)
    try:
        kg.value_id(value)
    except KeyError:
        return None
    return value.key


def apply_turn(memory: Memory, turn: UserTurn, kg: KnowledgeGraph) -> tuple[Memory, list[str]]:
    """The memory after ``turn``, and notes on what could not be used."""
    if turn.intent == Intent.RESTART:
        return Memory(user=memory.user, turns=memory.turns + 1), []
    new = memory.model_copy(deep=True)
    new.turns += 1
    if turn.replace:  # a change of topic: what was asked before no longer applies; rejections stay
        new.accepted, new.rejected, new.soft, new.skipped = [], [], [], []
        new.liked_items, new.recency, new.year_min, new.year_max, new.since = [], None, None, None, {}
    notes: list[str] = []
    touched: set[str] = set()
    # A new genre or decade the user asks for replaces the one asked for before ("a horror film",
    # then "a drama"); picking one the agent offered in its question adds up instead, as do people.
    offered = set(memory.question.values) if memory.question is not None else set()
    for ref in turn.accepted:
        if ref.type in REPLACED_TYPES and ref.value not in offered and turn.intent != Intent.FEEDBACK:
            new.accepted = [k for k in new.accepted if not k.startswith(f"{ref.type}:")]
    for refs, into, out_of in (
        (turn.accepted, new.accepted, new.rejected),
        (turn.rejected, new.rejected, new.accepted),
    ):
        for ref in refs:
            key = value_key(kg, ref)
            if key is None:
                notes.append(f"ignored unknown value {ref.type}:{ref.value}")
                continue
            _move(key, into, out_of)
            touched.add(key)
    question = memory.question
    if question is not None:
        offered = [f"{question.attribute}:{value}" for value in question.values]
        if turn.answer is not None and question.yes_no and offered[0] not in touched:
            yes = turn.answer == "yes"
            _move(offered[0], new.accepted if yes else new.rejected, new.rejected if yes else new.accepted)
            touched.add(offered[0])
        elif turn.answer == "no" and not touched.intersection(offered):
            for key in offered:  # "no" to "which of these?" turns all of them down
                _move(key, new.rejected, new.accepted)
                touched.add(key)
        for key in offered:  # an unanswered offer is not asked again
            if key not in touched and key not in new.skipped:
                new.skipped.append(key)
    for ref in turn.soft:
        key = value_key(kg, ref)
        if key is not None and key not in new.soft and key not in new.accepted:
            new.soft.append(key)
    if turn.recency is not None:
        new.recency = turn.recency
    if turn.year_min is not None:
        new.year_min = turn.year_min
        new.since["year_min"] = new.turns
    if turn.year_max is not None:
        new.year_max = turn.year_max
        new.since["year_max"] = new.turns
    for key in touched:
        new.since[key] = new.turns
    if new.year_min is not None and new.year_max is not None and new.year_min > new.year_max:
        notes.append(f"years {new.year_min}-{new.year_max} are reversed; kept the latest bound only")
        new.year_min, new.year_max = (
            (None, new.year_max) if turn.year_max is not None else (new.year_min, None)
        )
    for item_id in turn.liked_items:
        _move(item_id, new.liked_items, new.rejected_items)
    for item_id in turn.accepted_items:
        _move(item_id, new.accepted_items, new.rejected_items)
    for item_id in turn.rejected_items:
        _move(item_id, new.rejected_items, new.liked_items)
        if item_id in new.accepted_items:
            new.accepted_items.remove(item_id)
    return new, notes
