"""Messages as canonical words with their places in the original text.

Words are folded the way title keys are (``crsagent.data.titles``): accents and case gone, numbers
as digits, "dr" as "doctor"; apostrophes inside a word vanish ("90's" -> "90s", "don't" -> "dont").
So a title and a message that names it come out as the same word sequence, and the spotter can match
them exactly.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cached_property

from crsagent.data.titles import canonical_token

# A word: letters / digits, with inner apostrophes, hyphens split ("sci-fi" -> "sci", "fi").
_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")
_APOSTROPHES = re.compile(r"['’]")


def fold(text: str) -> str:
    """Lower case without accents or apostrophes; '&' as 'and'."""
    text = unicodedata.normalize("NFKD", text.replace("&", " and "))
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return _APOSTROPHES.sub("", text.lower())


@dataclass(frozen=True)
class Word:
    """One canonical word and where it stands in the original text."""

    norm: str
    start: int
    end: int
    raw: str


@dataclass(frozen=True)
class Text:
    """A message split into canonical words."""

    original: str
    words: tuple[Word, ...]

    @classmethod
    def of(cls, original: str) -> Text:
        words: list[Word] = []
        for match in _WORD.finditer(original):
            raw = match.group(0)
            for part in fold(raw).split():
                norm = canonical_token(part)
                if norm:
                    words.append(Word(norm, match.start(), match.end(), raw))
        return cls(original, tuple(words))

    def __len__(self) -> int:
        return len(self.words)

    @cached_property
    def norms(self) -> tuple[str, ...]:
        return tuple(word.norm for word in self.words)

    @cached_property
    def padded(self) -> str:
        """The words joined by single spaces, with a space at each end (matches are whole words)."""
        return " " + " ".join(self.norms) + " "

    @cached_property
    def word_at_offset(self) -> dict[int, int]:
        """Offset in ``padded`` of each word's first character -> word index."""
        offsets: dict[int, int] = {}
        position = 1
        for index, norm in enumerate(self.norms):
            offsets[position] = index
            position += len(norm) + 1
        return offsets

    def span(self, start: int, end: int) -> str:
        """The original text of words ``start:end``."""
        if start >= end:
            return ""
        return self.original[self.words[start].start : self.words[end - 1].end]

    def capitalised(self, index: int) -> bool:
        """The word was written with a capital first letter."""
        return self.words[index].raw[:1].isupper()

    def sentence_start(self, index: int) -> bool:
        """The word opens the message or follows . ! ? or a line break."""
        if index == 0:
            return True
        between = self.original[self.words[index - 1].end : self.words[index].start]
        return any(mark in between for mark in ".!?\n")
