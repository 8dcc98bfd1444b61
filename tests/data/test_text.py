from __future__ import annotations

import pytest

from crsagent.data.text import move_trailing_article, normalize_title, split_title_year


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("Heat (1995)", ("Heat", 1995)),
        ("Seven (a.k.a. Se7en) (1995)", ("Seven (a.k.a. Se7en)", 1995)),
        ("Babylon 5 (1993-1998)", ("Babylon 5", 1993)),
        ("Cosmos  (2015) ", ("Cosmos", 2015)),
        ("Moonlight", ("Moonlight", None)),
        ("2001: A Space Odyssey (1968)", ("2001: A Space Odyssey", 1968)),
    ],
)
def test_split_title_year(title: str, expected: tuple[str, int | None]) -> None:
    assert split_title_year(title) == expected


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("Matrix, The", "The Matrix"),
        ("Good, the Bad and the Ugly, The", "The Good, the Bad and the Ugly"),
        ("Amelie", "Amelie"),
        ("Fabuleux destin d'Amélie Poulain, Le", "Le Fabuleux destin d'Amélie Poulain"),
    ],
)
def test_move_trailing_article(title: str, expected: str) -> None:
    assert move_trailing_article(title) == expected


def test_normalize_title_ignores_year_article_accents_and_punctuation() -> None:
    assert normalize_title("Matrix, The (1999)") == normalize_title("the matrix") == "the matrix"
    assert normalize_title("Amélie (2001)") == "amelie"
    assert normalize_title("Fast & Furious") == "fast and furious"
    assert normalize_title("Star Wars: Episode IV - A New Hope (1977)") == "star wars episode iv a new hope"
