"""Movie facts from ``movie-metadata/id2info.json`` (ReDial ids), and the join to MovieLens by imdb id.

``id2info.json`` maps a ReDial movie id to ``name``, ``genre`` (lower-case list), ``plot``,
``director``, ``writer``, ``star`` (top-3 cast) and ``imdb_id`` (``"tt0114092"``). Empty values are
normal (some movies have no plot, writer or cast); a value of the wrong type is an error that names
the ReDial id and the field.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from crsagent.data.files import iter_csv, read_json_object
from crsagent.errors import DataFileError
from crsagent.validation import describe_validation_error

_IMDB_ID = re.compile(r"tt([0-9]+)")
_DIGITS = re.compile(r"[0-9]+")


class MovieMetadata(BaseModel):
    """What ``id2info.json`` knows about one movie; empty strings and lists where it knows nothing."""

    model_config = ConfigDict(frozen=True)

    name: str = Field(description="The movie's ReDial name, usually with the year: 'Heat (1995)'.")
    genres: tuple[str, ...] = Field(default=(), description="IMDb genres, lower case: ('crime', 'drama').")
    plot: str = Field(default="", description="One-paragraph plot summary, '' when unknown.")
    directors: tuple[str, ...] = Field(default=(), description="Director names.")
    writers: tuple[str, ...] = Field(default=(), description="Writer names.")
    cast: tuple[str, ...] = Field(default=(), description="Top-billed actors (at most three upstream).")
    imdb_id: str = Field(
        default="", description="'tt' + at least 7 digits ('tt0114092'); '' when the entry has none."
    )

    @property
    def filled_fields(self) -> int:
        """How many of the fields name, genres, plot, directors, writers, cast, imdb_id are non-empty."""
        values = (self.name, self.genres, self.plot, self.directors, self.writers, self.cast, self.imdb_id)
        return sum(1 for value in values if value)

    def people(self) -> dict[str, list[str]]:
        """The director, writer and cast attributes it knows (empty ones left out)."""
        people = (("director", self.directors), ("writer", self.writers), ("cast", self.cast))
        return {attribute_type: list(names) for attribute_type, names in people if names}


def format_imdb_id(digits: str) -> str:
    """``"114092"`` -> ``"tt0114092"``: MovieLens stores the number, IMDb pads it to 7 digits."""
    return f"tt{digits.zfill(7)}"


def _names(names: tuple[str, ...]) -> tuple[str, ...]:
    # Order kept (billing order for cast); blanks and repeats dropped.
    return tuple(dict.fromkeys(name.strip() for name in names if name.strip()))


def _name(text: str) -> str:
    if not text:
        raise ValueError("missing or empty")
    return " ".join(text.split())


def _imdb(text: str) -> str:
    match = _IMDB_ID.fullmatch(text)
    if text and match is None:
        raise ValueError(f"not 'tt' + digits: {text!r}")
    return format_imdb_id(match.group(1)) if match else ""


def _null_as(empty: Any) -> BeforeValidator:
    return BeforeValidator(lambda value: empty if value is None else value)


_Text = Annotated[str, _null_as(""), AfterValidator(str.strip)]
_Names = Annotated[tuple[str, ...], _null_as(()), AfterValidator(_names)]


class _Entry(BaseModel):
    """An entry as ``id2info.json`` spells it (null for a field it does not know)."""

    name: Annotated[_Text, AfterValidator(_name)]
    genres: _Names = Field(default=(), alias="genre")
    plot: _Text = ""
    directors: _Names = Field(default=(), alias="director")
    writers: _Names = Field(default=(), alias="writer")
    cast: _Names = Field(default=(), alias="star")
    imdb_id: Annotated[_Text, AfterValidator(_imdb)] = ""


def _parse_entry(path: Path, movie_id: str, entry: Any) -> MovieMetadata:
    if not isinstance(entry, dict):
        raise DataFileError(path, f"movie {movie_id!r}: expected an object, found {type(entry).__name__}")
    try:
        return MovieMetadata(**_Entry.model_validate(entry).model_dump())
    except ValidationError as error:
        raise DataFileError(path, f"movie {movie_id!r}: {describe_validation_error(error)}") from None


def load_movie_metadata(path: Path) -> dict[str, MovieMetadata]:
    """ReDial movie id -> its metadata, in file order.

    Raises ``DataFileError`` when the file is missing or not JSON, and when an entry is not an
    object, has no name, or has a field of the wrong type (the message names the id and the field).
    """
    data = read_json_object(path)
    return {movie_id: _parse_entry(path, movie_id, entry) for movie_id, entry in data.items()}


def _preference(movie_id: str, meta: MovieMetadata) -> tuple[int, tuple[int, int, str]]:
    """Sorts first: the most filled fields, then numeric ReDial ids by value, then other ids by text."""
    order = (0, int(movie_id), "") if _DIGITS.fullmatch(movie_id) else (1, 0, movie_id)
    return -meta.filled_fields, order


def metadata_by_imdb(metadata: dict[str, MovieMetadata]) -> dict[str, tuple[str, MovieMetadata]]:
    """imdb id -> (ReDial id, metadata), one entry per imdb id; entries without an imdb id are left out.

    ReDial lists some films twice (``"Back to the Future"`` and ``"Back to the Future (1985)"``), so
    several ReDial ids can share an imdb id. The one kept is the entry with the most filled fields
    (``MovieMetadata.filled_fields``); ties go to the smallest numeric ReDial id. The result does not
    depend on the order of ``metadata``. Keys come out in the order of their first entry.
    """
    chosen: dict[str, tuple[str, MovieMetadata]] = {}
    for movie_id, meta in metadata.items():
        current = chosen.get(meta.imdb_id)
        if meta.imdb_id and (current is None or _preference(movie_id, meta) < _preference(*current)):
            chosen[meta.imdb_id] = (movie_id, meta)
    return chosen


def read_movielens_imdb_links(links_csv: Path) -> dict[str, str]:
    """imdb id (``"tt"`` + 7-digit zero-padded imdbId) -> MovieLens movieId, from ``links.csv``.

    Rows with an empty imdbId are skipped (no link). If two movies claim the same imdb id, the first
    row wins. A non-numeric imdbId or an empty movieId is a ``DataFileError`` naming the line.
    """
    links: dict[str, str] = {}
    for line, row in iter_csv(links_csv, ("movieId", "imdbId")):
        movie_id = row["movieId"].strip()
        imdb_digits = row["imdbId"].strip()
        if not movie_id:
            raise DataFileError(links_csv, f"line {line}: column 'movieId' is empty")
        if not imdb_digits:
            continue
        if not _DIGITS.fullmatch(imdb_digits):
            raise DataFileError(links_csv, f"line {line}: column 'imdbId' is not a number: {imdb_digits!r}")
        links.setdefault(format_imdb_id(imdb_digits), movie_id)
    return links
