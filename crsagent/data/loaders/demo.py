"""The built-in demo catalog: ~160 well-known films, no users and no interactions.

It lets the agent run (search, ask about genres and directors, recommend from the catalog) when no
real dataset is available. It is not a benchmark: with no interactions there is nothing to train a
recommender on and nothing to evaluate against.
"""

from __future__ import annotations

from importlib.resources import as_file, files
from pathlib import Path

import numpy as np

from crsagent.data.catalog import Catalog
from crsagent.data.dataset import SPLIT_NAMES, Dataset
from crsagent.data.files import iter_csv, parse_field
from crsagent.data.interactions import Interactions
from crsagent.data.item import Item
from crsagent.data.text import year_attributes
from crsagent.errors import DataFileError

DEMO_NAME = "demo"

DEMO_COLUMNS = ("id", "title", "year", "genres", "director")

DEMO_GENRES: tuple[str, ...] = (
    "Action", "Adventure", "Animation", "Children", "Comedy", "Crime", "Documentary", "Drama", "Fantasy",
    "Film-Noir", "Horror", "Musical", "Mystery", "Romance", "Sci-Fi", "Thriller", "War", "Western",
)  # fmt: skip
"""The genre vocabulary the demo catalog may use (the MovieLens genre names)."""

_MIN_YEAR = 1870
_MAX_YEAR = 2100


def demo_catalog_path() -> Path | None:
    """The packaged ``movies.csv`` as a plain file path, or ``None`` when it is not one (zip import)."""
    resource = files("crsagent.data") / "demo" / "movies.csv"
    path = Path(str(resource))
    return path if path.is_file() else None


def _split_values(path: Path, line: int, column: str, text: str) -> list[str]:
    values = [value.strip() for value in text.split("|")]
    if not text.strip() or any(not value for value in values):
        raise DataFileError(path, f"line {line}: column {column!r} has an empty value: {text!r}")
    return values


def _read_items(path: Path) -> list[Item]:
    vocabulary = set(DEMO_GENRES)
    items: list[Item] = []
    seen: dict[str, int] = {}
    for line, row in iter_csv(path, DEMO_COLUMNS):
        item_id = row["id"].strip()
        if not item_id:
            raise DataFileError(path, f"line {line}: empty id")
        if item_id in seen:
            first = seen[item_id]
            raise DataFileError(path, f"line {line}: duplicate id {item_id!r} (first on line {first})")
        seen[item_id] = line
        title = row["title"].strip()
        if not title:
            raise DataFileError(path, f"line {line}: empty title")
        year = parse_field(path, line, "year", row["year"].strip(), int)
        if not _MIN_YEAR <= year <= _MAX_YEAR:
            raise DataFileError(path, f"line {line}: year {year} is out of range")
        genres = _split_values(path, line, "genres", row["genres"])
        unknown = [genre for genre in genres if genre not in vocabulary]
        if unknown:
            raise DataFileError(
                path,
                f"line {line}: unknown genre(s) {', '.join(map(repr, unknown))} "
                f"(allowed: {', '.join(DEMO_GENRES)})",
            )
        directors = _split_values(path, line, "director", row["director"])
        items.append(
            Item(
                id=item_id,
                title=title,
                attributes={"genre": genres, "director": directors, **year_attributes(year)},
                text="",
                year=year,
                popularity=0.0,
            )
        )
    if not items:
        raise DataFileError(path, "no movies")
    return items


def _no_interactions() -> Interactions:
    return Interactions(user_ids=(), users=np.empty(0, dtype=np.int32), items=np.empty(0, dtype=np.int32))


def _build(path: Path, source: Path | None) -> Dataset:
    items = _read_items(path)
    return Dataset(
        name=DEMO_NAME,
        catalog=Catalog(items, name=DEMO_NAME, is_demo=True),
        interactions=_no_interactions(),
        positives=_no_interactions(),
        splits={name: _no_interactions() for name in SPLIT_NAMES},
        source=source,
        description=(
            f"Built-in demo catalog of {len(items)} well-known films (title, year, genres, director), "
            "written for crsagent. It has no users and no interactions: recommenders cannot be trained "
            "on it and it is not suitable for evaluation. Use a real dataset for that."
        ),
        notes={"interactions": "none (demo catalog)"},
    )


def load_demo(path: Path | None = None) -> Dataset:
    """The demo dataset, read from the packaged ``movies.csv`` or from ``path`` when given.

    Raises ``DataFileError`` naming the file and the line when the CSV is malformed.
    """
    if path is not None:
        return _build(path, path)
    packaged = demo_catalog_path()
    if packaged is not None:
        return _build(packaged, packaged)
    with as_file(files("crsagent.data") / "demo" / "movies.csv") as extracted:
        return _build(extracted, None)
