"""Answers among the values the agent just offered: "comedy or drama?" -> "dramas", "the funny
one", "Nolan", "comdy".

The catalog spotter reads a message against the whole catalog; an answer to a question is read
against the handful of offered values first, where a plural, an everyday alias, a surname or a
one-letter typo is safe because nothing else competes.
"""

from __future__ import annotations

from collections.abc import Sequence

from rapidfuzz.distance import OSA

from crsagent.understanding import lexicon
from crsagent.understanding.message import Message, fold_tokens
from crsagent.understanding.surfaces import PERSON_TYPES, commonness

# Offered-value spellings this short are never typo-corrected (too many near misses).
_MIN_TYPO_LETTERS = 5
# A word this frequent in English is the word itself, never a misspelt value ("dream" is no "drama").
_EVERYDAY_ZIPF = 3.0


def _plural(word: str) -> str:
    if word.endswith("y") and len(word) > 2 and word[-2] not in "aeiou":
        return word[:-1] + "ies"
    if word.endswith(("s", "x", "z", "ch", "sh")):
        return word + "es"
    return word + "s"


def _singular(word: str) -> str | None:
    if len(word) <= 3 or word.endswith("ss"):
        return None
    if word.endswith("ies"):
        return word[:-3] + "y"
    if word.endswith("s"):
        return word[:-1]
    return None


def value_spellings(value: str, *, person: bool) -> list[tuple[str, ...]]:
    """The word sequences a person would write for ``value``: as is, without hyphens, plural and
    singular (things), without middle initials and by surname (people), and everyday aliases."""
    base = fold_tokens(value)
    if not base:
        return []
    keys = [base, fold_tokens(value.replace("-", "").replace("'", ""))]
    if person:
        keys.append(tuple(word for word in base if len(word) > 1))
        if len(base) >= 2:
            keys.append((base[-1],))
    elif base[-1].isalpha():
        keys.append((*base[:-1], _plural(base[-1])))
        singular = _singular(base[-1])
        if singular and singular not in lexicon.STOPWORDS:
            keys.append((*base[:-1], singular))
    keys.extend(fold_tokens(alias) for alias in lexicon.ALIASES.get(value.casefold(), ()))
    return [key for key in dict.fromkeys(keys) if key]


class OfferedValues:
    """The values of one asked type the agent offered, and every way to name them."""

    def __init__(self, asked_type: str, offered: Sequence[str]) -> None:
        self.asked_type = asked_type
        person = asked_type in PERSON_TYPES or asked_type in lexicon.PERSON_TYPES
        owners: dict[tuple[str, ...], set[str]] = {}
        for value in offered:
            for key in value_spellings(value, person=person):
                owners.setdefault(key, set()).add(value)
        # A spelling two offered values share ("Scott" for Ridley and Tony) names neither.
        self.keys = {key: next(iter(values)) for key, values in owners.items() if len(values) == 1}
        self.longest = max((len(key) for key in self.keys), default=0)
        self.words = frozenset(word for key in self.keys for word in key if word.isalpha())

    def _corrected(self, word: str) -> str:
        """``word``, or the offered word it misspells by one edit (two for long words)."""
        if len(word) < _MIN_TYPO_LETTERS or not word.isalpha() or word in self.words:
            return word
        if commonness(word) >= _EVERYDAY_ZIPF:
            return word
        allowed = 1 if len(word) <= 7 else 2
        close = [
            (OSA.distance(word, known), known) for known in self.words if len(known) >= _MIN_TYPO_LETTERS
        ]
        best = min((pair for pair in close if pair[0] <= allowed), default=None)
        return best[1] if best else word

    def spot(self, message: Message, usable: list[bool]) -> list[tuple[int, int, str]]:
        """``(start, end, value)`` for each offered value the message names, longest spelling first,
        left to right; marks those tokens used."""
        words = [self._corrected(word) for word in message.norms]
        found: list[tuple[int, int, str]] = []
        start = 0
        while start < len(words):
            run = 0  # usable words from ``start``: a spelling never crosses a used token or punctuation
            while (
                run < self.longest
                and start + run < len(words)
                and usable[start + run]
                and message.tokens[start + run].is_word
            ):
                run += 1
            hit = next(
                (
                    (start, start + length, self.keys[key])
                    for length in range(run, 0, -1)
                    if (key := tuple(words[start : start + length])) in self.keys
                ),
                None,
            )
            if hit is None:
                start += 1
                continue
            found.append(hit)
            usable[hit[0] : hit[1]] = [False] * (hit[1] - hit[0])
            start = hit[1]
        return found
