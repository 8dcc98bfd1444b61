"""Pickled objects in crsagent's own cache folder: atomic writes, and unreadable files treated as absent.

Only files crsagent wrote itself under the cache folder are read this way (pickle runs code on load).
``shared`` objects (a catalog that an index was built from) are not stored: the file names them,
and the objects the reader passes take their place, wherever in the stored object they sat.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import logging
import os
import pickle
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from types import ModuleType
from typing import IO, TypeVar

logger = logging.getLogger(__name__)

T = TypeVar("T")

# What a stale or damaged pickle raises: a truncated file, a class that moved or changed.
_UNREADABLE = (pickle.UnpicklingError, EOFError, AttributeError, ImportError, ModuleNotFoundError, TypeError)


class _SharingPickler(pickle.Pickler):
    def __init__(self, handle: IO[bytes], shared: Sequence[object]) -> None:
        super().__init__(handle, protocol=pickle.HIGHEST_PROTOCOL)
        self._ids = {id(value): position for position, value in enumerate(shared)}

    def persistent_id(self, obj: object) -> int | None:  # pyright: ignore[reportIncompatibleMethodOverride]
        return self._ids.get(id(obj))


class _SharingUnpickler(pickle.Unpickler):
    def __init__(self, handle: IO[bytes], shared: Sequence[object]) -> None:
        super().__init__(handle)
        self._shared = shared

    def persistent_load(self, pid: object) -> object:
        if not isinstance(pid, int) or not 0 <= pid < len(self._shared):
            raise pickle.UnpicklingError(f"the file refers to shared object {pid!r}, which was not given")
        return self._shared[pid]


def read_cached(path: Path, expected: type[T], *, shared: Sequence[object] = ()) -> T | None:
    """The object pickled at ``path`` if it is there, readable and an ``expected``; else None (logged)."""
    if not path.is_file():
        return None
    try:
        with path.open("rb") as handle:
            value = _SharingUnpickler(handle, shared).load()
    except _UNREADABLE as error:
        logger.warning("cache file %s is unreadable (%s); it will be rebuilt", path, error)
        return None
    if not isinstance(value, expected):
        logger.warning("cache file %s holds a %s, not a %s; it will be rebuilt", path, type(value), expected)
        return None
    return value


def write_atomically(path: Path, write: Callable[[IO[bytes]], object]) -> None:
    """``write`` into a temporary file, then rename it to ``path``: readers never see half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary_name = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    os.close(descriptor)
    temporary = Path(temporary_name)
    try:
        with temporary.open("r+b") as handle:  # named: a writer may also open the file by handle.name
            write(handle)
        temporary.replace(path)
    finally:
        temporary.unlink(missing_ok=True)


def write_cached(path: Path, value: object, *, shared: Sequence[object] = ()) -> None:
    """Pickle ``value`` to ``path`` atomically."""
    write_atomically(path, lambda handle: _SharingPickler(handle, shared).dump(value))


def code_digest(modules: Sequence[ModuleType], packages: Sequence[str] = ()) -> str:
    """A digest of the source files of ``modules`` (with their package data when a module is a
    package) and the installed versions of ``packages``: what a cached build must be rebuilt after."""
    digest = hashlib.sha256()
    for module in modules:
        source = Path(module.__file__ or "")
        files = [source]
        if source.name == "__init__.py":  # a package: every module and data file under it
            files = sorted(p for p in source.parent.rglob("*") if p.suffix in {".py", ".json", ".txt"})
        for file in files:
            digest.update(file.name.encode())
            digest.update(file.read_bytes())
    for package in packages:
        digest.update(f"{package}={importlib.metadata.version(package)}".encode())
    return digest.hexdigest()[:32]


def keyed_path(cache_dir: Path, folder: str, name: str, *key: str) -> Path:
    """``cache_dir/folder/name-<digest of key>.pickle``: one file per distinct key."""
    digest = hashlib.sha256("\x1f".join(key).encode())
    return cache_dir / folder / f"{name}-{digest.hexdigest()[:32]}.pickle"


def cached_build(
    path: Path | None, build: Callable[[], T], expected: type[T], *, shared: Sequence[object] = ()
) -> T:
    """The ``expected`` stored at ``path``, or ``build()`` stored there (no cache when ``path`` is None)."""
    if path is not None:
        found = read_cached(path, expected, shared=shared)
        if found is not None:
            return found
    value = build()
    if path is not None:
        write_cached(path, value, shared=shared)
    return value
