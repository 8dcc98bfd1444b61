"""Rows of a user's CSV, JSONL or Parquet file, each with the line (or row) it came from.

Every format yields ``(line, row)`` with ``row`` a mapping of column name -> raw value; what a
value must be (an id, a year, a list of attribute values) is checked by the importer, which names
the file, the line and the column of anything wrong. CSV lines are physical lines (a quoted field
may span several; the row's first line is named); JSONL lines are lines; Parquet has no lines, so
its rows are numbered from 1.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal

from crsagent.data.files import iter_csv, iter_jsonl, require_file
from crsagent.errors import DataFileError

FileFormat = Literal["csv", "jsonl", "parquet"]
FORMATS: tuple[FileFormat, ...] = ("csv", "jsonl", "parquet")
_SUFFIXES: dict[str, FileFormat] = {
    ".csv": "csv",
    ".tsv": "csv",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".parquet": "parquet",
    ".pq": "parquet",
}

# Rows per Parquet batch: bounded memory on large files.
PARQUET_BATCH_ROWS = 65_536


def detect_format(path: Path, given: str | None = None) -> FileFormat:
    """The format named by ``given``, else by the file's suffix; an error says which are known."""
    if given is not None:
        if given not in FORMATS:
            raise DataFileError(path, f"unknown format {given!r}: use one of {', '.join(FORMATS)}")
        return given  # type: ignore[return-value]  # checked against FORMATS just above
    found = _SUFFIXES.get(path.suffix.lower())
    if found is None:
        raise DataFileError(
            path,
            f"cannot tell the format from the suffix {path.suffix!r}: name the file *.csv, *.tsv, "
            "*.jsonl or *.parquet, or pass --format",
        )
    return found


def read_header(path: Path, file_format: FileFormat) -> list[str] | None:
    """The column names of a CSV or Parquet file (None for JSONL, whose keys vary by line)."""
    require_file(path)
    if file_format == "jsonl":
        return None
    if file_format == "parquet":
        return list(_parquet_file(path).schema_arrow.names)
    try:
        with path.open(encoding="utf-8", newline="") as handle:
            first = handle.readline()
    except UnicodeDecodeError as error:
        raise DataFileError(path, f"not utf-8 text ({error.reason} at byte {error.start})") from error
    if not first.strip():
        raise DataFileError(path, "line 1: no header row (expected column names such as id,title)")
    return next(csv.reader([first], delimiter=_delimiter(path)))


def iter_rows(
    path: Path, file_format: FileFormat, required: tuple[str, ...]
) -> Iterator[tuple[int, dict[str, Any]]]:
    """``(line, row)`` for each record; a CSV or Parquet file must have the ``required`` columns."""
    if file_format == "csv":
        yield from iter_csv(path, required, delimiter=_delimiter(path), require_line_end=False)
    elif file_format == "jsonl":
        yield from _iter_jsonl(path, required)
    else:
        yield from _iter_parquet(path, required)


def _delimiter(path: Path) -> str:
    return "\t" if path.suffix.lower() == ".tsv" else ","


def _iter_jsonl(path: Path, required: tuple[str, ...]) -> Iterator[tuple[int, dict[str, Any]]]:
    for line, row in iter_jsonl(path):
        if not isinstance(row, dict):
            raise DataFileError(path, f"line {line}: expected a JSON object, found {type(row).__name__}")
        missing = [name for name in required if name not in row]
        if missing:
            raise DataFileError(path, f"line {line}: missing key(s) {', '.join(missing)}")
        yield line, row


def _parquet_file(path: Path) -> Any:
    try:
        import pyarrow.parquet as pq
    except ImportError:
        raise DataFileError(
            path, "reading Parquet needs pyarrow: pip install 'crsagent[data]' (or pyarrow)"
        ) from None
    try:
        return pq.ParquetFile(path)
    except Exception as error:  # pyarrow raises several types for a corrupt file
        raise DataFileError(path, f"not a readable Parquet file: {error}") from error


def _iter_parquet(path: Path, required: tuple[str, ...]) -> Iterator[tuple[int, dict[str, Any]]]:
    require_file(path)
    parquet = _parquet_file(path)
    names = list(parquet.schema_arrow.names)
    missing = [name for name in required if name not in names]
    if missing:
        raise DataFileError(
            path, f"lacks column(s) {', '.join(missing)} (found: {', '.join(names) or 'none'})"
        )
    row_number = 0
    for batch in parquet.iter_batches(batch_size=PARQUET_BATCH_ROWS):
        for row in batch.to_pylist():
            row_number += 1
            yield row_number, row
