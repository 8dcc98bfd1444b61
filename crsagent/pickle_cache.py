"""Pickled objects in crsagent's own cache folder: atomic writes, and unreadable files treated as absent.

Only files crsagent wrote itself under the cache folder are read this way (pickle runs code on load).
"""

from __future__ import annotations

import logging
import os
import pickle
import tempfile
from pathlib import Path
from typing import TypeVar

logger = logging.getLogger(__name__)

T = TypeVar("T")

# What a stale or damaged pickle raises: a truncated file, a class that moved or changed.
_UNREADABLE = (pickle.UnpicklingError, EOFError, AttributeError, ImportError, ModuleNotFoundError, TypeError)


def read_cached(path: Path, expected: type[T]) -> T | None:
    """The object pickled at ``path`` if it is there, readable and an ``expected``; else None (logged)."""
    if not path.is_file():
        return None
    try:
        with path.open("rb") as handle:
            value = pickle.load(handle)
    except _UNREADABLE as error:
        logger.warning("cache file %s is unreadable (%s); it will be rebuilt", path, error)
        return None
    if not isinstance(value, expected):
        logger.warning("cache file %s holds a %s, not a %s; it will be rebuilt", path, type(value), expected)
        return None
    return value


def write_cached(path: Path, value: object) -> None:
    """Pickle ``value`` to a temporary file, then rename: readers never see a half-written file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary_name = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    temporary = Path(temporary_name)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            pickle.dump(value, handle, protocol=pickle.HIGHEST_PROTOCOL)
        temporary.replace(path)
    finally:
        temporary.unlink(missing_ok=True)
