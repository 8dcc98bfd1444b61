"""Title parsing: alternate titles, moved articles and canonical lookup keys (grounding and understanding share it).

MovieLens titles carry alternate titles in trailing parentheses and move leading articles to the
end, in the main title and in each alternate: ``"Seven (a.k.a. Se7en) (1995)"``,
``"Amelie (Fabuleux destin d'Amélie Poulain, Le) (2001)"``. Each of those names is a lookup key.
Keys are canonical: ``normalize_title`` (accents, punctuation, case, article in front) plus number
words and roman numerals as digits, "vol." dropped and a leading English article dropped, so that
"Twelve Monkeys" = "12 Monkeys" and "Kill Bill: Volume 1" = "Kill Bill: Vol. 1".
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from crsagent.data.text import move_trailing_article, normalize_title, split_title_year

_AKA = re.compile(r"^\s*(?:a\.?k\.?a\.?|aka)\s+", re.IGNORECASE)
_NUMBER_WORDS = {
    word: str(number)
    for number, word in enumerate(
        [
            "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
            "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen",
            "nineteen", "twenty",
        ]
    )
}  # fmt: skip
# "i" is left alone: it is far more often the pronoun ("I, Robot") than the numeral.
_ROMAN = {
    numeral: str(number)
    for number, numeral in enumerate(
        [
            "ii", "iii", "iv", "v", "vi", "vii", "viii", "ix", "x", "xi", "xii", "xiii", "xiv", "xv",
            "xvi", "xvii", "xviii", "xix", "xx",
        ],
        start=2,
    )
}  # fmt: skip
_ABBREVIATIONS = {"dr": "doctor", "mr": "mister", "st": "saint", "vs": "versus", "pt": "part", "jr": "junior"}
_DROPPED = frozenset({"vol", "volume"})
_LEADING_ARTICLES = frozenset({"the", "a", "an"})


@dataclass(frozen=True)
class TitleParts:
    """A title split into its main name, its alternate names and its year."""

    main: str
    """The main name, article moved to the front: ``"The Shawshank Redemption"``."""
    alternates: tuple[str, ...]
    """Names in trailing parentheses (``a.k.a.`` removed, articles moved to the front)."""
    year: int | None
    """The trailing ``(YYYY)`` year, if any."""

    @property
    def names(self) -> tuple[str, ...]:
        """The main name then the alternates."""
        return (self.main, *self.alternates)


def _trailing_group(text: str) -> tuple[str, str] | None:
    """``"Seven (a.k.a. Se7en)"`` -> ``("Seven", "a.k.a. Se7en")``: the last balanced ``(...)`` group.

    Only a group that ends the text and leaves a non-empty name before it counts, so
    ``"(500) Days of Summer"`` keeps its leading number.
    """
    if not text.endswith(")"):
        return None
    depth = 0
    for position in range(len(text) - 1, -1, -1):
        if text[position] == ")":
            depth += 1
        elif text[position] == "(":
            depth -= 1
            if depth == 0:
                if position > 0 and not text[position - 1].isspace():
                    return None  # part of the name: "f(x)", "Sunn O)))"; an alternate follows a space
                head = text[:position].strip()
                inner = text[position + 1 : -1].strip()
                return (head, inner) if head and inner else None
    return None


def parse_title(title: str) -> TitleParts:
    """Main name, alternates and year of a catalog title or of a name someone wrote."""
    body, year = split_title_year(" ".join(title.split()))
    alternates: list[str] = []
    while (group := _trailing_group(body)) is not None:
        body, inner = group
        alternates.append(move_trailing_article(_AKA.sub("", inner)))
    alternates.reverse()
    main = move_trailing_article(body)
    return TitleParts(main=main, alternates=tuple(a for a in alternates if a), year=year)


def reading_title(title: str) -> str:
    """A title as a person reads it: ``"Matrix, The (1999)"`` -> ``"The Matrix (1999)"``, alternate
    names left out (``"Léon: The Professional (a.k.a. The Professional) (Léon) (1994)"`` ->
    ``"Léon: The Professional (1994)"``)."""
    parts = parse_title(title)
    return f"{parts.main} ({parts.year})" if parts.year is not None else parts.main


def display_title(title: str) -> str:
    """``"Seven (a.k.a. Se7en) (1995)"`` -> ``"Seven / Se7en (1995)"``: every name readable, in order."""
    parts = parse_title(title)
    names = " / ".join(parts.names)
    return f"{names} ({parts.year})" if parts.year is not None else names


def canonical_token(token: str) -> str | None:
    """One folded word as title keys spell it: numbers and roman numerals as digits, "dr" as "doctor";
    None for words keys leave out ("vol"). Message words go through this too, so a title and a
    message that names it spell it alike."""
    if token in _DROPPED:
        return None
    return _NUMBER_WORDS.get(token) or _ROMAN.get(token) or _ABBREVIATIONS.get(token) or token


def canonical_key(name: str) -> str:
    """The lookup key of one name (no alternates): see the module docstring."""
    tokens = [word for token in normalize_title(name).split() if (word := canonical_token(token))]
    if len(tokens) > 1 and tokens[0] in _LEADING_ARTICLES:
        tokens = tokens[1:]
    return " ".join(tokens)


def spaceless(key: str) -> str:
    """A key without spaces: "chain saw" = "chainsaw", "alien 3" = "alien3", "1 2 3" = "123"."""
    return key.replace(" ", "")


def title_keys(title: str) -> list[str]:
    """Distinct canonical keys of every name of a title (main first), empty keys left out."""
    return list(dict.fromkeys(key for name in parse_title(title).names if (key := canonical_key(name))))
