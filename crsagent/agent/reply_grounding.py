"""Grounding of the text an LLM writes into a reply: every item name in it is one the catalog supplied.

The LLM writes the lead (a sentence or two before the templated body). Its items are grounded by
id; its text must be too. Two checks, both over the whole lead:

1. Catalog titles. The catalog spotter finds every title the catalog knows, however it is written
   (any case, with a year, "The Matrix" for "Matrix, The", misspelt after a cue word such as
   "loved"). Each must be an item shown this turn or one the facts name (a reason such as "shares
   director Michael Mann with Heat (1995)").
2. Titles the catalog does not know. Spans that look like titles (``title_spans``: capitalised runs,
   quoted or emphasised spans, "X (1999)") must be made of what the turn supplied: the shown titles,
   their attributes and reasons, the question and its values, the templated body, or names the
   spotter reads as something other than a title (a person, a genre). A capital that only opens a
   sentence says nothing, so that word may be anything.
3. Titles the plan named that grounding could not place (``dropped``) may not occur at all, quoted
   or not, in any case, unless the facts hold them too.

A name that fails a check means the lead is replaced by the template, and the name is counted.
Not caught: an invented title written in lower case with no cue ("try midnight harbor"): nothing
tells it from prose.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from pydantic import BaseModel, ConfigDict, Field
from wordfreq import zipf_frequency

from crsagent.agent.reply import Question, ReplyItem
from crsagent.agent.title_spans import CONNECTORS, TitleSpan, TitleSpanLimits, norms, title_spans
from crsagent.data.text import move_trailing_article, normalize_title, split_title_year
from crsagent.understanding.spotter import CatalogSpotter, Mention


class ReplyGroundingLimits(BaseModel):
    """Bounds of the reply-text check."""

    model_config = ConfigDict(frozen=True)

    spans: TitleSpanLimits = Field(
        default_factory=TitleSpanLimits, description="What counts as a title-like span."
    )
    max_phrase_words: int = Field(
        default=8,
        ge=2,
        le=16,
        description="Longest run of words taken from the facts in one piece (longer spans are covered "
        "by several pieces).",
    )
    prose_word_zipf: float = Field(
        default=3.5,
        ge=0.0,
        le=8.0,
        description="A one-word catalog title written in lower case at least this common in English "
        "(Zipf scale: 'shine' 4.2, 'heat' 4.9) is prose, not a name.",
    )
    prose_phrase_zipf: float = Field(
        default=5.0,
        ge=0.0,
        le=8.0,
        description="Likewise for a title of several words ('the one' 6.5, 'the game' 5.7 are prose; "
        "'the matrix' 4.1, 'jurassic park' 3.5 are names).",
    )


@dataclass
class KnownPhrases:
    """Word sequences the turn supplied: whole names (any length) and runs of 2+ words of its texts."""

    max_words: int
    names: set[tuple[str, ...]] = field(default_factory=set)
    runs: set[tuple[str, ...]] = field(default_factory=set)

    def add_name(self, name: str) -> None:
        """A name and its common variants: without its year, "The Matrix" and "Matrix"."""
        body, year = split_title_year(name)
        for variant in {name, body, move_trailing_article(body)}:
            words = norms(variant)
            if words:
                self.names.add(words)
                if words[0] in ("the", "a", "an") and len(words) > 1:
                    self.names.add(words[1:])
                if year is not None:
                    self.names.add((*words, str(year)))

    def add_text(self, text: str) -> None:
        """Every run of 2 to ``max_words`` words of a text the turn supplied."""
        words = norms(text)
        for start in range(len(words)):
            for end in range(start + 2, min(len(words), start + self.max_words) + 1):
                self.runs.add(words[start:end])

    def _piece(self, words: tuple[str, ...]) -> bool:
        if len(words) == 1:
            return words in self.names or words[0] in CONNECTORS
        return words in self.names or words in self.runs

    def covers(self, words: tuple[str, ...], *, free_first: bool = False) -> bool:
        """``words`` split into known pieces (dynamic programming over the split points).

        ``free_first``: the first word may be anything (it opens a sentence).
        """
        size = len(words)
        if size == 0:
            return True
        longest = max(self.max_words, max((len(name) for name in self.names), default=1))
        covered = [False] * size + [True]
        for start in range(size - 1, -1, -1):
            covered[start] = any(
                covered[end] and self._piece(words[start:end])
                for end in range(start + 1, min(size, start + longest) + 1)
            )
        return covered[0] or (free_first and covered[1])


def _facts(items: Sequence[ReplyItem], question: Question | None, body: str) -> list[str]:
    texts = [body, *(reason for item in items for reason in item.reasons)]
    if question is not None:
        texts.append(question.text)
    return texts


def _known(
    items: Sequence[ReplyItem],
    question: Question | None,
    texts: Sequence[str],
    mentions: Iterable[Mention],
    max_words: int,
) -> KnownPhrases:
    known = KnownPhrases(max_words)
    for item in items:
        known.add_name(item.title)
        if item.year is not None:
            known.add_name(f"{split_title_year(item.title)[0]} ({item.year})")
        for values in item.attributes.values():
            for value in values:
                known.add_name(value)
    for value in question.values if question is not None else ():
        known.add_name(value)
    for text in texts:
        known.add_text(text)
    for mention in mentions:
        known.add_name(mention.surface)
    return known


def _year_known(span: TitleSpan, known: KnownPhrases) -> bool:
    """Some last words of the clause, with the year, are a dated name the turn supplied."""
    assert span.year is not None
    dated = [(*span.words[-size:], span.year) for size in range(1, len(span.words) + 1)]
    return any(name in known.names or name in known.runs for name in dated)


def ungrounded_names(
    lead: str,
    spotter: CatalogSpotter,
    items: Sequence[ReplyItem],
    question: Question | None,
    body: str,
    dropped: Sequence[str] = (),
    limits: ReplyGroundingLimits | None = None,
) -> list[str]:
    """Names in ``lead`` that are not items the turn shows or names, in order of appearance, then
    the ``dropped`` titles it mentions.

    ``items``, ``question`` and ``body`` are what the turn shows (the templated reply the lead comes
    before); they, and nothing the user or the model wrote, are the facts: a title the user typed
    that the catalog lacks must not come back either.
    """
    limits = limits or ReplyGroundingLimits()
    texts = _facts(items, question, body)
    allowed = {item.id for item in items}
    for mention in spotter.spot("\n".join(texts)):
        if mention.is_title:
            allowed.update(mention.targets)
    mentions = spotter.spot(lead, expect=[item.id for item in items])
    unshown = [m for m in mentions if m.is_title and not allowed.intersection(m.targets)]
    accepted = [m for m in mentions if m not in unshown]
    known = _known(items, question, texts, accepted, limits.max_phrase_words)
    found: list[str] = []
    reported: list[tuple[int, int]] = []
    for span in title_spans(lead, limits.spans):
        if any(span.start < end and start < span.end for start, end in reported):
            continue  # one name, seen by two rules ("Heat" in quotes is also a capitalised run)
        if span.kind == "year":
            ok = _year_known(span, known)
        else:
            ok = known.covers(span.words, free_first=span.sentence_start and span.kind == "capitalised")
        if not ok:
            found.append(span.text)
            reported.append((span.start, span.end))
    for mention in unshown:
        # A catalog title inside a span already reported ("The Matrix" in "The Matrix Reloaded") is
        # the same name; counted once.
        at = _outside(lead, mention.surface, reported)
        if at is not None and not _prose(mention, limits):
            found.append(mention.surface)
            reported.append((at, at + len(mention.surface)))
    starts = {name: start for name, (start, _) in zip(found, reported, strict=True)}
    found = sorted(dict.fromkeys(found), key=lambda name: starts[name])
    plain, facts = f" {normalize_title(lead)} ", f" {'  '.join(normalize_title(t) for t in texts)} "
    named = {name.casefold() for name in found}
    for title in dropped:
        key = f" {normalize_title(title)} "
        # A title of no words at all ("!!!") counts where it is written as it was.
        mentioned = key in plain and key not in facts if key.strip() else bool(title) and title in lead
        if mentioned and title.casefold() not in named:
            found.append(title)
    return found


def _outside(lead: str, surface: str, reported: list[tuple[int, int]]) -> int | None:
    """Where ``surface`` occurs in ``lead`` outside every reported range, if it does."""
    at = lead.find(surface)
    while at >= 0:
        if not any(at < end and start < at + len(surface) for start, end in reported):
            return at
        at = lead.find(surface, at + 1)
    return None


def _prose(mention: Mention, limits: ReplyGroundingLimits) -> bool:
    """A catalog title written in lower case that is also a common English phrase ("shine in Heat"):
    the spotter takes words after a cue such as "and" or "like" as a title, and an LLM's prose is
    full of those."""
    surface = mention.surface
    if surface != surface.lower():
        return False
    words = norms(surface)
    threshold = limits.prose_word_zipf if len(words) == 1 else limits.prose_phrase_zipf
    return zipf_frequency(" ".join(words), "en") >= threshold
