"""Raw SQL over a catalog database, as an LLM writes it (InteRecAgent style), run so it can only read.

Four locks, any one of which would refuse a write: the file is opened read-only (``mode=ro``),
``PRAGMA query_only`` is on, an authorizer allows only SELECT over the tables named in
``RAW_SQL_TABLES`` (and a short list of harmless actions), and SQLite limits cap ATTACH and the size
of one value. A row cap and a byte cap bound the answer (fetching stops once over), and a progress
handler stops a query at its time limit. Every limit is a field of ``RawSqlLimits``.

The query is untrusted text: it is never parsed here (no regular expression runs over it). What was
refused is named from what SQLite reports to the authorizer (action codes and their arguments).
"""

from __future__ import annotations

import contextlib
import sqlite3
import time
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from crsagent.data.query import ATTRIBUTES_TABLE, ITEMS_TABLE
from crsagent.errors import QueryError, QueryTimeoutError

RAW_SQL_TABLES: tuple[str, ...] = (ITEMS_TABLE, ATTRIBUTES_TABLE)
"""The only tables (or views) raw SQL may read."""

DEFAULT_MAX_ROWS = 200
DEFAULT_TIME_LIMIT_S = 2.0


class RawSqlLimits(BaseModel):
    """How much one raw SQL query may cost; the defaults suit an LLM tool call in a chat turn."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    max_rows: int = Field(default=DEFAULT_MAX_ROWS, ge=1, description="Rows that come back at most.")
    time_limit_s: float = Field(default=DEFAULT_TIME_LIMIT_S, gt=0, description="Wall time of one query.")
    max_result_bytes: int = Field(
        default=1_000_000,
        ge=1,
        description="Size of the whole answer (text as UTF-8, blobs as hex); fetching stops once over.",
    )
    max_value_bytes: int = Field(
        default=1_000_000,
        ge=1,
        description="Largest string or blob SQLite may build (SQLITE_LIMIT_LENGTH): zeroblob(1e9) fails at once.",
    )


DENIED_FUNCTIONS = frozenset(
    {
        "load_extension",
        "readfile",
        "writefile",
        "edit",
        "fts3_tokenizer",
        "sqlar_compress",
        "sqlar_uncompress",
        # printf('%.*c', 1000000000, 'x') loops a billion times inside one call: neither the progress
        # handler (between VM instructions) nor SQLITE_LIMIT_LENGTH stops it in SQLite 3.40.
        "printf",
        "format",
    }
)
"""SQL functions that touch files, load code, change tokenizers or can run unbounded inside one call:
refused even when compiled in."""

_PROGRESS_EVERY = 1000  # VM instructions between deadline checks: cheap, and well under 1 ms apart
_FETCH_BATCH = 50  # rows per fetchmany: the byte cap is checked after each batch

_ACTION_CODES = (
    "CREATE_INDEX", "CREATE_TABLE", "CREATE_TEMP_INDEX", "CREATE_TEMP_TABLE", "CREATE_TEMP_TRIGGER",
    "CREATE_TEMP_VIEW", "CREATE_TRIGGER", "CREATE_VIEW", "DELETE", "DROP_INDEX", "DROP_TABLE",
    "DROP_TEMP_INDEX", "DROP_TEMP_TABLE", "DROP_TEMP_TRIGGER", "DROP_TEMP_VIEW", "DROP_TRIGGER",
    "DROP_VIEW", "INSERT", "PRAGMA", "READ", "SELECT", "TRANSACTION", "UPDATE", "ATTACH", "DETACH",
    "ALTER_TABLE", "REINDEX", "ANALYZE", "CREATE_VTABLE", "DROP_VTABLE", "FUNCTION", "SAVEPOINT",
    "RECURSIVE",
)  # fmt: skip
_ACTION_NAMES: dict[int, str] = {
    getattr(sqlite3, f"SQLITE_{code}"): code.replace("_", " ")
    for code in _ACTION_CODES
    if hasattr(sqlite3, f"SQLITE_{code}")
}

JsonScalar = str | int | float | None


class SqlResult(BaseModel):
    """The answer to one raw SQL query."""

    columns: list[str] = Field(description="Column names, in SELECT order.")
    rows: list[list[JsonScalar]] = Field(
        description="Result rows (at most the row cap); blobs come back as lowercase hex text."
    )
    truncated: bool = Field(
        description="True when the query had more rows than the cap; the rest were dropped."
    )
    elapsed_ms: float = Field(description="Wall time of the query, in milliseconds.")


_SCHEMA_TABLES = frozenset({"sqlite_master", "sqlite_schema", "sqlite_temp_master", "sqlite_temp_schema"})
_SYSTEM_PREFIXES = ("sqlite_", "pragma_")


def _schema_names(connection: sqlite3.Connection) -> frozenset[str]:
    """Lower-cased names a query could read besides the allowed ones: tables, views, virtual-table modules."""
    names = {str(row[0]).lower() for row in connection.execute("SELECT name FROM sqlite_master")}
    with contextlib.suppress(sqlite3.Error):  # builds without introspection pragmas: the prefix rule remains
        names.update(str(row[0]).lower() for row in connection.execute("PRAGMA module_list"))
    return frozenset(names | _SCHEMA_TABLES)


class _Guard:
    """Authorizer and progress handler for one query; remembers what it refused and whether time ran out."""

    def __init__(
        self, allowed_tables: tuple[str, ...], other_names: frozenset[str], time_limit_s: float
    ) -> None:
        self.allowed_tables = allowed_tables
        self._allowed = frozenset(table.lower() for table in allowed_tables)
        self._other_names = other_names - self._allowed
        self.time_limit_s = time_limit_s
        self.deadline = time.monotonic() + time_limit_s
        self.denied: list[str] = []
        self.schema_write: str | None = None
        self.timed_out = False

    def authorize(
        self, action: int, arg1: str | None, arg2: str | None, database: str | None, _source: str | None
    ) -> int:
        if action in (sqlite3.SQLITE_SELECT, sqlite3.SQLITE_RECURSIVE):
            return sqlite3.SQLITE_OK
        if action == sqlite3.SQLITE_READ and self._may_read(arg1 or "", arg2, database):
            return sqlite3.SQLITE_OK
        if action == sqlite3.SQLITE_FUNCTION and (arg2 or "").lower() not in DENIED_FUNCTIONS:
            return sqlite3.SQLITE_OK
        if (
            action in (sqlite3.SQLITE_INSERT, sqlite3.SQLITE_DELETE)
            and (arg1 or "").lower() in _SCHEMA_TABLES
        ):
            # CREATE / DROP report the write to the schema table first and their own action code (with
            # the name) next: let the first through so that the second, refused, names the statement.
            # Nothing runs meanwhile (this is compilation) and the file is read-only; a statement that
            # writes the schema table directly is refused by SQLite itself.
            self.schema_write = f"changing the schema ({_ACTION_NAMES[action]} {arg1})"
            return sqlite3.SQLITE_OK
        self._record(action, arg1, arg2, database)
        return sqlite3.SQLITE_DENY

    def _may_read(self, table: str, column: str | None, database: str | None) -> bool:
        name = table.lower()
        if name in self._allowed and database in (None, "main"):
            return True
        # A FROM term none of whose columns is used (count(*), SELECT 1 FROM t) is reported with column
        # "" and the name as written, which may also be a CTE: allow it only when no real table, view or
        # table-valued function has that name, so a CTE works and count(*) of a hidden table does not.
        return (
            column == ""
            and database is None
            and name not in self._other_names
            and not name.startswith(_SYSTEM_PREFIXES)
        )

    def _record(self, action: int, arg1: str | None, arg2: str | None, database: str | None) -> None:
        name = _ACTION_NAMES.get(action, f"action {action}")
        schema_write = action == sqlite3.SQLITE_UPDATE and (arg1 or "").lower() in _SCHEMA_TABLES
        if action == sqlite3.SQLITE_READ:
            where = f"{database}.{arg1}" if database not in (None, "main") else arg1
            text = f"reading table {where}"
        elif action == sqlite3.SQLITE_FUNCTION:
            text = f"function {arg2}()"
        elif action == sqlite3.SQLITE_PRAGMA:
            text = f"PRAGMA {arg1}" + (f"={arg2}" if arg2 is not None else "")
        elif action == sqlite3.SQLITE_ALTER_TABLE:
            text = f"ALTER TABLE {arg2}"  # arg1 is the database
        elif schema_write:
            # Table-valued functions (pragma_table_info, json_each, dbstat) register themselves in the schema.
            text = "table-valued function (not available)"
        else:
            text = " ".join(part for part in (name, arg1) if part)
        if text not in self.denied:
            self.denied.append(text)

    def progress(self) -> int:
        if time.monotonic() > self.deadline:
            self.timed_out = True
            return 1  # non-zero interrupts the statement
        return 0


def _json_value(value: object) -> JsonScalar:
    if isinstance(value, bytes):
        return value.hex()
    if value is None or isinstance(value, str | int | float):
        return value
    return str(value)


def _refusal(guard: _Guard) -> QueryError:
    tables = ", ".join(guard.allowed_tables)
    denied = guard.denied or [guard.schema_write or "an action SQLite did not name"]
    attempted = "; ".join(denied[:3])
    if len(denied) > 3:
        attempted += f"; and {len(denied) - 3} more"
    return QueryError(f"raw SQL refused: only SELECT on {tables} is allowed (attempted: {attempted})")


def _size(value: JsonScalar) -> int:
    """Bytes ``value`` takes in the answer (UTF-8 text; a blob is already hex text here)."""
    if isinstance(value, str):
        return len(value.encode("utf-8", "replace"))
    return 8 if value is not None else 4


def _fetch(cursor: sqlite3.Cursor, limits: RawSqlLimits) -> tuple[list[list[JsonScalar]], bool]:
    """Rows up to the row and byte caps, fetched in small batches so that fetching stops once over."""
    rows: list[list[JsonScalar]] = []
    used = 0
    while len(rows) <= limits.max_rows:
        batch = cursor.fetchmany(min(_FETCH_BATCH, limits.max_rows + 1 - len(rows)))
        if not batch:
            return rows, False
        for raw in batch:
            row = [_json_value(value) for value in raw]
            used += sum(_size(value) for value in row)
            if used > limits.max_result_bytes:
                if not rows:
                    raise QueryError(
                        f"raw SQL answer too large: its first row alone is over the cap of "
                        f"{limits.max_result_bytes:,} bytes; select fewer or shorter columns"
                    )
                return rows, True
            if len(rows) == limits.max_rows:
                return rows, True
            rows.append(row)
    return rows, True


def run_raw_sql(
    db_path: Path | str,
    sql: str,
    *,
    limits: RawSqlLimits | None = None,
    allowed_tables: tuple[str, ...] = RAW_SQL_TABLES,
) -> SqlResult:
    """Run one read-only SELECT on the database at ``db_path``.

    Raises ``QueryError`` naming what was refused (anything but SELECT on ``allowed_tables``, more
    than one statement) or the SQLite error (syntax, unknown column), and ``QueryTimeoutError`` when
    the query runs past its time limit. At most ``limits.max_rows`` rows and ``max_result_bytes``
    bytes come back, ``truncated`` says if there were more. The database is never changed.
    """
    limits = limits or RawSqlLimits()
    sql = sql.strip().rstrip("; \t\r\n")  # "SELECT ...;;" is still one statement
    if not sql:
        raise QueryError("raw SQL is empty: write one SELECT statement")
    path = Path(db_path).resolve()
    if not path.is_file():
        raise QueryError(f"catalog database {path} does not exist")

    started = time.perf_counter()
    connection = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True, isolation_level=None)
    try:
        connection.execute("PRAGMA query_only = ON")  # before the authorizer, which refuses every PRAGMA
        connection.setlimit(sqlite3.SQLITE_LIMIT_ATTACHED, 0)
        other_names = _schema_names(connection)  # before the length limit, which also binds schema text
        connection.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, limits.max_value_bytes)
        guard = _Guard(allowed_tables, other_names, limits.time_limit_s)
        connection.set_authorizer(guard.authorize)
        connection.set_progress_handler(guard.progress, _PROGRESS_EVERY)
        try:
            cursor = connection.execute(sql)
            if guard.schema_write is not None:  # compiled although it writes the schema: never run it
                raise _refusal(guard)
            if cursor.description is None:
                raise QueryError(
                    "raw SQL returned no result (no statement, or not a query): write one SELECT"
                )
            columns = [str(column[0]) for column in cursor.description]
            rows, truncated = _fetch(cursor, limits)
        except sqlite3.Error as error:
            raise _translate(error, guard) from None
    finally:
        connection.close()

    elapsed_ms = (time.perf_counter() - started) * 1000.0
    return SqlResult(columns=columns, rows=rows, truncated=truncated, elapsed_ms=elapsed_ms)


def _translate(error: sqlite3.Error, guard: _Guard) -> QueryError:
    """The ``QueryError`` that says, in words, why SQLite stopped."""
    if guard.timed_out:
        return QueryTimeoutError(
            f"raw SQL stopped: it ran past its time limit of {guard.time_limit_s:g} s "
            "(add a LIMIT, or a WHERE bound to a recursive CTE)"
        )
    if guard.denied or guard.schema_write is not None:
        return _refusal(guard)
    if isinstance(error, sqlite3.ProgrammingError) and "one statement" in str(error):
        return QueryError("raw SQL refused: one statement at a time (found more after the first ';')")
    code = getattr(error, "sqlite_errorname", None) or type(error).__name__
    return QueryError(f"raw SQL failed: {error} ({code})")
