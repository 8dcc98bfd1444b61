"""MovieLens ``ml-latest-small`` (+ ``movie-metadata`` for director, writer, cast and plot)."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import BaseModel, Field

from crsagent.data.catalog import Catalog
from crsagent.data.dataset import Dataset
from crsagent.data.files import iter_csv, parse_field, require_file
from crsagent.data.interactions import Interactions
from crsagent.data.item import Item
from crsagent.data.loaders.metadata import load_movie_metadata, metadata_by_imdb, read_movielens_imdb_links
from crsagent.data.splits import temporal_leave_last_out, train_popularity
from crsagent.data.text import split_title_year, year_attributes
from crsagent.errors import DataFileError

NO_GENRE = "(no genres listed)"


class MovieLensOptions(BaseModel):
    """How raw MovieLens files become a dataset."""

    positive_threshold: float = Field(
        default=4.0, ge=0.5, le=5.0, description="A rating >= this counts as a positive (liked)."
    )
    min_tag_users: int = Field(
        default=3,
        ge=1,
        description=(
            "A user tag becomes an attribute value when at least this many distinct users applied it "
            "(to any movie); rarer tags are personal notes, not attributes. 3 keeps 134 tags."
        ),
    )
    min_split_positives: int = Field(
        default=3, ge=3, description="Users with fewer positives stay in train only (leave-last-out)."
    )
    check_links: bool = Field(
        default=True,
        description=(
            "movies.csv and links.csv (when present) must list the same movie ids: GroupLens writes them "
            "together, so a movie only one of them has means one was cut short. Turn off for a folder "
            "whose movies.csv was filtered on purpose."
        ),
    )


def _read_movies(folder: Path) -> tuple[list[dict[str, Any]], dict[str, int], dict[str, int]]:
    """Rows, movieId -> position, movieId -> line."""
    path = folder / "movies.csv"
    rows: list[dict[str, Any]] = []
    index: dict[str, int] = {}
    lines: dict[str, int] = {}
    for line, row in iter_csv(path, ("movieId", "title", "genres")):
        movie_id = row["movieId"].strip()
        parse_field(path, line, "movieId", movie_id, int)
        if movie_id in index:
            raise DataFileError(path, f"line {line}: duplicate movieId {movie_id}")
        _, year = split_title_year(row["title"])
        genres = [g for g in row["genres"].split("|") if g and g != NO_GENRE]
        attributes: dict[str, list[str]] = {"genre": genres}
        attributes.update(year_attributes(year))
        index[movie_id] = len(rows)
        lines[movie_id] = line
        rows.append({"id": movie_id, "title": row["title"].strip(), "year": year, "attributes": attributes})
    if not rows:
        raise DataFileError(path, "no movies")
    return rows, index, lines


def _check_links(folder: Path, movie_lines: dict[str, int]) -> None:
    """movies.csv and links.csv list the same movies, else name the first movie only one of them has.

    A movies.csv cut at a line end still parses; this is what shows the movies it lost (ratings and
    tags only catch lost movies that someone rated or tagged).
    """
    path = folder / "links.csv"
    if not path.is_file():
        return
    linked: dict[str, int] = {}
    for line, row in iter_csv(path, ("movieId",)):
        linked.setdefault(row["movieId"].strip(), line)
    lost = [(movie_id, line) for movie_id, line in linked.items() if movie_id not in movie_lines]
    if lost:
        movie_id, line = lost[0]
        more = f" and {len(lost) - 1} more" if len(lost) > 1 else ""
        last = max(movie_lines.values())
        raise DataFileError(
            folder / "movies.csv",
            f"line {last} is the last of {len(movie_lines)} movies but links.csv lists {len(linked)}: "
            f"movieId {movie_id} (links.csv line {line}){more} is not in movies.csv; it looks truncated",
        )
    unlinked = [(movie_id, line) for movie_id, line in movie_lines.items() if movie_id not in linked]
    if unlinked:
        movie_id, line = unlinked[0]
        more = f" and {len(unlinked) - 1} more" if len(unlinked) > 1 else ""
        raise DataFileError(
            path,
            f"line {max(linked.values(), default=1)} is the last of {len(linked)} links but movies.csv "
            f"lists {len(movie_lines)}: movieId {movie_id} (movies.csv line {line}){more} has no link; "
            "it looks truncated",
        )


def _frequent_tags(folder: Path, index: dict[str, int], min_users: int) -> dict[int, list[str]]:
    path = folder / "tags.csv"
    users_per_tag: dict[str, set[str]] = defaultdict(set)
    applied: list[tuple[int, str]] = []
    for line, row in iter_csv(path, ("userId", "movieId", "tag")):
        tag = " ".join(row["tag"].lower().split())
        movie = index.get(row["movieId"].strip())
        if movie is None:
            raise DataFileError(path, f"line {line}: movieId {row['movieId']!r} is not in movies.csv")
        if tag:
            users_per_tag[tag].add(row["userId"])
            applied.append((movie, tag))
    frequent = {tag for tag, users in users_per_tag.items() if len(users) >= min_users}
    tags_by_movie: dict[int, set[str]] = defaultdict(set)
    for movie, tag in applied:
        if tag in frequent:
            tags_by_movie[movie].add(tag)
    return {movie: sorted(tags) for movie, tags in tags_by_movie.items()}


def _read_ratings(folder: Path, index: dict[str, int]) -> Interactions:
    path = folder / "ratings.csv"
    user_of: dict[str, int] = {}
    users: list[int] = []
    items: list[int] = []
    ratings: list[float] = []
    stamps: list[int] = []
    for line, row in iter_csv(path, ("userId", "movieId", "rating", "timestamp")):
        movie = index.get(row["movieId"].strip())
        if movie is None:
            raise DataFileError(path, f"line {line}: movieId {row['movieId']!r} is not in movies.csv")
        rating = parse_field(path, line, "rating", row["rating"], float)
        if not 0.0 <= rating <= 5.0:
            raise DataFileError(path, f"line {line}: rating {rating} is outside 0-5")
        users.append(user_of.setdefault(row["userId"].strip(), len(user_of)))
        items.append(movie)
        ratings.append(rating)
        stamps.append(parse_field(path, line, "timestamp", row["timestamp"], int))
    # User indices follow the numeric order of user ids, whatever order the file has.
    by_number = sorted(user_of, key=lambda u: (len(u), u))
    remap = np.empty(len(user_of), dtype=np.int32)
    for new, user in enumerate(by_number):
        remap[user_of[user]] = new
    return Interactions(
        tuple(by_number),
        remap[np.asarray(users, dtype=np.int64)],
        np.asarray(items, dtype=np.int32),
        np.asarray(ratings, dtype=np.float32),
        np.asarray(stamps, dtype=np.int64),
    )


def load_movielens(
    folder: Path, *, metadata_file: Path | None = None, options: MovieLensOptions | None = None
) -> Dataset:
    """Load ``ml-latest-small`` (or another MovieLens folder of the same layout).

    ``metadata_file`` is ``movie-metadata/id2info.json``; without it items have genres, years and
    tags but no director / writer / cast / plot.
    """
    options = options or MovieLensOptions()
    require_file(folder / "movies.csv")
    movies, index, lines = _read_movies(folder)
    if options.check_links:
        _check_links(folder, lines)
    for movie, tags in _frequent_tags(folder, index, options.min_tag_users).items():
        movies[movie]["attributes"]["tag"] = tags
    metadata: dict[int, Any] = {}  # MovieLens index -> its id2info entry, joined through imdbId
    if metadata_file is not None:
        links = read_movielens_imdb_links(folder / "links.csv")
        for imdb_id, (_, meta) in metadata_by_imdb(load_movie_metadata(metadata_file)).items():
            if links.get(imdb_id) in index:
                metadata[index[links[imdb_id]]] = meta
    for movie, meta in metadata.items():
        movies[movie]["attributes"].update(meta.people())
        movies[movie]["text"] = meta.plot or ""

    interactions = _read_ratings(folder, index)
    assert interactions.ratings is not None
    positives = interactions.subset(interactions.ratings >= options.positive_threshold)
    movie_numbers = np.asarray([int(m["id"]) for m in movies], dtype=np.int64)
    splits = temporal_leave_last_out(positives, movie_numbers, min_positives=options.min_split_positives)
    popularity = train_popularity(splits["train"], len(movies))
    items = [Item(popularity=float(popularity[i]), **movie) for i, movie in enumerate(movies)]
    return Dataset(
        name=folder.name,
        catalog=Catalog(items, name=folder.name),
        interactions=interactions,
        positives=positives,
        splits=splits,
        source=folder,
        description=(
            f"MovieLens ({folder.name}): ratings >= {options.positive_threshold} are positives; "
            "per-user temporal leave-last-out split."
        ),
        notes={
            "movies_with_metadata": str(len(metadata)),
            "min_tag_users": str(options.min_tag_users),
        },
    )
