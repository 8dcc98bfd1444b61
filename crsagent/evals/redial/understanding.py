"""How well the agent's understanding reads real seeker messages.

* Movie mentions: over seeker messages that name mapped movies, recall and precision of the items
  the understood turn holds against ReDial's own placeholders; and the polarity given to each found
  movie (liked / disliked / neutral) against the seeker's questionnaire.
* Attribute mentions: over the hand-labelled messages of ``crsagent/evals/data`` (genres, people,
  decades, periods, each maybe negated), recall and precision per attribute type.

Each message is understood in context: the dialogue before it is replayed into the agent's memory
exactly as the stateless entry point does.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

from pydantic import BaseModel, Field

from crsagent.agent.conversation import replay_assistant, replay_user
from crsagent.agent.memory import Memory
from crsagent.agent.runtime import AgentRuntime
from crsagent.agent.turns import UserTurn
from crsagent.data.loaders.redial import RedialDialogue
from crsagent.evals.redial.render import Rendering, mentioned_ids, render_message
from crsagent.understanding.surfaces import PERSON_TYPES

LABELS_FILE = "redial_attribute_labels.jsonl"
_FEEDBACK_POLARITY = {0: "disliked", 1: "liked", 2: "neutral"}


class LabelledAttribute(BaseModel):
    type: str = Field(description="genre, person, decade or period.")
    value: str
    negated: bool = False


class LabelledMessage(BaseModel):
    conversation_id: str
    message_id: str
    attributes: list[LabelledAttribute] = Field(default_factory=list)
    vague: list[str] = Field(default_factory=list)


def read_labels() -> list[LabelledMessage]:
    """The shipped hand labels."""
    text = resources.files("crsagent.evals").joinpath("data", LABELS_FILE).read_text(encoding="utf-8")
    return [LabelledMessage.model_validate_json(line) for line in text.splitlines() if line.strip()]


@dataclass
class SeekerMessage:
    """A seeker message, rendered, with the memory before it."""

    dialogue: RedialDialogue
    message_id: str
    text: str
    movies: list[str]
    memory: Memory


def seeker_messages(
    rt: AgentRuntime, dialogues: Sequence[RedialDialogue], rendering: Rendering
) -> Iterator[SeekerMessage]:
    """Every seeker message of ``dialogues`` with the agent's memory of what came before."""
    for dialogue in dialogues:
        memory = Memory()
        for message in dialogue.messages:
            text = render_message(dialogue, message, rendering)
            if message.sender_id == dialogue.seeker_id:
                yield SeekerMessage(dialogue, message.message_id, text, mentioned_ids(message), memory)
                memory = replay_user(rt, memory, text)
            else:
                memory = replay_assistant(rt, memory, text)


def understood_items(turn: UserTurn) -> dict[str, str]:
    """Item id -> polarity the turn gives it."""
    items: dict[str, str] = {}
    for item_id in [*turn.liked_items, *turn.accepted_items]:
        items.setdefault(item_id, "liked")
    for item_id in turn.rejected_items:
        items.setdefault(item_id, "disliked")
    for item_id in turn.mentioned_items:
        items.setdefault(item_id, "neutral")
    if turn.asked_item:
        items.setdefault(turn.asked_item, "neutral")
    return items


def understood_attributes(turn: UserTurn) -> set[tuple[str, str, bool]]:
    """(type, value, negated) the turn states, in the labels' vocabulary."""
    found: set[tuple[str, str, bool]] = set()
    # A soft value is stated as much as a hard one ("funny" names Comedy; "I love Tarantino" names
    # him): strength decides filtering, not whether it was understood.
    for refs, negated in ((turn.accepted, False), (turn.soft, False), (turn.rejected, True)):
        for ref in refs:
            kind = "person" if ref.type in PERSON_TYPES else ref.type
            if kind in ("genre", "person", "decade"):
                found.add((kind, ref.value, negated))
    low, high = turn.year_min, turn.year_max
    if low is not None and high is not None and low % 10 == 0 and high % 10 == 9:
        found.update(("decade", f"{start}s", False) for start in range(low, high + 1, 10))
    if turn.recency is not None:
        found.add(("period", turn.recency, False))
    return found


@dataclass
class _Tally:
    gold: int = 0
    found: int = 0
    correct: int = 0

    def add(self, gold: int, found: int, correct: int) -> None:
        self.gold, self.found, self.correct = self.gold + gold, self.found + found, self.correct + correct

    def rates(self, name: str) -> dict[str, float | int]:
        return {
            f"{name}_recall": self.correct / self.gold if self.gold else 0.0,
            f"{name}_precision": self.correct / self.found if self.found else 0.0,
            f"{name}_gold": self.gold,
        }


@dataclass
class UnderstandingResult:
    metrics: dict[str, Any]
    misreadings: list[dict[str, Any]] = field(default_factory=list)


def movie_mention_accuracy(
    rt: AgentRuntime, dialogues: Sequence[RedialDialogue], to_catalog: Mapping[str, str], rendering: Rendering
) -> UnderstandingResult:
    """Recall / precision of movie mentions and polarity accuracy, over seeker messages naming mapped movies."""
    tally, named = _Tally(), _Tally()
    polarity = Counter[str]()
    misreadings: list[dict[str, Any]] = []
    messages = 0
    for seeker in seeker_messages(rt, dialogues, rendering):
        gold = {
            to_catalog[m]: m for m in seeker.movies if m in to_catalog and to_catalog[m] in rt.dataset.catalog
        }
        if not gold:
            continue
        messages += 1
        turn = rt.nlu.understand(seeker.text, seeker.memory.context())
        found = understood_items(turn)
        hits = set(found) & set(gold)
        tally.add(len(gold), len(found), len(hits))
        # "that one", "the second", "seen it": items the recommender had just named, which the seeker
        # points back to without naming. ReDial marks only names, so these are reported apart.
        references = {i for i in found if i not in gold and i in seeker.memory.shown}
        named.add(len(gold), len(found) - len(references), len(hits))
        for item_id in hits:
            answer = seeker.dialogue.seeker_feedback.get(gold[item_id])
            if answer is not None:
                polarity["judged"] += 1
                polarity["correct"] += found[item_id] == _FEEDBACK_POLARITY[answer.liked]
        if set(gold) - hits or set(found) - set(gold):
            misreadings.append(
                {
                    "text": seeker.text,
                    "expected": [rt.dataset.catalog.get(i).title for i in gold],
                    "understood": [rt.dataset.catalog.get(i).title for i in found],
                }
            )
    metrics: dict[str, Any] = {"movie_messages": messages, **tally.rates("movie")}
    metrics["movie_precision_named"] = named.rates("named")["named_precision"]
    metrics["movie_references_to_shown"] = tally.found - named.found
    metrics["movie_polarity_accuracy"] = (
        polarity["correct"] / polarity["judged"] if polarity["judged"] else 0.0
    )
    metrics["movie_polarity_judged"] = polarity["judged"]
    return UnderstandingResult(metrics, misreadings)


def attribute_accuracy(
    rt: AgentRuntime,
    dialogues: Sequence[RedialDialogue],
    labels: Sequence[LabelledMessage],
    rendering: Rendering,
) -> UnderstandingResult:
    """Recall / precision per attribute type over the labelled messages (negation must match too)."""
    wanted = {(label.conversation_id, label.message_id): label for label in labels}
    by_type: dict[str, _Tally] = {}
    misreadings: list[dict[str, Any]] = []
    seen = 0
    conversations = {label.conversation_id for label in labels}
    for seeker in seeker_messages(
        rt, [d for d in dialogues if d.conversation_id in conversations], rendering
    ):
        label = wanted.get((seeker.dialogue.conversation_id, seeker.message_id))
        if label is None:
            continue
        seen += 1
        turn = rt.nlu.understand(seeker.text, seeker.memory.context())
        found = understood_attributes(turn)
        gold = {(a.type, a.value, a.negated) for a in label.attributes}
        for kind in {k for k, _, _ in gold | found}:
            wanted_here = {g for g in gold if g[0] == kind}
            found_here = sum(1 for f in found if f[0] == kind)
            by_type.setdefault(kind, _Tally()).add(len(wanted_here), found_here, len(wanted_here & found))
        if gold != found:
            misreadings.append({"text": seeker.text, "expected": sorted(gold), "understood": sorted(found)})
    metrics: dict[str, Any] = {"attribute_messages": seen, "attribute_messages_labelled": len(labels)}
    overall = _Tally()
    for kind, tally in sorted(by_type.items()):
        metrics.update(tally.rates(f"attribute_{kind}"))
        overall.add(tally.gold, tally.found, tally.correct)
    metrics.update(overall.rates("attribute"))
    return UnderstandingResult(metrics, misreadings)
