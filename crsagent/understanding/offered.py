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
from crsagent.understanding.message import Message
from crsagent.understanding.surfaces import PERSON_TYPES, commonness, value_spellings

# Offered-value spellings this short are never typo-corrected (too many near misses).
_MIN_TYPO_LETTERS = 5
# A word this frequent in English is the word itself, never a misspelt value ("dream" is no "drama").
_EVERYDAY_ZIPF = 3.0


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
