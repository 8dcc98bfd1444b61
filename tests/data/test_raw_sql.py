"""Raw SQL (as an LLM writes it) runs read-only: only SELECT on the item tables, capped, time-limited."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

import pytest

from crsagent.data import Catalog, Item
from crsagent.data.raw_sql import SqlResult, run_raw_sql
from crsagent.data.sqlstore import CatalogStore
from crsagent.errors import QueryError, QueryTimeoutError

N_ITEMS = 30
SECRET_TABLE = "secret_notes"  # made in the file by the test setup; raw SQL must not see it


@pytest.fixture
def store(tmp_path: Path) -> CatalogStore:
    items = [
        Item(
            id=f"m{n}",
            title=f"Movie {n}",
            attributes={"genre": ["Comedy" if n % 2 else "Drama"], "decade": [f"{1950 + 10 * (n % 5)}s"]},
            year=1950 + n,
            popularity=float(n),
        )
        for n in range(N_ITEMS)
    ]
    store = CatalogStore(Catalog(items, name="raw"), tmp_path)
    with sqlite3.connect(store.build()) as connection:
        connection.execute(f"CREATE TABLE {SECRET_TABLE} (note TEXT)")
        connection.execute(f"INSERT INTO {SECRET_TABLE} VALUES ('the answer')")
    connection.close()
    return store


def fingerprint(path: Path) -> tuple[str, list[tuple[str, int]]]:
    """sha256 of the file, and the row count of every table in it."""
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    connection = sqlite3.connect(path)
    try:
        tables = [row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        counts = [
            (table, connection.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0]) for table in tables
        ]
    finally:
        connection.close()
    return digest, sorted(counts)


REFUSED = "raw SQL refused: only SELECT on items, item_attributes is allowed"


@pytest.mark.parametrize(
    ("sql", "message"),
    [
        pytest.param(
            "INSERT INTO items (id, idx, title, popularity, text) VALUES ('x', 99, 'X', 0, '')",
            f"{REFUSED} (attempted: INSERT items)",
            id="insert",
        ),
        pytest.param("UPDATE items SET title = 'hacked'", "attempted: UPDATE items", id="update"),
        pytest.param("DELETE FROM items", "attempted: DELETE items", id="delete"),
        pytest.param(
            "DELETE FROM item_attributes WHERE type = 'genre'", "DELETE item_attributes", id="delete-where"
        ),
        pytest.param("DROP TABLE items", f"{REFUSED} (attempted: DROP TABLE items)", id="drop-table"),
        pytest.param("DROP INDEX item_attributes_item", "DROP INDEX item_attributes_item", id="drop-index"),
        pytest.param("CREATE TABLE evil (x)", "attempted: CREATE TABLE evil", id="create-table"),
        pytest.param(
            "CREATE TEMP TABLE evil (x)", "attempted: CREATE TEMP TABLE evil", id="create-temp-table"
        ),
        pytest.param("CREATE VIEW v AS SELECT id FROM items", "attempted: CREATE VIEW v", id="create-view"),
        pytest.param("ALTER TABLE items RENAME TO gone", "attempted: ALTER TABLE items", id="alter"),
        pytest.param("ATTACH DATABASE ':memory:' AS other", "attempted: ATTACH :memory:", id="attach"),
        pytest.param("DETACH DATABASE main", "attempted: DETACH main", id="detach"),
        pytest.param(
            "PRAGMA writable_schema=1", "attempted: PRAGMA writable_schema=1", id="pragma-writable-schema"
        ),
        pytest.param(
            "PRAGMA table_info(items)", "attempted: PRAGMA table_info=items", id="pragma-table-info"
        ),
        pytest.param("PRAGMA query_only=OFF", "attempted: PRAGMA query_only=OFF", id="pragma-query-only-off"),
        pytest.param(
            "SELECT * FROM pragma_table_info('items')", "table-valued function", id="pragma-function"
        ),
        pytest.param("SELECT count(*) FROM dbstat", "table-valued function", id="dbstat"),
        pytest.param("SELECT key FROM json_each('[1, 2]')", "table-valued function", id="json-each"),
        pytest.param(
            "SELECT count(*) FROM sqlite_master", "reading table sqlite_master", id="count-sqlite-master"
        ),
        pytest.param(
            f"SELECT count(*) FROM {SECRET_TABLE}", f"reading table {SECRET_TABLE}", id="count-other"
        ),
        pytest.param(f"SELECT 1 FROM {SECRET_TABLE.upper()}", "reading table", id="other-table-no-columns"),
        pytest.param(
            f"SELECT count(*) FROM main.{SECRET_TABLE}", "reading table", id="other-table-qualified"
        ),
        pytest.param(
            "SELECT * FROM sqlite_master", "attempted: reading table sqlite_master", id="sqlite-master"
        ),
        pytest.param(
            "SELECT sql FROM sqlite_schema", "attempted: reading table sqlite_master", id="sqlite-schema"
        ),
        pytest.param(f"SELECT * FROM {SECRET_TABLE}", f"reading table {SECRET_TABLE}", id="other-table"),
        pytest.param(
            f"SELECT i.id FROM items AS i WHERE i.title IN (SELECT note FROM {SECRET_TABLE})",
            f"reading table {SECRET_TABLE}",
            id="other-table-in-subquery",
        ),
        pytest.param(
            f"WITH s AS (SELECT note FROM {SECRET_TABLE}) SELECT * FROM s",
            f"reading table {SECRET_TABLE}",
            id="other-table-in-cte",
        ),
        pytest.param(
            "SELECT load_extension('/tmp/evil.so')", "attempted: function load_extension()", id="extension"
        ),
        pytest.param("SELECT 1; DROP TABLE items", "one statement at a time", id="select-then-drop"),
        pytest.param("SELECT id FROM items; SELECT 2", "one statement at a time", id="two-selects"),
        pytest.param("DROP TABLE items; SELECT 1", "attempted: DROP TABLE items", id="drop-then-select"),
        pytest.param("BEGIN; DELETE FROM items; COMMIT", "attempted: TRANSACTION", id="transaction"),
        pytest.param("VACUUM INTO 'copy.sqlite'", "attempted: ATTACH", id="vacuum-into"),
        pytest.param("REINDEX", "attempted: REINDEX", id="reindex"),
        pytest.param("ANALYZE", "attempted: ANALYZE", id="analyze"),
    ],
)
def test_refused_and_database_unchanged(store: CatalogStore, sql: str, message: str) -> None:
    before = fingerprint(store.path)
    with pytest.raises(QueryError, match="raw SQL refused") as caught:
        store.raw_sql(sql)
    assert message in str(caught.value)
    assert not isinstance(caught.value, QueryTimeoutError)
    assert fingerprint(store.path) == before
    assert store.raw_sql("SELECT count(*) FROM items").rows == [[N_ITEMS]]


def test_refusal_names_what_was_attempted_in_full(store: CatalogStore) -> None:
    with pytest.raises(QueryError) as caught:
        store.raw_sql("DROP TABLE items")
    assert str(caught.value) == (
        "raw SQL refused: only SELECT on items, item_attributes is allowed (attempted: DROP TABLE items)"
    )


RUNAWAY = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c"


@pytest.mark.parametrize(
    "sql",
    [
        pytest.param(RUNAWAY, id="recursive-cte"),
        pytest.param(
            "SELECT count(*) FROM items a, items b, items c, items d, items e, items f", id="cross-join"
        ),
    ],
)
def test_runaway_query_is_stopped(store: CatalogStore, sql: str) -> None:
    before = fingerprint(store.path)
    with pytest.raises(QueryTimeoutError, match=r"raw SQL stopped: it ran past its time limit of 0\.2 s"):
        store.raw_sql(sql, time_limit_s=0.2)
    assert fingerprint(store.path) == before


@pytest.mark.parametrize(
    ("sql", "message"),
    [
        pytest.param("SELEC id FROM items", 'raw SQL failed: near "SELEC": syntax error', id="syntax"),
        pytest.param("SELECT nope FROM items", "raw SQL failed: no such column: nope", id="column"),
        pytest.param("SELECT * FROM movies", "raw SQL failed: no such table: movies", id="table"),
        pytest.param(
            "SELECT zeroblob(1000000000)", "raw SQL failed: string or blob too big", id="huge-value"
        ),
        pytest.param("   ", "raw SQL is empty", id="empty"),
        pytest.param("-- just a comment", "raw SQL returned no result", id="comment-only"),
    ],
)
def test_failures_name_the_sqlite_error(store: CatalogStore, sql: str, message: str) -> None:
    with pytest.raises(QueryError) as caught:
        store.raw_sql(sql)
    assert message in str(caught.value)


def test_select_answers(store: CatalogStore) -> None:
    result = store.raw_sql(
        "SELECT i.id, i.title, i.popularity FROM items AS i JOIN item_attributes AS a ON a.item_id = i.id "
        "WHERE a.type = 'genre' AND a.value = 'Comedy' AND i.year >= 1975 ORDER BY i.popularity DESC LIMIT 3;"
    )
    assert isinstance(result, SqlResult)
    assert result.columns == ["id", "title", "popularity"]
    assert result.rows == [["m29", "Movie 29", 29.0], ["m27", "Movie 27", 27.0], ["m25", "Movie 25", 25.0]]
    assert result.truncated is False
    assert result.elapsed_ms >= 0
    assert SqlResult.model_validate_json(result.model_dump_json()) == result


@pytest.mark.parametrize(
    ("sql", "rows"),
    [
        pytest.param("SELECT count(*) FROM items", [[N_ITEMS]], id="count"),
        pytest.param("SELECT count(*) FROM items; ;\n", [[N_ITEMS]], id="trailing-semicolons"),
        pytest.param("SELECT count(*) FROM ITEMS", [[N_ITEMS]], id="count-any-case"),
        pytest.param("SELECT count(*) FROM main.items", [[N_ITEMS]], id="count-qualified"),
        pytest.param("SELECT 1 FROM item_attributes LIMIT 1", [[1]], id="no-columns-used"),
        pytest.param(
            "SELECT count(DISTINCT value) FROM item_attributes WHERE type = 'decade'",
            [[5]],
            id="distinct-values",
        ),
        pytest.param("WITH c(x) AS (SELECT 1) SELECT count(*) FROM c", [[1]], id="count-over-cte"),
        pytest.param(
            "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 5) SELECT sum(x) FROM c",
            [[15]],
            id="bounded-recursive-cte",
        ),
        pytest.param(
            "WITH comedies AS (SELECT item_id FROM item_attributes WHERE value = 'Comedy') "
            "SELECT count(*) FROM items WHERE id IN (SELECT item_id FROM comedies)",
            [[N_ITEMS // 2]],
            id="cte-in-subquery",
        ),
        pytest.param(
            "SELECT count(*) FROM (SELECT id FROM items WHERE year < 1955) AS early", [[5]], id="subquery"
        ),
        pytest.param(
            "SELECT upper(title), length(id) FROM items WHERE idx = 3", [["MOVIE 3", 2]], id="functions"
        ),
    ],
)
def test_allowed_selects(store: CatalogStore, sql: str, rows: list[list[object]]) -> None:
    assert store.raw_sql(sql).rows == rows


def test_blobs_come_back_as_hex(store: CatalogStore) -> None:
    assert store.raw_sql("SELECT x'00ff', NULL").rows == [["00ff", None]]


@pytest.mark.parametrize(
    ("max_rows", "truncated"), [(5, True), (N_ITEMS - 1, True), (N_ITEMS, False), (500, False)]
)
def test_row_cap(store: CatalogStore, max_rows: int, truncated: bool) -> None:
    result = store.raw_sql("SELECT id FROM items ORDER BY idx", max_rows=max_rows)
    assert len(result.rows) == min(max_rows, N_ITEMS)
    assert result.rows[0] == ["m0"]
    assert result.truncated is truncated


def test_default_row_cap(tmp_path: Path) -> None:
    store = CatalogStore(Catalog([Item(id=str(n), title=f"T{n}") for n in range(250)], name="big"), tmp_path)
    result = store.raw_sql("SELECT id FROM items")
    assert len(result.rows) == 200
    assert result.truncated


def test_bad_limits_are_programming_errors(store: CatalogStore) -> None:
    with pytest.raises(ValueError, match="max_rows"):
        store.raw_sql("SELECT 1", max_rows=0)
    with pytest.raises(ValueError, match="time_limit_s"):
        store.raw_sql("SELECT 1", time_limit_s=0)


def test_missing_database_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(QueryError, match="does not exist"):
        run_raw_sql(tmp_path / "nothing.sqlite", "SELECT 1")
    assert not (tmp_path / "nothing.sqlite").exists()  # read-only open never creates the file
