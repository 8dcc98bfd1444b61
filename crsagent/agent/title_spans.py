"""Spans of free text that look like titles: capitalised runs, quoted or emphasised spans, "X (1999)".

Used on text an LLM wrote, to find names the catalog may not know. One pass over the characters, no
regular expressions: the text is untrusted, and the time taken grows with its length only (a quote
looks ahead at most ``max_quoted_chars``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from crsagent.understanding.message import fold

SpanKind = Literal["capitalised", "quoted", "year"]

# Lower-case words that join the capitalised words of one title ("Lord of the Rings").
CONNECTORS = frozenset(
    {"of", "the", "a", "an", "and", "in", "on", "at", "to", "for", "with", "from", "by", "vs", "or",
     "de", "la", "le", "du", "des", "von", "van", "der", "y", "el"}
)  # fmt: skip
# "I", "I'm", "I'd": capitalised, never part of a title run.
_PRONOUN_I = frozenset({"i", "i'm", "i'd", "i've", "i'll"})
# Between two words of one title: spaces and at most one of these ("Alien: Resurrection").
_TITLE_JOINERS = frozenset(":-&+")
# What ends a sentence: the next word is capitalised whatever it is.
_SENTENCE_ENDS = frozenset(".!?:;\n")
# What ends a clause: a year in "(1999)" dates the words after the last of these.
_CLAUSE_ENDS = frozenset('.,;:!?()[]"“”«»*_\n—–')
# Words that open an LLM's sentence before a name ("Try Midnight Harbor", "Fans of Jurasic Park"):
# left out when the name is reported; the check itself never depends on them.
OPENERS = frozenset(
    {"try", "start", "watch", "see", "check", "consider", "enjoy", "skip", "give", "fans", "if", "since",
     "also", "here", "then", "once", "after", "and", "but", "so", "you", "we", "these", "this", "that",
     "for", "like", "with", "next", "first", "finally", "perhaps", "maybe", "or"}
)  # fmt: skip
_QUOTES = {'"': '"', "“": "”", "„": "“", "«": "»", "‘": "’", "'": "'", "*": "*", "_": "_", "`": "`"}
# Quote marks that are also apostrophes or markdown inside words: they open only at a word start.
_WORD_START_QUOTES = frozenset("'‘*_`")


class TitleSpanLimits(BaseModel):
    """How far the title-like span scanner looks."""

    model_config = ConfigDict(frozen=True)

    min_run_words: int = Field(
        default=2, ge=2, le=6, description="Capitalised words in a row that look like a title."
    )
    max_quoted_chars: int = Field(
        default=80, ge=4, le=400, description="A quote or emphasis longer than this is prose, not a name."
    )
    year_words: int = Field(
        default=6, ge=1, le=12, description="Words before '(1999)' read as the title the year dates."
    )


@dataclass(frozen=True)
class Word:
    """A word of the text: letters and digits, with inner apostrophes ("Schindler's")."""

    raw: str
    start: int
    end: int

    @property
    def norm(self) -> str:
        return normalise_word(self.raw)


@dataclass(frozen=True)
class TitleSpan:
    """A span that looks like a title."""

    kind: SpanKind
    text: str
    """The name as written: a quote without its marks, a year with the capitalised words before it."""
    start: int
    end: int
    """Where the span lies in the text (a quote with its marks, a year with its whole clause)."""
    words: tuple[str, ...]
    """Its words, normalised (``normalise_word``), without the year of a "(1999)" span."""
    year: str | None = None
    """The year of a "(1999)" span."""
    sentence_start: bool = False
    """The first word opens a sentence, so its capital says nothing."""


def normalise_word(raw: str) -> str:
    """Lower case, accents and a possessive "'s" dropped: "Amélie's" -> "amelie"."""
    text = fold(raw.replace("’", "'"))
    return text[:-2] if text.endswith("'s") and len(text) > 2 else text


def words(text: str) -> list[Word]:
    """The words of ``text`` in order, in one pass."""
    found: list[Word] = []
    index, size = 0, len(text)
    while index < size:
        if not text[index].isalnum():
            index += 1
            continue
        start = index
        while index < size and (
            text[index].isalnum()
            or (text[index] in "'’" and index + 1 < size and text[index + 1].isalnum() and index > start)
        ):
            index += 1
        found.append(Word(text[start:index], start, index))
    return found


def norms(text: str) -> tuple[str, ...]:
    """The normalised words of ``text``."""
    return tuple(word.norm for word in words(text))


def _sentence_start(text: str, start: int) -> bool:
    index = start - 1
    while index >= 0 and (text[index].isspace() or text[index] in "\"'“‘«*_([-•"):
        if text[index] == "\n":
            return True
        index -= 1
    return index < 0 or text[index] in _SENTENCE_ENDS


def _capitalised(word: Word) -> bool:
    return word.raw[0].isupper() and word.norm not in _PRONOUN_I


def _joined(text: str, left: Word, right: Word) -> bool:
    """Nothing but spaces and at most one title joiner between two words."""
    between = text[left.end : right.start]
    marks = [ch for ch in between if not ch.isspace()]
    return len(marks) == 0 or (len(marks) == 1 and marks[0] in _TITLE_JOINERS)


def _runs(text: str, found: list[Word], limits: TitleSpanLimits) -> list[TitleSpan]:
    """Runs of capitalised words (digits and connectors inside), ``min_run_words`` or more."""
    spans: list[TitleSpan] = []
    index = 0
    while index < len(found):
        if not _capitalised(found[index]):
            index += 1
            continue
        last, titled, cursor = index, 1, index + 1
        while cursor < len(found) and _joined(text, found[cursor - 1], found[cursor]):
            word = found[cursor]
            if _capitalised(word) or word.raw[0].isdigit():
                last, titled = cursor, titled + 1
            elif word.norm not in CONNECTORS:
                break
            cursor += 1
        if titled >= limits.min_run_words:
            run = found[index : last + 1]
            spans.append(
                TitleSpan(
                    "capitalised",
                    text[_reported_start(text, run).start : run[-1].end],
                    run[0].start,
                    run[-1].end,
                    tuple(w.norm for w in run),
                    sentence_start=_sentence_start(text, run[0].start),
                )
            )
        index = last + 1
    return spans


def _closing(text: str, opener: int, limits: TitleSpanLimits) -> tuple[int, int] | None:
    """(content end, span end) of the quote opened at ``opener``, or None when it is no quote."""
    mark = text[opener]
    if mark in _WORD_START_QUOTES and opener > 0 and text[opener - 1].isalnum():
        return None
    width = 2 if mark == "*" and text[opener + 1 : opener + 2] == "*" else 1
    close = _QUOTES[mark] * width
    begin = opener + width
    if begin >= len(text) or text[begin].isspace():
        return None
    limit = min(len(text), begin + limits.max_quoted_chars + width)
    newline = text.find("\n", begin, limit)
    limit = newline if newline >= 0 else limit
    at = text.find(close, begin + 1, limit)
    while at >= 0:
        after = at + width
        if not text[at - 1].isspace() and (after >= len(text) or not text[after].isalnum()):
            return at, after
        at = text.find(close, at + 1, limit)
    return None


def _quoted(text: str, limits: TitleSpanLimits) -> list[TitleSpan]:
    spans: list[TitleSpan] = []
    index = 0
    while index < len(text):
        if text[index] not in _QUOTES:
            index += 1
            continue
        ends = _closing(text, index, limits)
        if ends is None:
            index += 1
            continue
        content_end, after = ends
        content = text[index:content_end].lstrip("*" + text[index]).strip()
        if norms(content):  # '""' or "**" hold no name
            spans.append(TitleSpan("quoted", content, index, after, norms(content)))
        index = after
    return spans


def _years(text: str, found: list[Word], limits: TitleSpanLimits) -> list[TitleSpan]:
    """ "... X (1999)": the words of the clause before a parenthesised year, at most ``year_words``."""
    spans: list[TitleSpan] = []
    for position, word in enumerate(found):
        if not (
            len(word.raw) == 4
            and word.raw.isdigit()
            and text[word.start - 1 : word.start] == "("
            and text[word.end : word.end + 1] == ")"
        ):
            continue
        first = position
        while first > 0 and position - first < limits.year_words:
            between = text[found[first - 1].end : found[first].start]
            if first < position and any(ch in _CLAUSE_ENDS for ch in between):
                break
            first -= 1
        if first == position:
            continue
        head = found[first:position]
        spans.append(
            TitleSpan(
                "year",
                text[_name_before_year(text, head).start : word.end + 1],
                head[0].start,
                word.end + 1,
                tuple(w.norm for w in head),
                year=word.raw,
                sentence_start=_sentence_start(text, head[0].start),
            )
        )
    return spans


def _name_before_year(text: str, head: list[Word]) -> Word:
    """Where the dated name starts, for reporting it: its capitalised words ("try Heat (1995)" ->
    "Heat"), else the clause from its first word that is not a connector."""
    first = len(head)
    while first > 0 and (
        _capitalised(head[first - 1])
        or head[first - 1].raw[0].isdigit()
        or head[first - 1].norm in CONNECTORS
    ):
        first -= 1
    named = [word for word in head[first:] if _capitalised(word)]
    if not named:
        named = [word for word in head if word.norm not in CONNECTORS] or head
    return _reported_start(text, named)


def _reported_start(text: str, name: list[Word]) -> Word:
    """The first word of a name as reported: an everyday word that only opens the sentence ("Try
    Midnight Harbor", "Fans of Jurasic Park") and the connectors after it are left out."""
    first = 0
    if len(name) > 1 and _sentence_start(text, name[0].start) and name[0].norm in OPENERS:
        first = 1
        while first < len(name) - 1 and name[first].norm in CONNECTORS:
            first += 1
    return name[first]


def title_spans(text: str, limits: TitleSpanLimits | None = None) -> list[TitleSpan]:
    """Every span of ``text`` that looks like a title, in order of appearance (spans may overlap)."""
    limits = limits or TitleSpanLimits()
    found = words(text)
    spans = [*_runs(text, found, limits), *_quoted(text, limits), *_years(text, found, limits)]
    return sorted(spans, key=lambda span: (span.start, -span.end))
