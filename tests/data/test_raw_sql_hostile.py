"""Hostile raw SQL: nothing the LLM writes may run past its limits inside Python or inside SQLite."""

from __future__ import annotations

from pathlib import Path

import pytest

from crsagent.data import Catalog, Item
from crsagent.data import raw_sql as raw_sql_module
from crsagent.data.raw_sql import RawSqlLimits, run_raw_sql
from crsagent.data.sqlstore import CatalogStore
from crsagent.errors import QueryError

N_ITEMS = 40


@pytest.fixture
def db(tmp_path: Path) -> Path:
    items = [
        Item(id=f"m{n}", title=f"Movie {n}", attributes={"genre": ["Drama"]}, year=1990, popularity=float(n))
        for n in range(N_ITEMS)
    ]
    return CatalogStore(Catalog(items, name="hostile"), tmp_path).build()


def test_no_regular_expression_reads_the_query() -> None:
    # The refusal message used to come from a regex with nested quantifiers run over the query: 24
    # empty comments made it backtrack for seconds while holding the GIL.
    assert not hasattr(raw_sql_module, "re")
    assert "import re" not in Path(raw_sql_module.__file__).read_text(encoding="utf-8")


@pytest.mark.parametrize("count", [2, 24])
def test_comments_before_a_refused_table_function(db: Path, count: int) -> None:
    sql = "/**/ " * count + "SELECT * FROM json_each('[1]')"
    with pytest.raises(QueryError, match="table-valued function"):
        run_raw_sql(db, sql)


@pytest.mark.parametrize(
    ("sql", "named"),
    [
        ("/* a */ DROP TABLE items", "DROP TABLE items"),
        ("/**/ /**/ CREATE TEMP VIEW v AS SELECT 1", "CREATE TEMP VIEW v"),
        ("CREATE INDEX i2 ON items(title)", "CREATE INDEX i2"),
        ("DROP VIEW IF EXISTS items", "DROP VIEW items"),
        ("DELETE FROM sqlite_master", "sqlite_master"),
    ],
)
def test_schema_changes_are_named_from_sqlite_action_codes(db: Path, sql: str, named: str) -> None:
    with pytest.raises(QueryError) as caught:
        run_raw_sql(db, sql)
    assert named in str(caught.value)
    assert run_raw_sql(db, "SELECT count(*) FROM items").rows == [[N_ITEMS]]


def test_answer_bytes_are_capped_and_fetching_stops(db: Path) -> None:
    limits = RawSqlLimits(max_result_bytes=100_000, max_value_bytes=60_000)
    # Each row is a 30,000-byte blob, 60,000 bytes of hex: the first fits, the second does not.
    result = run_raw_sql(db, "SELECT id, zeroblob(30000) FROM items", limits=limits)
    assert len(result.rows) == 1
    assert result.truncated is True


def test_one_row_over_the_answer_cap_is_an_error(db: Path) -> None:
    limits = RawSqlLimits(max_result_bytes=1_000, max_value_bytes=60_000)
    with pytest.raises(QueryError, match="first row alone is over the cap of 1,000 bytes"):
        run_raw_sql(db, "SELECT zeroblob(10000) FROM items", limits=limits)


def test_default_limits_refuse_a_many_megabyte_answer(db: Path) -> None:
    with pytest.raises(QueryError, match="string or blob too big"):
        run_raw_sql(db, "SELECT zeroblob(9000000) FROM items")


def test_value_limit_is_a_setting(db: Path) -> None:
    small = RawSqlLimits(max_value_bytes=100)
    with pytest.raises(QueryError, match="string or blob too big"):
        run_raw_sql(db, "SELECT hex(zeroblob(60))", limits=small)
    assert run_raw_sql(db, "SELECT hex(zeroblob(40))", limits=small).rows == [["00" * 40]]


@pytest.mark.parametrize(
    "sql",
    ["SELECT printf('%.*c', 1000000000, 'x')", "SELECT format('%.*c', 1000000000, 'x')"],
)
def test_printf_that_loops_inside_one_call_is_refused(db: Path, sql: str) -> None:
    with pytest.raises(QueryError, match=r"raw SQL refused: .*function (printf|format)\(\)"):
        run_raw_sql(db, sql, limits=RawSqlLimits(time_limit_s=0.5))


def test_rows_cap_and_limits_validate() -> None:
    with pytest.raises(ValueError):
        RawSqlLimits(max_result_bytes=0)
    with pytest.raises(ValueError):
        RawSqlLimits(max_rows=0)
