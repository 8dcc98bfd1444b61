"""Checking a user's rows: items (id, title, year, text, attributes) and interactions.

Each check names the file, the line (a Parquet row) and the column of a bad value, so a user can
fix a file of a million lines without guessing.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
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


def is_blank(value: Any) -> bool:
    """Empty cell: None, '', whitespace, or a float NaN (Parquet and pandas write NaN for missing)."""
    if value is None:
        return True
    if isinstance(value, float):
        return math.isnan(value)
    return isinstance(value, str) and not value.strip()


def _number_text(value: int | float) -> str:
    # 42.0 from a spreadsheet or pandas is the id 42, not "42.0".
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


@dataclass(frozen=True)
class Row:
    """One record of a user's file and the checks of its cells; an error names the file, the line
    (a Parquet row) and the column."""

    path: Path
    unit: str  # "line", or "row" for Parquet
    line: int
    cells: dict[str, Any]
    max_chars: int

    def error(self, column: str | None, problem: str) -> DataFileError:
        where = f"{self.unit} {self.line}" + (f", column {column!r}" if column is not None else "")
        return DataFileError(self.path, f"{where}: {problem}")

    def blank(self, column: str) -> bool:
        return is_blank(self.cells.get(column))

    def text(self, column: str) -> str:
        """A cell as text ('' when blank); numbers become their decimal text, anything nested is an error."""
        return self._text(column, self.cells.get(column))

    def _text(self, column: str, value: Any) -> str:
        if is_blank(value):
            return ""
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise self.error(column, f"expected text, found {type(value).__name__} {value!r:.60}")
        text = _number_text(value) if not isinstance(value, str) else value.strip()
        if len(text) > self.max_chars:
            raise self.error(column, f"{len(text)} characters, more than the limit of {self.max_chars}")
        return text

    def year(self, column: str) -> int | None:
        """A year (None when blank); '1999', 1999 and 1999.0 are accepted."""
        value = self.cells.get(column)
        if is_blank(value):
            return None
        try:
            number = float(str(value).strip())
        except ValueError:
            raise self.error(column, f"not a year: {value!r}") from None
        if not number.is_integer() or not MIN_YEAR <= number <= MAX_YEAR:
            raise self.error(column, f"not a year between {MIN_YEAR} and {MAX_YEAR}: {value!r}")
        return int(number)

    def values(self, column: str, separator: str) -> list[str]:
        """Attribute values: a cell split on ``separator``, or a JSON / Parquet list; blanks dropped."""
        value = self.cells.get(column)
        if is_blank(value):
            return []
        if isinstance(value, list | tuple):
            parts = [self._text(column, part) for part in value]
        else:
            parts = self._text(column, value).split(separator)
        cleaned = (" ".join(part.split()) for part in parts)
        return list(dict.fromkeys(part for part in cleaned if part))

    def number(self, column: str) -> float:
        """A finite number."""
        value = self.cells.get(column)
        try:
            number = float(str(value).strip()) if not isinstance(value, int | float) else float(value)
        except ValueError:
            raise self.error(column, f"not a number: {value!r}") from None
        if not math.isfinite(number):
            raise self.error(column, f"not a finite number: {value!r}")
        return number

    def timestamp(self, column: str) -> int:
        """Seconds since the epoch, from a number or an ISO 8601 date / time (naive = UTC)."""
        value = self.cells.get(column)
        if isinstance(value, datetime):
            return int(value.timestamp())
        if isinstance(value, int | float) and not isinstance(value, bool):
            return int(self.number(column))
        text = str(value).strip()
        try:
            return int(float(text))
        except ValueError:
            pass
        try:
            parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            raise self.error(
                column, f"not a timestamp (epoch seconds or an ISO 8601 date): {value!r}"
            ) from None
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=UTC)
        return int(parsed.timestamp())
