"""Reading dataset files with errors that name the file, the line and the problem; installing a
finished dataset folder in place of an old one."""

from __future__ import annotations

import csv
import json
import shutil
import uuid
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


def iter_jsonl(path: Path) -> Iterator[tuple[int, Any]]:
    """(line number, parsed value) for each non-blank line of a JSON Lines file."""
    require_file(path)
    line = 0
    try:
        with path.open(encoding="utf-8") as handle:
            for line, text in enumerate(handle, start=1):
                if not text.strip():
                    continue
                try:
                    value = json.loads(text.rstrip("\r\n"))  # an error then points into the line
                except json.JSONDecodeError as error:
                    raise DataFileError(
                        path, f"line {line}, column {error.colno}: malformed JSON: {error.msg}"
                    ) from None
                yield line, value
    except UnicodeDecodeError as error:
        raise DataFileError(path, f"line {line + 1}: not UTF-8 text ({error.reason})") from None


def iter_csv(
    path: Path,
    required: tuple[str, ...],
    *,
    delimiter: str = ",",
    encoding: str = "utf-8",
    quoting: Literal[0, 1, 2, 3] = csv.QUOTE_MINIMAL,
    require_line_end: bool = True,
) -> Iterator[tuple[int, dict[str, str]]]:
    """(line number, row) for each data row; checks the header holds the ``required`` columns.

    A file cut off mid-row is an error, not a shorter file: a row with a missing column, a quoted
    field still open at the end of the file, and (``require_line_end``) a last line without its line
    end — every file the loaders read is written line by line, so a missing last newline means the
    copy stopped early. Tab-separated files with stray quotes (HetRec's ``artists.dat``) need
    ``quoting=csv.QUOTE_NONE``.
    """
    require_file(path)
    line = 1
    try:
        with path.open(encoding=encoding, newline="") as handle:
            reader = csv.DictReader(handle, delimiter=delimiter, quoting=quoting, strict=True)
            header = reader.fieldnames or []
            missing = [name for name in required if name not in header]
            if missing:
                raise DataFileError(
                    path,
                    f"header lacks column(s) {', '.join(missing)} (found: {', '.join(header) or 'none'})",
                )
            for row in reader:
                line = reader.line_num
                if None in row or any(row.get(name) is None for name in required):
                    raise DataFileError(path, f"line {line}: wrong number of fields")
                yield line, row
    except UnicodeDecodeError as error:
        raise DataFileError(path, f"not {encoding} text ({error.reason} at byte {error.start})") from error
    except csv.Error as error:
        # The reader fails on the row after the last one it returned; its own line count may not
        # have moved yet, so the row's first line is named.
        if "unexpected end of data" in str(error):
            raise DataFileError(
                path, f"line {line + 1}: a quoted field is not closed at the end of the file (truncated?)"
            ) from error
        raise DataFileError(path, f"line {line + 1}: malformed CSV: {error}") from error
    if require_line_end and not _ends_with_line_end(path):
        raise DataFileError(path, f"line {line}: the last line has no line end: the file looks truncated")


def _ends_with_line_end(path: Path) -> bool:
    """The file is empty or its last byte is a newline (read from the end: no second pass)."""
    with path.open("rb") as handle:
        size = handle.seek(0, 2)
        if size == 0:
            return True
        handle.seek(size - 1)
        return handle.read(1) == b"\n"


def parse_field(path: Path, line: int, column: str, text: str, convert: Callable[[str], T]) -> T:
    """``convert(text)``, or a ``DataFileError`` naming the line, the column and the bad value."""
    try:
        return convert(text)
    except ValueError:
        kind = getattr(convert, "__name__", "value")
        raise DataFileError(path, f"line {line}: column {column!r} is not a valid {kind}: {text!r}") from None


def replace_folder(staging: Path, target: Path) -> None:
    """Move ``staging`` to ``target`` by rename; an old ``target`` is moved aside and removed after."""
    if not target.exists() and not target.is_symlink():
        staging.replace(target)
        return
    aside = target.with_name(f".{target.name}.old-{uuid.uuid4().hex[:8]}")
    target.replace(aside)
    try:
        staging.replace(target)
    except OSError:
        aside.replace(target)  # put the old folder back
        raise
    if aside.is_dir() and not aside.is_symlink():
        shutil.rmtree(aside, ignore_errors=True)
    else:
        aside.unlink(missing_ok=True)
