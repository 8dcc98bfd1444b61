"""The SQLite item database of a catalog: built once per catalog content, cached, then queried.

The file lives at ``<cache_dir>/catalogs/<content hash>.sqlite``. It is written to a temporary file in
the same folder and moved into place with ``os.replace``, so a crash leaves either no database or a
whole one, never half of one. Every query opens its own read-only connection and closes it, which
keeps the store safe to share between threads.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import numpy as np

from crsagent.config import Settings
from crsagent.data.catalog import Catalog
from crsagent.data.query import (
    ATTRIBUTES_TABLE,
    CASEFOLD_FUNCTION,
    ITEMS_TABLE,
    ItemQuery,
    compile_count,
    compile_query,
)
from crsagent.data.raw_sql import (
    DEFAULT_MAX_ROWS,
    DEFAULT_TIME_LIMIT_S,
    RawSqlLimits,
    SqlResult,
    run_raw_sql,
)
from crsagent.pickle_cache import write_atomically

SCHEMA_VERSION = 1
"""Stored as ``PRAGMA user_version``; a cached file with another version is rebuilt."""

_SCHEMA = f"""
CREATE TABLE {ITEMS_TABLE} (
    id TEXT PRIMARY KEY,
    idx INTEGER NOT NULL UNIQUE,
    title TEXT NOT NULL,
    year INTEGER,
    popularity REAL NOT NULL,
    text TEXT NOT NULL
);
CREATE TABLE {ATTRIBUTES_TABLE} (
    item_id TEXT NOT NULL REFERENCES {ITEMS_TABLE}(id),
    type TEXT NOT NULL,
    value TEXT NOT NULL
);
"""

_INDEXES = f"""
CREATE INDEX {ATTRIBUTES_TABLE}_type_value ON {ATTRIBUTES_TABLE}(type, value, item_id);
CREATE INDEX {ATTRIBUTES_TABLE}_item ON {ATTRIBUTES_TABLE}(item_id);
CREATE INDEX {ITEMS_TABLE}_popularity ON {ITEMS_TABLE}(popularity DESC, idx);
CREATE INDEX {ITEMS_TABLE}_year ON {ITEMS_TABLE}(year);
"""


def _casefold(text: str | None) -> str | None:
    return None if text is None else text.casefold()


class CatalogStore:
    """Hard-condition queries (typed or raw SQL) over one catalog's SQLite database.

    Constructing a store does no I/O; the database is built (or found in the cache) on first use, or
    by calling ``build()``.
    """

    def __init__(self, catalog: Catalog, cache_dir: Path | str | None = None) -> None:
        self.catalog = catalog
        self.cache_dir = Path(cache_dir) if cache_dir is not None else Settings().cache_dir
        self._ready = False

    @property
    def path(self) -> Path:
        """Where this catalog's database lives (it may not be built yet)."""
        return self.cache_dir / "catalogs" / f"{self.catalog.content_hash}.sqlite"

    def build(self) -> Path:
        """The database's path, after building it unless a valid cached one is already there."""
        if self._ready and self.path.is_file():
            return self.path
        if not self._cached_file_is_valid():
            self._write_database()
        self._ready = True
        return self.path

    def search(self, query: ItemQuery) -> list[str]:
        """Ids of the items that meet ``query``, most popular first, at most ``query.limit``."""
        return [item_id for item_id, _ in self._rows(query)]

    def search_indices(self, query: ItemQuery) -> np.ndarray:
        """Like ``search`` but catalog indices (``int64``), the currency between tools."""
        return np.fromiter((index for _, index in self._rows(query)), dtype=np.int64)

    def count(self, query: ItemQuery) -> int:
        """How many items meet ``query``, ignoring its ``limit``."""
        compiled = compile_count(query)
        with self._connect() as connection:
            (total,) = connection.execute(compiled.sql, compiled.params).fetchone()
        return int(total)

    def raw_sql(
        self,
        sql: str,
        *,
        max_rows: int = DEFAULT_MAX_ROWS,
        time_limit_s: float = DEFAULT_TIME_LIMIT_S,
    ) -> SqlResult:
        """Run one read-only SELECT over ``items`` / ``item_attributes`` (see ``run_raw_sql``)."""
        limits = RawSqlLimits(max_rows=max_rows, time_limit_s=time_limit_s)
        return run_raw_sql(self.build(), sql, limits=limits)

    def _rows(self, query: ItemQuery) -> list[tuple[str, int]]:
        compiled = compile_query(query)
        with self._connect() as connection:
            rows = connection.execute(compiled.sql, compiled.params).fetchall()
        return [(str(item_id), int(index)) for item_id, index in rows]

    @contextlib.contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        """A read-only connection with the functions compiled queries use; closed on exit."""
        path = self.build().resolve()
        connection = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True, isolation_level=None)
        try:
            connection.create_function(CASEFOLD_FUNCTION, 1, _casefold, deterministic=True)
            yield connection
        finally:
            connection.close()

    def _cached_file_is_valid(self) -> bool:
        """True when the cached file exists, is SQLite and has this code's schema version."""
        if not self.path.is_file():
            return False
        try:
            connection = sqlite3.connect(f"{self.path.resolve().as_uri()}?mode=ro", uri=True)
            try:
                (version,) = connection.execute("PRAGMA user_version").fetchone()
                tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master")}
            finally:
                connection.close()
        except sqlite3.DatabaseError:
            return False  # not a database (a foreign file): rebuild over it
        return version == SCHEMA_VERSION and {ITEMS_TABLE, ATTRIBUTES_TABLE} <= tables

    def _write_database(self) -> None:
        def write(handle: IO[bytes]) -> None:
            connection = sqlite3.connect(handle.name, isolation_level=None)
            try:
                self._fill(connection)
            finally:
                connection.close()
            os.fsync(handle.fileno())  # the bytes are on disk before the name points at them

        write_atomically(self.path, write)  # readers see the old file or the whole new one

    def _fill(self, connection: sqlite3.Connection) -> None:
        # Nothing to protect while filling a private temporary file: no journal, no syncs. The rows go
        # in one transaction, which the second script commits (executescript commits first).
        connection.executescript(f"PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF; BEGIN; {_SCHEMA}")
        connection.executemany(
            f"INSERT INTO {ITEMS_TABLE} (id, idx, title, year, popularity, text) VALUES (?, ?, ?, ?, ?, ?)",
            (
                (item.id, index, item.title, item.year, float(item.popularity), item.text)
                for index, item in enumerate(self.catalog.items)
            ),
        )
        connection.executemany(
            f"INSERT INTO {ATTRIBUTES_TABLE} (item_id, type, value) VALUES (?, ?, ?)",
            (
                (item.id, attribute_type, value)
                for item in self.catalog.items
                for attribute_type, values in item.attributes.items()
                for value in dict.fromkeys(values)  # a value listed twice is one row
            ),
        )
        connection.executescript(f"{_INDEXES} PRAGMA user_version = {SCHEMA_VERSION}; ANALYZE;")
