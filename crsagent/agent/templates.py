"""Offline replies: questions, recommendation lists with graph reasons, item answers. No model.

Every item line is built from a catalog item (so it carries an id); reasons come from graph paths
(``knowledge_graph.explain``), or, when no path connects the item to what the user said, from its
own most telling attributes.
"""

from __future__ import annotations

from crsagent.agent.reply import Question, ReplyItem
from crsagent.data.item import Item
from crsagent.data.titles import reading_title
from crsagent.knowledge_graph.explain import explain
from crsagent.knowledge_graph.graph import KnowledgeGraph

# Attribute types shown on item cards, in this order, when the item has them.
CARD_TYPES = ("genre", "director", "cast", "tag", "decade")
CARD_VALUES = 3

_YES_NO = {
    "genre": "Are you in the mood for something {value}?",
    "director": "Do you like {noun}s directed by {value}?",
    "writer": "Do you like {noun}s written by {value}?",
    "cast": "Would you like something with {value}?",
    "decade": "Are you after something from the {value}?",
    "tag": "Should it be {value}?",
}
_CHOOSE = {
    "genre": "Which of these genres appeals to you: {values}?",
    "director": "Do any of these directors appeal to you: {values}?",
    "writer": "Do any of these writers appeal to you: {values}?",
    "cast": "Would you like someone in it like {values}?",
    "decade": "Which period do you prefer: {values}?",
    "tag": "Which of these fits what you want: {values}?",
}


def item_noun(dataset_name: str) -> str:
    """What the catalog's items are called in replies."""
    name = dataset_name.casefold()
    if "lastfm" in name:
        return "artist"
    # MovieLens, ReDial and the demo are films; an imported catalog's items are just items.
    return "film" if name.startswith(("ml-", "movielens", "redial", "demo")) else "item"


def join_words(values: list[str], last: str = "and") -> str:
    """Words as prose: "a", "a and b", "a, b and c" (``last`` joins the last two)."""
    return values[0] if len(values) == 1 else f"{', '.join(values[:-1])} {last} {values[-1]}"


def question_for(attribute: str, values: list[str], noun: str) -> Question:
    """The question offering ``values`` of one attribute type."""
    if len(values) == 1:
        template = _YES_NO.get(attribute, "Do you want {noun}s with " + attribute + " {value}?")
        text = template.format(value=values[0], noun=noun)
    else:
        template = _CHOOSE.get(attribute, "Which " + attribute + " do you prefer: {values}?")
        text = template.format(values=join_words(values, "or"), noun=noun)
    return Question(attribute=attribute, values=values, text=text)


def card(item: Item, reasons: list[str]) -> ReplyItem:
    """An item as a card: title, year, a few values of the key attribute types, reasons."""
    attributes = {t: item.values(t)[:CARD_VALUES] for t in CARD_TYPES if item.values(t)}
    title = reading_title(item.title)
    return ReplyItem(id=item.id, title=title, year=item.year, attributes=attributes, reasons=reasons)


def fallback_reason(item: Item) -> str:
    """A reason from the item's own attributes when no graph path links it to the user's words."""
    for attribute, phrase in (("director", "directed by {}"), ("genre", "a {} pick"), ("tag", "tagged {}")):
        values = item.values(attribute)
        if values:
            return phrase.format(join_words(values[:2]))
    return "a strong match for what you told me"


# Shared values that make a poor reason on their own ("shares year 1995 with Heat").
WEAK_REASON_TYPES = frozenset({"year"})


def reasons_for(kg: KnowledgeGraph, index: int, liked: list[int], accepted: list[int]) -> list[str]:
    """Up to two reasons, graph paths first; a weak relation only when nothing better links them."""
    paths = explain(kg, index, liked_items=liked, accepted_values=accepted, limit=8)
    strong = [reason.text for reason in paths if reason.relation not in WEAK_REASON_TYPES]
    found = strong[:2] or [reason.text for reason in paths[:1]]
    return found or [fallback_reason(kg.catalog.at(index))]


def display_title(item: Item) -> str:
    """Title in reading order ("The Matrix", not "Matrix, The"), with the year unless it carries one."""
    title = reading_title(item.title)
    if item.year is not None and str(item.year) not in title:
        return f"{title} ({item.year})"
    return title


def list_text(items: list[ReplyItem], noun: str) -> str:
    """A numbered list, one reason per line."""
    one = len(items) == 1
    lines = [f"Here {'is a' if one else 'are some'} {noun}{'' if one else 's'} you might like:"]
    for number, item in enumerate(items, start=1):
        year = "" if item.year is None or str(item.year) in item.title else f" ({item.year})"
        reason = f" — {item.reasons[0]}" if item.reasons else ""
        lines.append(f"{number}. {item.title}{year}{reason}")
    return "\n".join(lines)


def item_answer(item: Item, attribute: str | None) -> str:
    """Answer a question about one item ("who directed X?", "what is X about?")."""
    title = display_title(item)
    if attribute == "year":
        return (
            f"{title} came out in {item.year}." if item.year else f"I don't know when {item.title} came out."
        )
    if attribute == "text":
        return f"{title}: {item.text}" if item.text else f"I have no description of {item.title}."
    if attribute:
        values = item.values(attribute)
        if not values:
            return f"The catalog lists no {attribute} for {title}."
        verb = {"director": "was directed by", "writer": "was written by", "cast": "stars"}.get(attribute)
        if verb:
            return f"{title} {verb} {join_words(values[:5])}."
        return f"{title} — {attribute}: {', '.join(values[:8])}."
    facts = [
        f"{t}: {', '.join(item.values(t)[:4])}"
        for t in ("genre", "director", "cast", "tag")
        if item.values(t)
    ]
    return f"{title}. " + "; ".join(facts) + ("." if facts else "")


def greeting(noun: str) -> str:
    """The opening prompt when the user has not said anything usable yet."""
    return (
        f"Hi! Tell me what kind of {noun} you're after — a genre, a person, a period, "
        f"or a {noun} you liked — and I'll find something for you."
    )
