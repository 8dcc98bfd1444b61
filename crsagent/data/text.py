"""Title and year helpers shared by loaders, the catalog index and grounding."""

from __future__ import annotations

import re
import unicodedata

_YEAR_SUFFIX = re.compile(r"\s*\((\d{4})(?:\s*[-–]\s*(?:\d{4})?)?\)\s*$")
_TRAILING_ARTICLE = re.compile(
    r"^(?P<body>.+?),\s*(?P<article>the|a|an|les|la|le|l'|el|il|die|der|das)$", re.I
)
_NON_WORD = re.compile(r"[^\w\s]+")
# Apostrophes vanish rather than split a word: "Schindler's" and "schindlers" are one key.
_APOSTROPHES = re.compile(r"['’]")
_SPACES = re.compile(r"\s+")


def split_title_year(title: str) -> tuple[str, int | None]:
    """``"Heat (1995)"`` -> ``("Heat", 1995)``; a title without a trailing year keeps ``None``.

    MovieLens marks series with a range, ``"Babylon 5 (1993-1998)"``: the first year is the year.
    """
    match = _YEAR_SUFFIX.search(title)
    if match is None:
        return title.strip(), None
    return title[: match.start()].strip(), int(match.group(1))


def move_trailing_article(title: str) -> str:
    """``"Matrix, The"`` -> ``"The Matrix"`` (MovieLens and ReDial move leading articles to the end)."""
    match = _TRAILING_ARTICLE.match(title.strip())
    if match is None:
        return title.strip()
    article = match.group("article")
    separator = "" if article.endswith("'") else " "
    return f"{article}{separator}{match.group('body')}"


def normalize_title(title: str) -> str:
    """A lookup key: no year, article in front, accents, apostrophes and punctuation gone, lower case,
    single spaces."""
    body, _ = split_title_year(title)
    body = move_trailing_article(body)
    body = unicodedata.normalize("NFKD", body)
    body = "".join(ch for ch in body if not unicodedata.combining(ch))
    body = _APOSTROPHES.sub("", body.replace("&", " and "))
    body = _NON_WORD.sub(" ", body.lower())
    return _SPACES.sub(" ", body).strip()


def decade_of(year: int) -> str:
    """The decade attribute value of a release year: ``1999`` -> ``"1990s"``, ``2000`` -> ``"2000s"``."""
    return f"{year // 10 * 10}s"


def year_attributes(year: int | None) -> dict[str, list[str]]:
    """The ``year`` and ``decade`` attribute values every movie loader gives an item ({} without a year)."""
    if year is None:
        return {}
    return {"year": [str(year)], "decade": [decade_of(year)]}
