"""Offline natural-language understanding: user text -> ``UserTurn`` from the catalog's own words.

No model, no network: the catalog spotter (``crsagent.understanding``: every title, person, genre,
mood, decade and tag of the catalog), a small lexicon of English dialogue phrases
(``understanding.lexicon``) and the agent's previous turn (``TurnContext``). Deterministic; a few
milliseconds per message. Layers run in order and each marks the tokens it used, so a word is read
once: restart / answer phrases, the offered values an answer names, the catalog's things in their
clauses (``catalog_reading``), shown items, years. Negation ("no horror", "I hate musicals",
"horror is not for me") flips whatever it reaches up to the end of the clause.

Messages are capped at ``MAX_MESSAGE_CHARS`` characters (and ``MAX_TOKENS`` tokens) before
anything else; ``wishes`` carries at most ``MAX_WISHES_CHARS`` of the original text.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from crsagent.agent.catalog_reading import CatalogReader, CatalogReading
from crsagent.agent.turns import Intent, TurnContext, UserTurn, ValueRef
from crsagent.data.catalog import Catalog
from crsagent.understanding import lexicon
from crsagent.understanding.message import MAX_MESSAGE_CHARS, MAX_TOKENS, Message, fold_tokens
from crsagent.understanding.offered import OfferedValues
from crsagent.understanding.polarity import ANSWER_WORDS, Answer, Polarity, analyse_polarity, detect_answer
from crsagent.understanding.shown import ShownItems, ShownRefs
from crsagent.understanding.spotter import CatalogSpotter
from crsagent.understanding.surfaces import PERSON_TYPES
from crsagent.understanding.vague import VagueMatcher
from crsagent.understanding.years import YearFacts, add_eras, parse_years

__all__ = ["MAX_MESSAGE_CHARS", "MAX_TOKENS", "MAX_WISHES_CHARS", "OfflineNLU"]

MAX_WISHES_CHARS = 500
# Words that carry no wish of their own: a message made only of these (and understood parts) has
# empty ``wishes``.
_EMPTY_WORDS = (
    lexicon.STOPWORDS
    | lexicon.SOCIAL
    | lexicon.FILLERS
    | lexicon.MEDIA_NOUNS
    | lexicon.FEEDBACK_WORDS
    | lexicon.POSITION_MARKERS
    | frozenset(lexicon.ORDINALS)
    | frozenset(lexicon.NUMBER_WORDS)
    | ANSWER_WORDS
)


@dataclass
class _Found:
    """Everything the layers found, before it becomes a ``UserTurn``."""

    accepted: list[ValueRef] = field(default_factory=list)
    rejected: list[ValueRef] = field(default_factory=list)
    value_tokens: set[int] = field(default_factory=set)
    """Tokens read as values or years."""

    def add(self, ref: ValueRef, negated: bool, tokens: range) -> None:
        target, other = (self.rejected, self.accepted) if negated else (self.accepted, self.rejected)
        if ref not in target and ref not in other:
            target.append(ref)
        self.value_tokens.update(tokens)


class OfflineNLU:
    """Understands English messages about one catalog without a language model.

    Titles, people, genres, moods and tags come from the catalog spotter (one per catalog, shared
    with the agent); this class adds the dialogue around them: answers to the agent's question,
    feedback on the items it showed, years, negation. Indexes are built on first use (or by
    ``prepare``).
    """

    vague: VagueMatcher | None = None
    """Leftover words matched by meaning to soft genres / tags (set by the agent runtime; None: off)."""

    def __init__(self, catalog: Catalog, spotter: CatalogSpotter | None = None) -> None:
        self.catalog = catalog
        self.spotter = spotter or CatalogSpotter(catalog)

    @cached_property
    def _values_by_spelling(self) -> dict[tuple[str, ...], list[tuple[str, str]]]:
        """Folded spelling -> ``(type, value)`` of every catalog value but years (decade answers)."""
        index: dict[tuple[str, ...], list[tuple[str, str]]] = {}
        for attribute_type, values in self.catalog.vocabulary.items():
            if attribute_type == "year":
                continue
            for value in values:
                index.setdefault(fold_tokens(value), []).append((attribute_type, value))
        return index

    def _find_value(self, spellings: list[str], types: list[str]) -> tuple[str, str] | None:
        """The first ``(type, value)`` spelled as one of ``spellings`` among ``types``."""
        for spelling in spellings:
            for attribute_type, value in self._values_by_spelling.get(fold_tokens(spelling), []):
                if attribute_type in types:
                    return attribute_type, value
        return None

    @cached_property
    def _reader(self) -> CatalogReader:
        return CatalogReader(self.spotter)

    @cached_property
    def _shown(self) -> ShownItems:
        return ShownItems(self.catalog)

    @cached_property
    def newest_year(self) -> int | None:
        """Release year of the newest item (None when the catalog has no years)."""
        years = self.catalog.years  # the catalog's columns: no Item is built
        return int(np.nanmax(years)) if np.isfinite(years).any() else None

    def prepare(self) -> OfflineNLU:
        """Builds every index now (values, common words, titles, phrase tables) rather than on the
        first messages, so that later calls all cost the same."""
        _ = self._values_by_spelling, self.newest_year, self.catalog.title_index
        self.spotter.prepare()
        offered = next(iter(self.catalog.vocabulary.items()), ("genre", ["x"]))
        self.understand(
            "yes, more like X after 2000", TurnContext(asked_type=offered[0], asked_values=offered[1][:2])
        )
        return self

    def understand(self, text: str, context: TurnContext | None = None) -> UserTurn:
        """The ``UserTurn`` of one message, given what the agent did last (default: nothing).

        Any string is understood without an exception; a non-string or a ``context`` naming
        items the catalog lacks is a programming error and raises ``TypeError`` /
        ``UnknownItemError``.
        """
        if not isinstance(text, str):
            raise TypeError(f"understand() needs the message as str, got {type(text).__name__}")
        context = context or TurnContext()
        shown = list(context.shown_items)
        for item_id in shown:
            self.catalog.index_of(item_id)  # a clear error for an id the catalog lacks
        message = Message(text)
        polarity = analyse_polarity(message)
        answer, answer_tokens = detect_answer(message)
        usable = [i not in polarity.cue_tokens and i not in answer_tokens for i in range(len(message))]
        found = _Found()
        asked_type = context.asked_type
        offered = list(context.asked_values) if asked_type else []
        spots: list[tuple[int, int, str, str]] = []  # start, end, type, value
        if asked_type and offered:  # an answer to the question first: "the first", "comedy"
            named = OfferedValues(asked_type, offered).spot(message, usable)
            spots += [(start, end, asked_type, value) for start, end, value in named]
            if len(offered) > 1:
                positions = self._shown.position_hits(message, usable, offered)
                spots += [(start, end, asked_type, value) for start, end, value in positions]
        # Then the catalog, on every other word: a title may hold cue or answer words ("I saw It (2017)").
        read_mask = [not any(s[0] <= i < s[1] for s in spots) for i in range(len(message))]
        catalog = self._reader.read(message, polarity, read_mask, shown, answer_tokens | polarity.cue_tokens)
        usable = [u and r for u, r in zip(usable, read_mask, strict=True)]
        refs = ShownRefs()
        if shown and not (asked_type and len(offered) > 1):
            refs = self._shown.find(message, usable, shown, polarity.negated, polarity.seen_clauses)
        years = parse_years(message, usable, polarity.negated)
        values = [
            (start, ValueRef(type=attribute_type, value=value), any(polarity.negated[start:end]))
            for start, end, attribute_type, value in spots
        ]
        values += catalog.hard
        for _, ref, negated in sorted(values, key=lambda v: v[0]):  # in reading order
            found.add(ref, negated, range(0))
        found.value_tokens.update(i for start, end, _, _ in spots for i in range(start, end))
        found.value_tokens.update(catalog.value_tokens)
        self._years_to_values(years, asked_type, found)
        return self._assemble(message, polarity, answer, usable, found, years, catalog, refs, context)

    def _years_to_values(self, years: YearFacts, asked_type: str | None, found: _Found) -> None:
        """Decades become values when the agent asked about that type or the catalog has no years."""
        plain = []
        value_types = [t for t in self.catalog.vocabulary if t != "year" and t not in PERSON_TYPES]
        for era in years.eras:
            tokens = range(era.start, era.end)
            if era.decade is None:
                if asked_type == "year" and "year" in self.catalog.vocabulary and not era.negated:
                    found.add(ValueRef(type="year", value=str(era.low)), False, tokens)
                else:
                    plain.append(era)
                continue
            spellings = [f"{era.decade}s", f"{era.decade % 100:02d}s"]
            value = self._find_value(spellings, [asked_type]) if asked_type else None
            if value is None and (self.newest_year is None or era.negated):
                # No years to bound, or a refused decade a year range cannot express.
                value = self._find_value(spellings, value_types)
            if value is not None:
                found.add(ValueRef(type=value[0], value=value[1]), era.negated, tokens)
            else:
                plain.append(era)
                found.value_tokens.update(tokens)
        if self.newest_year is not None:
            add_eras(years, plain)

    def _assemble(
        self,
        message: Message,
        polarity: Polarity,
        answer: Answer | None,
        usable: list[bool],
        found: _Found,
        years: YearFacts,
        catalog: CatalogReading,
        refs: ShownRefs,
        context: TurnContext,
    ) -> UserTurn:
        """The turn from what the layers left: mentions, the answer or feedback, values, wishes, intent."""
        turn = UserTurn(
            intent=Intent.OTHER,
            year_min=years.year_min,
            year_max=years.year_max,
            soft=catalog.soft,
            recency=catalog.recency,
            asked_item=catalog.asked,
            asked_attribute=catalog.asked_attribute,
        )
        if message.norms[:1] == ["why"] and not catalog.open_asks and catalog.asked is None:
            catalog.open_asks.append((0, 1, "why"))  # "why?", "why though": the list just shown
        for start, end, attribute in catalog.open_asks:  # "who directed it?": a shown item
            ids = self._shown.reference(message, start, end, context.shown_items)
            if attribute == "why":  # "why that one?" points at the top of the list unless it says which
                turn.asked_item = (ids or context.shown_items or [None])[0]
                turn.asked_attribute = attribute
                break
            if ids:
                turn.asked_item, turn.asked_attribute = ids[0], attribute
                break
            if not any(i in found.value_tokens for i in range(start, end)):
                turn.asked_attribute = attribute
                turn.unplaced_titles.append(message.surface(start, end).strip('"').strip())
                break
        _extend(turn.unplaced_titles, catalog.unplaced)
        if catalog.relative_to is not None:  # "newer than Alien": a bound, not just a lean
            year = self.catalog.get(catalog.relative_to).year
            if year is not None and catalog.recency == "recent" and turn.year_min is None:
                turn.year_min = year + 1
            elif year is not None and catalog.recency == "older" and turn.year_max is None:
                turn.year_max = year - 1
        shown = set(context.shown_items)
        _extend(turn.liked_items, [i for i in catalog.liked if i not in shown])
        _extend(refs.accepted, [i for i in catalog.liked if i in shown])
        _extend(turn.rejected_items, catalog.rejected)
        _extend(turn.mentioned_items, catalog.mentioned)
        asked_item_found = turn.asked_item is not None or turn.asked_attribute is not None
        question = context.asked_type is not None
        if question:
            self._apply_answer(turn, context, answer, found)
        elif context.shown_items and not (turn.liked_items or turn.rejected_items or turn.asked_item):
            _apply_feedback(refs, answer, polarity, context.shown_items)
        turn.accepted, turn.rejected = found.accepted, found.rejected
        _extend(turn.accepted_items, refs.accepted)
        _extend(turn.rejected_items, refs.rejected)
        residual = [
            i
            for i, word in enumerate(message.norms)
            if usable[i]
            and message.tokens[i].is_word
            and word not in _EMPTY_WORDS
            and i not in found.value_tokens
        ]
        if residual:
            turn.wishes = message.text[:MAX_WISHES_CHARS]
            if self.vague is not None:  # vague words by meaning: soft values, never filters
                for match in self.vague.match_words(message, residual, polarity.negated):
                    ref = ValueRef(type=match.type, value=match.value)
                    if ref not in turn.soft and ref not in turn.accepted and ref not in turn.rejected:
                        turn.soft.append(ref)
                        turn.vague_words.append(match.describe())
        answered = (
            turn.answer is not None
            or answer in {Answer.NO_PREFERENCE, Answer.ALL, Answer.NONE}
            or any(ref.type == context.asked_type for ref in [*found.accepted, *found.rejected])
        )
        if polarity.restart:
            turn.intent = Intent.RESTART
        elif asked_item_found:
            turn.intent = Intent.ASK_ITEM
        elif question and answered:
            turn.intent = Intent.ANSWER
        elif refs.accepted or refs.rejected or set(turn.rejected_items) & set(context.shown_items):
            turn.intent = Intent.FEEDBACK
        elif (
            turn.accepted
            or turn.rejected
            or turn.year_min is not None
            or turn.year_max is not None
            or turn.liked_items
            or turn.rejected_items
            or turn.mentioned_items
            or turn.soft
            or turn.recency
            or turn.wishes
            or catalog.show_now
        ):
            turn.intent = Intent.REQUEST
        turn.show_now = catalog.show_now and turn.intent in (Intent.REQUEST, Intent.OTHER)
        if turn.show_now:
            turn.intent, turn.wishes = Intent.REQUEST, ""
        turn.replace = (
            catalog.topic_change
            and turn.intent is Intent.REQUEST
            and bool(turn.accepted or turn.soft or turn.liked_items or turn.year_min or turn.year_max)
        )
        return turn

    def _apply_answer(
        self, turn: UserTurn, context: TurnContext, answer: Answer | None, found: _Found
    ) -> None:
        """Yes / no / a choice among offered values, tied to the asked type."""
        asked_type = context.asked_type
        assert asked_type is not None
        offered = [ValueRef(type=asked_type, value=v) for v in context.asked_values]
        if answer in {Answer.YES, Answer.ALL} and (len(offered) == 1 or answer is Answer.ALL):
            for ref in offered:
                found.add(ref, False, range(0))
        elif answer in {Answer.NO, Answer.NONE} and not any(ref in found.accepted for ref in offered):
            for ref in offered:
                found.add(ref, True, range(0))
        if answer in {Answer.YES, Answer.ALL}:
            turn.answer = "yes"
        elif answer in {Answer.NO, Answer.NONE}:
            turn.answer = "no"
        elif offered:  # no answer phrase, or "I don't mind comedy": the offered values decide
            if any(ref in found.accepted for ref in offered):
                turn.answer = "yes"
            elif any(ref in found.rejected for ref in offered):
                turn.answer = "no"


def _apply_feedback(refs: ShownRefs, answer: Answer | None, polarity: Polarity, shown: list[str]) -> None:
    """A bare "no" / "none of these" / "seen them" / "yes" about the shown items."""
    if refs.accepted or refs.rejected:
        return
    # "Seen it" with several items shown names none of them: like "no", it turns the list down.
    if answer in {Answer.NO, Answer.NONE} or polarity.seen_clauses:
        refs.rejected.extend(shown)
    elif answer is Answer.ALL or (answer is Answer.YES and len(shown) == 1):
        refs.accepted.extend(shown)


def _extend(target: list[str], ids: list[str]) -> None:
    for item_id in ids:
        if item_id not in target:
            target.append(item_id)
