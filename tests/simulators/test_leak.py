"""The leak detector: the target's title in any usual spelling is found and masked; other titles and
ordinary words are not."""

from __future__ import annotations

import pytest

from crsagent.simulators.leak import LeakDetector, title_variants


@pytest.mark.parametrize(
    "text",
    [
        "I loved Toy Story as a kid",
        "something like toy story please",
        "TOY STORY!",
        "Toy Story (1995) was great",
        "maybe Toy Story 1995?",
        "Toy Stroy maybe",  # two letters swapped
        "Toy Sory",  # a letter dropped
        "toystory",  # the space dropped
        "a movie like Toy-Story",
    ],
)
def test_the_title_is_found_in_any_usual_spelling(text: str) -> None:
    assert LeakDetector("Toy Story (1995)").leaks(text)


@pytest.mark.parametrize(
    "text",
    [
        "I want an animated comedy from the nineties",
        "Toy Soldiers was fine",
        "a story about toys",
        "my toy collection tells a story",
    ],
)
def test_other_titles_and_plain_words_are_not_leaks(text: str) -> None:
    assert not LeakDetector("Toy Story (1995)").leaks(text)


def test_a_moved_article_is_matched_with_and_without_it() -> None:
    detector = LeakDetector("Matrix, The (1999)")
    assert title_variants("Matrix, The (1999)") == ["the matrix", "matrix"]
    assert detector.leaks("have you seen The Matrix?")
    assert detector.leaks("something like matrix")
    assert not detector.leaks("the math teacher")


def test_alternative_titles_and_the_main_title_before_a_subtitle_count() -> None:
    assert LeakDetector("Seven (a.k.a. Se7en) (1995)").leaks("a dark one like Se7en")
    star_wars = LeakDetector("Star Wars: Episode IV - A New Hope (1977)")
    assert star_wars.leaks("I'm after star wars")
    assert star_wars.leaks("Star Wars: Episode IV - A New Hope")


def test_a_typo_must_keep_the_first_letter_so_common_words_do_not_match() -> None:
    seven = LeakDetector("Seven (1995)")
    assert not seven.leaks("even better if it is dark")
    assert seven.leaks("Seven, the one with the box")


def test_a_very_short_title_matches_only_exactly_in_its_own_capitalisation() -> None:
    up = LeakDetector("Up (2009)")
    assert up.leaks("something like Up")
    assert not up.leaks("cheer me up with a comedy")
    assert not up.leaks("something like Us")


def test_masking_replaces_every_mention_and_its_year() -> None:
    detector = LeakDetector("Heat (1995)", mask="[that one]")
    masked = detector.mask("Heat (1995) or heat again, I love Heat!")
    assert masked == "[that one] or [that one] again, I love [that one]!"
    assert not detector.leaks(masked)
    assert detector.mask("no title here") == "no title here"


def test_accents_and_punctuation_do_not_hide_the_title() -> None:
    detector = LeakDetector("Amélie (2001)")
    assert detector.leaks("I loved Amelie")
    assert detector.leaks("AMÉLIE")
