"""A seeded typo injector: swaps two neighbouring letters or drops one, in some words of a text.

Only alphabetic words of at least ``MIN_WORD_LETTERS`` letters are touched: a typo in "no" or
"yes" would change the answer rather than add noise, and "teh" for "the" tests nothing. Longer words
whose typo can make another word of the opposite sense ("none" -> "one") are passed as
``protected`` (the phrasings file lists them) and kept as they are. Which words
count as values (and so get the value rate instead of the word rate) is the caller's business: the
template renderer passes slots and literal text separately.
"""

from __future__ import annotations

import re

import numpy as np

MIN_WORD_LETTERS = 4
_WORD = re.compile(r"[^\W\d_]+")


def misspell(word: str, rng: np.random.Generator) -> str:
    """``word`` with one typo: two neighbouring letters swapped, or one letter dropped.

    A swap of two equal letters would change nothing, so it becomes a drop.
    """
    if len(word) < 2:
        return word
    position = int(rng.integers(len(word) - 1))
    swap = bool(rng.integers(2)) and word[position] != word[position + 1]
    if swap:
        return word[:position] + word[position + 1] + word[position] + word[position + 2 :]
    return word[:position] + word[position + 1 :]


def add_typos(
    text: str, rate: float, rng: np.random.Generator, protected: frozenset[str] = frozenset()
) -> str:
    """``text`` with each long-enough word not in ``protected`` (lower case) misspelt with probability
    ``rate`` (0 leaves it unchanged).

    The generator is drawn from once per eligible word whatever the rate, so the same seed and text
    give the same draws for every rate: raising the rate only adds typos.
    """
    if not 0.0 <= rate <= 1.0:
        raise ValueError(f"typo rate must be within [0, 1], got {rate}")

    def replace(match: re.Match[str]) -> str:
        word = match.group(0)
        if len(word) < MIN_WORD_LETTERS or word.lower() in protected:
            return word
        draw = float(rng.random())
        # Drawn unconditionally (see above), used only when the word gets a typo.
        child = np.random.default_rng(int(rng.integers(2**32)))
        return misspell(word, child) if draw < rate else word

    return _WORD.sub(replace, text)
