"""The seeded typo injector."""

from __future__ import annotations

import numpy as np
import pytest
from rapidfuzz.distance import OSA

from crsagent.simulators.typos import add_typos, misspell

TEXT = "I would really like something directed by Christopher Nolan, no musicals"


def _changed(original: str, noisy: str) -> list[int]:
    return [i for i, (a, b) in enumerate(zip(original.split(), noisy.split(), strict=True)) if a != b]


def test_a_misspelling_is_one_swap_or_one_drop() -> None:
    rng = np.random.default_rng(0)
    for word in ("directed", "Nolan", "musicals", "ab"):
        for _ in range(20):
            wrong = misspell(word, rng)
            assert wrong != word
            assert OSA.distance(wrong, word) == 1


def test_rate_zero_changes_nothing_and_rate_one_every_long_word() -> None:
    assert add_typos(TEXT, 0.0, np.random.default_rng(1)) == TEXT
    noisy = add_typos(TEXT, 1.0, np.random.default_rng(1))
    for original, word in zip(TEXT.split(), noisy.split(), strict=True):
        letters = original.strip(",")
        if len(letters) >= 4:
            assert word != original
        else:  # "I", "by", "no": a typo would change the meaning, not add noise
            assert word == original


def test_the_same_seed_gives_the_same_typos_and_a_higher_rate_only_adds() -> None:
    assert add_typos(TEXT, 0.3, np.random.default_rng(7)) == add_typos(TEXT, 0.3, np.random.default_rng(7))
    for seed in range(20):
        low = set(_changed(TEXT, add_typos(TEXT, 0.2, np.random.default_rng(seed))))
        high = set(_changed(TEXT, add_typos(TEXT, 0.6, np.random.default_rng(seed))))
        assert low <= high


def test_a_rate_outside_zero_one_is_refused() -> None:
    with pytest.raises(ValueError, match="typo rate"):
        add_typos(TEXT, 1.5, np.random.default_rng(0))


def test_protected_words_are_never_misspelt() -> None:
    for seed in range(10):
        noisy = add_typos(
            "None of those, never", 1.0, np.random.default_rng(seed), frozenset({"none", "never"})
        )
        assert noisy.startswith("None of") and noisy.endswith(", never")
        assert "those" not in noisy


def test_the_packaged_phrasings_protect_none_from_becoming_one() -> None:
    from crsagent.simulators.phrasings import load_phrasings

    assert "none" in load_phrasings().no_typos
