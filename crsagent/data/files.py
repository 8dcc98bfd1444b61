"""Reading dataset files with errors that name the file, the line and the problem."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Literal, TypeVar

from crsagent.errors import DataFileError

T = TypeVar("T")


def require_file(path: Path) -> Path:
    """``path`` if it is a readable file, else a ``DataFileError`` saying it is missing."""
    if not path.is_file():
        problem = "is a folder, expected a file" if path.exists() else "file is missing"
        raise DataFileError(path, problem)
    return path


def read_json(path: Path) -> Any:
    """Parsed JSON, or a ``DataFileError`` with the line and column of the syntax error."""
    require_file(path)
    try:
        with path.open(encoding="utf-8") as handle:
            return json.load(handle)
    except json.JSONDecodeError as error:
        raise DataFileError(
            path, f"malformed JSON at line {error.lineno}, column {error.colno}: {error.msg}"
        ) from None
    except UnicodeDecodeError as error:
        raise DataFileError(path, f"not UTF-8 text ({error.reason} at byte {error.start})") from error


def read_json_object(path: Path) -> dict[str, Any]:
    """Like ``read_json`` but the top level must be an object."""
    data = read_json(path)
    if not isinstance(data, dict):
        raise DataFileError(path, f"expected a JSON object at the top level, found {type(data).__name__}")
    return data


def iter_csv(
    path: Path,
    required: tuple[str, ...],
    *,
    delimiter: str = ",",
    encoding: str = "utf-8",
    quoting: Literal[0, 1, 2, 3] = csv.QUOTE_MINIMAL,
) -> Iterator[tuple[int, dict[str, str]]]:
    """(line number, row) for each data row; checks the header holds the ``required`` columns.

    Tab-separated files with stray quotes (HetRec's ``artists.dat``) need ``quoting=csv.QUOTE_NONE``.
    """
    require_file(path)
    try:
        with path.open(encoding=encoding, newline="") as handle:
            reader = csv.DictReader(handle, delimiter=delimiter, quoting=quoting)
            header = reader.fieldnames or []
            missing = [name for name in required if name not in header]
            if missing:
                raise DataFileError(
                    path,
                    f"header lacks column(s) {', '.join(missing)} (found: {', '.join(header) or 'none'})",
                )
            for row in reader:
                if None in row or any(row.get(name) is None for name in required):
                    raise DataFileError(path, f"line {reader.line_num}: wrong number of fields")
                yield reader.line_num, row
    except UnicodeDecodeError as error:
        raise DataFileError(path, f"not {encoding} text ({error.reason} at byte {error.start})") from error
    except csv.Error as error:
        raise DataFileError(path, f"malformed CSV: {error}") from error


def parse_field(path: Path, line: int, column: str, text: str, convert: Callable[[str], T]) -> T:
    """``convert(text)``, or a ``DataFileError`` naming the line, the column and the bad value."""
    try:
        return convert(text)
    except ValueError:
        kind = getattr(convert, "__name__", "value")
        raise DataFileError(path, f"line {line}: column {column!r} is not a valid {kind}: {text!r}") from None
