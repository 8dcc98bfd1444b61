"""Text handling for the offline NLU: capping, folding, tokens with offsets, phrase matching.

Values, titles and user text go through the same ``fold_tokens``, so "Sci-Fi", "sci fi" and
"SCI-FI" meet as the same token sequence.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from itertools import accumulate

# Longer messages are cut to this many characters before any analysis: a chat turn that says
# something an offline NLU can use fits in far less (a detailed request is ~300 characters), and
# the cap bounds the work on huge or hostile input to a few milliseconds.
MAX_MESSAGE_CHARS = 1000
# ... and to this many tokens (a 1,000-character run of punctuation is 1,000 tokens).
MAX_TOKENS = 250

_TOKEN = re.compile(r"\w+(?:['’]\w+)*|[^\w\s]")
_CONTRACTIONS = {
    "can't": ("can", "not"),
    "cannot": ("can", "not"),
    "won't": ("will", "not"),
    "ain't": ("is", "not"),
    "let's": ("let", "us"),
    "shan't": ("shall", "not"),
}
_SUFFIXES = {"n't": "not", "'m": "am", "'re": "are", "'ve": "have", "'ll": "will", "'d": "would"}
_IS_CONTRACTED = frozenset(
    {"it", "that", "what", "who", "he", "she", "there", "here", "where", "when", "how", "this", "everything"}
)
# Punctuation that ends a clause (negation scope, title spans, n-gram windows).
BOUNDARY_PUNCT = frozenset('.,;:!?()[]{}"…')
_QUOTES = str.maketrans({"“": '"', "”": '"', "«": '"', "»": '"', "‘": "'", "’": "'", "`": "'"})
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def fold(text: str) -> str:
    """Lower case without accents: "Beyoncé" -> "beyonce"."""
    if text.isascii():
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()


def clean(text: str) -> str:
    """Capped to ``MAX_MESSAGE_CHARS``, control characters gone, quotes made plain, spaces single."""
    text = _CONTROL.sub(" ", text[:MAX_MESSAGE_CHARS]).translate(_QUOTES)
    return " ".join(text.split())


@dataclass(frozen=True, slots=True)
class Token:
    """One normalised token; ``start`` / ``end`` are offsets in the cleaned message."""

    norm: str
    start: int
    end: int

    @property
    def is_word(self) -> bool:
        """False for punctuation."""
        return self.norm[:1].isalnum() or self.norm[:1] == "_"


def _expand(word: str) -> tuple[str, ...]:
    """Contractions to words, possessives dropped: "don't" -> ("do", "not"), "Nolan's" -> ("nolan",)."""
    if "'" not in word:
        return (word,)
    if word in _CONTRACTIONS:
        return _CONTRACTIONS[word]
    for suffix, full in _SUFFIXES.items():
        if word.endswith(suffix) and len(word) > len(suffix):
            return (word[: -len(suffix)], full)
    if word.endswith("'s"):
        body = word[:-2]
        if body.isdigit():  # "90's" -> "90s"
            return (body + "s",)
        if body in _IS_CONTRACTED:
            return (body, "is")
        return (body,)
    return (word.replace("'", ""),)


def tokenize(text: str) -> list[Token]:
    """Folded tokens of ``text`` (already cleaned), at most ``MAX_TOKENS``.

    Hyphens and lone apostrophes vanish (so "sci-fi" is "sci fi"), "&" becomes "and", and a full
    stop after a single letter ("Samuel L. Jackson") is dropped so that names stay whole.
    """
    tokens: list[Token] = []
    for match in _TOKEN.finditer(text):
        raw = fold(match.group())
        start, end = match.span()
        if raw in {"-", "'", "_", "–", "—"}:
            continue
        if raw == "&":
            raw = "and"
        if raw == "." and tokens and len(tokens[-1].norm) == 1 and tokens[-1].norm.isalpha():
            continue
        for part in _expand(raw):
            tokens.append(Token(part, start, end))
        if len(tokens) >= MAX_TOKENS:
            break
    return tokens[:MAX_TOKENS]


def fold_tokens(text: str) -> tuple[str, ...]:
    """The word tokens of any text (a value, a title, a phrase), as the NLU sees them."""
    return tuple(t.norm for t in tokenize(clean(text)) if t.is_word or t.norm == "#")


class Message:
    """One user message: cleaned text, tokens, and their space-joined form for regular expressions."""

    def __init__(self, text: str) -> None:
        self.text = clean(text)
        self.tokens = tokenize(self.text)
        self.norms = [t.norm for t in self.tokens]
        offsets: list[int] = []
        position = 0
        for norm in self.norms:
            offsets.append(position)
            position += len(norm) + 1
        self.offsets = offsets
        self.norm_text = " ".join(self.norms)

    def __len__(self) -> int:
        return len(self.tokens)

    def is_boundary(self, index: int) -> bool:
        """True for clause-ending punctuation."""
        return self.norms[index] in BOUNDARY_PUNCT

    def token_range(self, char_start: int, char_end: int) -> tuple[int, int]:
        """Tokens covering ``norm_text[char_start:char_end]`` as ``(first, past_last)``."""
        first = next(i for i, o in enumerate(self.offsets) if o + len(self.norms[i]) > char_start)
        last = max(i for i, o in enumerate(self.offsets) if o < char_end)
        return first, last + 1

    def surface(self, start: int, end: int) -> str:
        """The original text of tokens ``start:end``."""
        if start >= end:
            return ""
        return self.text[self.tokens[start].start : self.tokens[end - 1].end]

    def capitalised(self, index: int) -> bool:
        """True when the token was written with a leading capital letter."""
        return self.text[self.tokens[index].start].isupper()

    def sentence_start(self, index: int) -> bool:
        """True for the first word of the message or of a sentence."""
        return index == 0 or self.norms[index - 1] in {".", "!", "?", '"'}

    @cached_property
    def clause_ids(self) -> list[int]:
        """A clause number per token; clauses end at boundary punctuation (which opens the next)."""
        return list(accumulate(int(self.is_boundary(index)) for index in range(len(self))))


class PhraseSet:
    """Phrases (normalised, trailing ``$`` = must stand alone) matched longest-first at a position."""

    def __init__(self, phrases: Iterable[str] | Mapping[str, object]) -> None:
        self._by_first: dict[str, list[tuple[tuple[str, ...], bool]]] = {}
        for phrase in phrases:
            words = fold_tokens(phrase.rstrip("$"))
            if words:
                self._by_first.setdefault(words[0], []).append((words, phrase.endswith("$")))
        for entries in self._by_first.values():
            entries.sort(key=lambda entry: -len(entry[0]))

    def match(self, norms: Sequence[str], index: int, *, alone_ok: Collection[str] = ()) -> int:
        """Length of the longest phrase at ``index`` (0 if none).

        A ``$`` phrase matches only when the next token is the end, punctuation or in ``alone_ok``.
        """
        if index >= len(norms) or norms[index] not in self._by_first:
            return 0
        for words, alone in self._by_first[norms[index]]:
            end = index + len(words)
            if tuple(norms[index:end]) != words:
                continue
            if alone and end < len(norms) and norms[end] not in BOUNDARY_PUNCT and norms[end] not in alone_ok:
                continue
            return len(words)
        return 0
