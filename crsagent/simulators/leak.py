"""Finds the target's title in a simulated user's draft, so it never reaches the agent.

Matching is on normalised words (``crsagent.data.text.normalize_title`` rules: case, accents,
punctuation, a trailing "(1995)" and a moved article do not matter) and tolerates small typos: a
window of the draft's words matches a title variant when their optimal-string-alignment distance
(a swap of two letters counts one edit) is within a budget that grows with the title's length —
none up to 5 characters, one up to 12, then one per 8 characters — and, when not exact, they start
with the same letter (typos rarely hit the first one; "even" is not a misspelt "Seven").

Variants of "Matrix, The (1999)": "the matrix" and "matrix"; of "Seven (a.k.a. Se7en) (1995)":
"seven a k a se7en", "seven" and "se7en"; of "Star Wars: Episode IV - A New Hope": also "star wars"
(naming the franchise names the item, for a user who should only know its attributes). A variant
of fewer than 4 characters ("up", "it") must match exactly and in the title's own capitalisation,
or every "it" would be a leak; such a title at the start of a sentence is still flagged, which costs
a regeneration, where a missed leak would cost the evaluation.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cached_property

from rapidfuzz.distance import OSA

from crsagent.data.text import move_trailing_article, normalize_title, split_title_year

SHORT_VARIANT = 4
_TOKEN = re.compile(r"[^\W_]+", re.UNICODE)
_AKA = re.compile(r"^\s*a\.?k\.?a\.?\s+", re.I)
_LEADING_ARTICLE = re.compile(r"^(the|a|an)\s+")
_YEAR_AFTER = re.compile(r"\s*(?:\((?:1[89]|20)\d\d\)|(?:1[89]|20)\d\d\b)")


def _norm_word(word: str) -> str:
    word = unicodedata.normalize("NFKD", word)
    return "".join(ch for ch in word if not unicodedata.combining(ch)).lower()


def edit_budget(variant: str) -> int:
    """Edits allowed when matching ``variant`` (normalised): 0 / 1 / len // 8."""
    if len(variant) <= 5:
        return 0
    if len(variant) <= 12:
        return 1
    return len(variant) // 8


def title_variants(title: str) -> list[str]:
    """Normalised spellings of ``title`` a draft might use (the whole, parts, without its article)."""
    body, _ = split_title_year(title)
    parts = [body, *(p for p in re.split(r"[()]", body) if p.strip())]
    main = re.split(r"\s*(?::|\s-\s)\s*", body, maxsplit=1)[0]
    parts.append(main)
    variants: list[str] = []
    for part in parts:
        spelled = normalize_title(_AKA.sub("", move_trailing_article(part)))
        for candidate in (spelled, _LEADING_ARTICLE.sub("", spelled)):
            if candidate and candidate not in variants:
                variants.append(candidate)
    # "the" alone (from "The ...: ..." split badly) would match everywhere.
    return [v for v in variants if v not in {"the", "a", "an"}]


@dataclass(frozen=True)
class Span:
    """Characters ``start:end`` of the text matched variant ``variant``."""

    start: int
    end: int
    variant: str


class LeakDetector:
    """Finds (and masks) a title in text."""

    def __init__(self, title: str, *, mask: str = "that one") -> None:
        self.title = title
        self.mask_text = mask
        self.variants = title_variants(title)
        body, _ = split_title_year(title)
        self._short_spellings = {move_trailing_article(body), body}

    @cached_property
    def _patterns(self) -> list[tuple[str, list[str], int]]:
        return [(v, v.split(), edit_budget(v)) for v in self.variants]

    def find(self, text: str) -> list[Span]:
        """Non-overlapping title mentions in ``text``, left to right (longest variant first at a place)."""
        tokens = [(m.start(), m.end(), _norm_word(m.group(0))) for m in _TOKEN.finditer(text)]
        spans: list[Span] = []
        position = 0
        while position < len(tokens):
            found = self._match_at(text, tokens, position)
            if found is None:
                position += 1
                continue
            span, width = found
            year = _YEAR_AFTER.match(text, span.end)
            if year is not None:  # "Heat (1995)": the year goes with the title
                span = Span(span.start, year.end(), span.variant)
                width += 1
            spans.append(span)
            position += width
        return spans

    def leaks(self, text: str) -> bool:
        """True when ``text`` names the title."""
        return bool(self.find(text))

    def mask(self, text: str) -> str:
        """``text`` with every mention replaced by the mask."""
        pieces: list[str] = []
        cursor = 0
        for span in self.find(text):
            pieces += [text[cursor : span.start], self.mask_text]
            cursor = span.end
        pieces.append(text[cursor:])
        return "".join(pieces)

    def _match_at(
        self, text: str, tokens: list[tuple[int, int, str]], position: int
    ) -> tuple[Span, int] | None:
        best: tuple[Span, int] | None = None
        for variant, words, budget in self._patterns:
            # A typo may merge or split words, so windows one word shorter and longer are tried.
            for width in sorted({len(words), len(words) - 1, len(words) + 1}):
                if width < 1 or position + width > len(tokens):
                    continue
                window = tokens[position : position + width]
                start, end = window[0][0], window[-1][1]
                joined = " ".join(token for _, _, token in window)
                if len(variant) < SHORT_VARIANT:
                    matched = (
                        width == len(words) and joined == variant and text[start:end] in self._short_spellings
                    )
                else:
                    matched = joined == variant or (
                        joined[:1] == variant[:1]
                        and OSA.distance(joined, variant, score_cutoff=budget) <= budget
                    )
                if matched and (best is None or width > best[1]):
                    best = (Span(start, end, variant), width)
        return best
