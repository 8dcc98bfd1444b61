"""Checking a user's rows: items (id, title, year, text, attributes) and interactions.

Each check names the file, the line (a Parquet row) and the column of a bad value, so a user can
fix a file of a million lines without guessing.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from crsagent.errors import DataFileError

MIN_YEAR = 1
MAX_YEAR = 9999


class ItemColumns(BaseModel):
    """Which columns of the items file hold what."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(default="id", description="The item's id (unique, any text).")
    title: str = Field(default="title", description="The item's display title (not empty).")
    year: str = Field(
        default="year", description="Optional release year (a whole number; empty when unknown)."
    )
    text: str = Field(default="text", description="Optional free text: description, plot, ...")
    attributes: tuple[str, ...] | None = Field(
        default=None,
        description="Attribute columns; None: every other column (JSONL: every other key).",
    )
    separator: str = Field(
        default="|", min_length=1, description="Splits a multi-valued attribute cell ('Drama|Crime')."
    )


class InteractionColumns(BaseModel):
    """Which columns of the interactions file hold what."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    user: str = Field(default="user", description="The user's id (any text).")
    item: str = Field(default="item", description="An item id of the items file.")
    timestamp: str = Field(
        default="timestamp",
        description="Optional time (epoch seconds, or ISO 8601); without it, row order is time order.",
    )
    rating: str = Field(default="rating", description="Optional rating (a number).")


class RowContext:
    """Where a row came from, for error messages."""

    def __init__(self, path: Path, parquet: bool) -> None:
        self.path = path
        self.unit = "row" if parquet else "line"

    def error(self, line: int, column: str | None, problem: str) -> DataFileError:
        """An error naming the file, the line (row) and the column."""
        where = f"{self.unit} {line}" + (f", column {column!r}" if column is not None else "")
        return DataFileError(self.path, f"{where}: {problem}")


def is_blank(value: Any) -> bool:
    """Empty cell: None, '', whitespace, or a float NaN (Parquet and pandas write NaN for missing)."""
    if value is None:
        return True
    if isinstance(value, float):
        return math.isnan(value)
    return isinstance(value, str) and not value.strip()


def text_cell(context: RowContext, line: int, column: str, value: Any, *, limit: int) -> str:
    """A cell as text ('' when blank); numbers become their decimal text, anything nested is an error."""
    if is_blank(value):
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise context.error(line, column, f"expected text, found {type(value).__name__} {value!r:.60}")
    text = _number_text(value) if not isinstance(value, str) else value.strip()
    if len(text) > limit:
        raise context.error(line, column, f"{len(text)} characters, more than the limit of {limit}")
    return text


def _number_text(value: int | float) -> str:
    # 42.0 from a spreadsheet or pandas is the id 42, not "42.0".
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def year_cell(context: RowContext, line: int, column: str, value: Any) -> int | None:
    """A year (None when blank); '1999', 1999 and 1999.0 are accepted."""
    if is_blank(value):
        return None
    try:
        number = float(str(value).strip())
    except ValueError:
        raise context.error(line, column, f"not a year: {value!r}") from None
    if not number.is_integer() or not MIN_YEAR <= number <= MAX_YEAR:
        raise context.error(line, column, f"not a year between {MIN_YEAR} and {MAX_YEAR}: {value!r}")
    return int(number)


def values_cell(
    context: RowContext, line: int, column: str, value: Any, separator: str, *, limit: int
) -> list[str]:
    """Attribute values: a cell split on ``separator``, or a JSON / Parquet list; blanks dropped."""
    if is_blank(value):
        return []
    if isinstance(value, list | tuple):
        parts = [text_cell(context, line, column, part, limit=limit) for part in value]
    else:
        parts = text_cell(context, line, column, value, limit=limit).split(separator)
    seen: dict[str, None] = {}
    for part in parts:
        cleaned = " ".join(part.split())
        if cleaned:
            seen.setdefault(cleaned, None)
    return list(seen)


def number_cell(context: RowContext, line: int, column: str, value: Any) -> float:
    """A finite number."""
    try:
        number = float(str(value).strip()) if not isinstance(value, int | float) else float(value)
    except ValueError:
        raise context.error(line, column, f"not a number: {value!r}") from None
    if not math.isfinite(number):
        raise context.error(line, column, f"not a finite number: {value!r}")
    return number


def timestamp_cell(context: RowContext, line: int, column: str, value: Any) -> int:
    """Seconds since the epoch, from a number or an ISO 8601 date / time (naive = UTC)."""
    if isinstance(value, datetime):
        return int(value.timestamp())
    if isinstance(value, int | float) and not isinstance(value, bool):
        return int(number_cell(context, line, column, value))
    text = str(value).strip()
    try:
        return int(float(text))
    except ValueError:
        pass
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise context.error(
            line, column, f"not a timestamp (epoch seconds or an ISO 8601 date): {value!r}"
        ) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return int(parsed.timestamp())
