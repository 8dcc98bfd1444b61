"""Typed catalog queries (ItemQuery -> parameterised SQL) and the cached SQLite item database."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np
import pytest
from pydantic import ValidationError

from crsagent.data import Catalog, Item
from crsagent.data.query import AttributeCondition, ItemQuery, compile_query, escape_like
from crsagent.data.sqlstore import CatalogStore

# popularity order: heat (90) > toy (80) > amelie (70) > pct (60) > notting (50) > odd (50) > noyear (10)
ITEMS = [
    Item(
        id="heat",
        title="Heat (1995)",
        attributes={"genre": ["Crime", "Thriller"], "director": ["Michael Mann"]},
        text="A group of professional bank robbers starts to feel the heat.",
        year=1995,
        popularity=90,
    ),
    Item(
        id="toy",
        title="Toy Story (1995)",
        attributes={"genre": ["Animation", "Comedy", "Children"], "director": ["John Lasseter"]},
        text="A cowboy doll is threatened by a new spaceman figure.",
        year=1995,
        popularity=80,
    ),
    Item(
        id="amelie",
        title="Amélie (2001)",
        attributes={"genre": ["Comedy", "Romance"], "director": ["Jean-Pierre Jeunet"]},
        text="ÉCOLE and café life in Montmartre.",
        year=2001,
        popularity=70,
    ),
    Item(
        id="pct",
        title="100% Love_Story (2010)",
        attributes={"genre": ["Romance"], "tag": ["it's; DROP TABLE items; --"]},
        text="A film whose title holds 100% and an underscore: Love_Story.",
        year=2010,
        popularity=60,
    ),
    Item(
        id="notting",
        title="Notting Hill (1999)",
        attributes={"genre": ["Comedy", "Romance"]},
        text="The O'Brien bookshop.",
        year=1999,
        popularity=50,
    ),
    Item(
        id="odd",
        title="100 Love Story (2012)",  # what unescaped '100%' or 'Love_Story' patterns would match
        attributes={"genre": ["Drama", "Drama"]},  # a value listed twice
        text="Nothing special here.",
        year=2012,
        popularity=50,
    ),
    Item(id="noyear", title="Untitled", attributes={"genre": ["Comedy"]}, popularity=10),
]


def cond(attribute_type: str, value: str) -> AttributeCondition:
    return AttributeCondition(type=attribute_type, value=value)


@pytest.fixture
def catalog() -> Catalog:
    return Catalog(ITEMS, name="tiny")


@pytest.fixture
def store(catalog: Catalog, tmp_path: Path) -> CatalogStore:
    return CatalogStore(catalog, tmp_path / "cache")


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        pytest.param(
            ItemQuery(), ["heat", "toy", "amelie", "pct", "notting", "odd", "noyear"], id="everything"
        ),
        pytest.param(
            ItemQuery(include=[cond("genre", "Comedy")]), ["toy", "amelie", "notting", "noyear"], id="one"
        ),
        pytest.param(
            ItemQuery(include=[cond("genre", "Comedy"), cond("genre", "Romance")]),
            ["amelie", "notting"],
            id="all",
        ),
        pytest.param(ItemQuery(include=[cond("genre", "comedy")]), [], id="values-are-case-sensitive"),
        pytest.param(ItemQuery(include=[cond("director", "Comedy")]), [], id="type-matters"),
        pytest.param(
            ItemQuery(include_any=[cond("genre", "Crime"), cond("genre", "Animation")]),
            ["heat", "toy"],
            id="any",
        ),
        pytest.param(
            ItemQuery(include=[cond("genre", "Romance")], include_any=[cond("genre", "Comedy")]),
            ["amelie", "notting"],
            id="include-and-any",
        ),
        pytest.param(
            ItemQuery(
                include=[cond("genre", "Comedy")], exclude=[cond("genre", "Romance"), cond("genre", "Crime")]
            ),
            ["toy", "noyear"],
            id="exclude",
        ),
        pytest.param(ItemQuery(year_min=2001), ["amelie", "pct", "odd"], id="year-min-inclusive"),
        pytest.param(ItemQuery(year_max=1995), ["heat", "toy"], id="year-max-inclusive"),
        pytest.param(ItemQuery(year_min=1996, year_max=2001), ["amelie", "notting"], id="year-range"),
        pytest.param(ItemQuery(text_contains="HEAT"), ["heat"], id="text-case-insensitive-title-and-text"),
        pytest.param(ItemQuery(text_contains="amélie"), ["amelie"], id="text-unicode-case"),
        pytest.param(ItemQuery(text_contains="école"), ["amelie"], id="text-unicode-case-in-description"),
        pytest.param(ItemQuery(text_contains="100%"), ["pct"], id="percent-is-literal"),
        pytest.param(ItemQuery(text_contains="Love_Story"), ["pct"], id="underscore-is-literal"),
        pytest.param(ItemQuery(text_contains="%"), ["pct"], id="lone-percent"),
        pytest.param(ItemQuery(text_contains="_"), ["pct"], id="lone-underscore"),
        pytest.param(ItemQuery(text_contains="o'brien"), ["notting"], id="quote"),
        pytest.param(ItemQuery(text_contains="\\"), [], id="backslash-is-literal"),
        pytest.param(
            ItemQuery(include=[cond("tag", "it's; DROP TABLE items; --")]),
            ["pct"],
            id="sql-in-a-value-is-data",
        ),
        pytest.param(ItemQuery(limit=2), ["heat", "toy"], id="limit"),
        pytest.param(ItemQuery(include=[cond("genre", "Drama")]), ["odd"], id="duplicate-value-one-row"),
        pytest.param(
            ItemQuery(include=[cond("genre", "Comedy")], exclude=[cond("genre", "Comedy")]),
            [],
            id="contradiction",
        ),
    ],
)
def test_search(store: CatalogStore, query: ItemQuery, expected: list[str]) -> None:
    assert store.search(query) == expected


def test_ties_break_by_catalog_order(tmp_path: Path) -> None:
    items = [Item(id=f"i{n}", title=f"T{n}", popularity=1.0) for n in (3, 1, 2)]
    store = CatalogStore(Catalog(items, name="ties"), tmp_path)
    assert store.search(ItemQuery()) == ["i3", "i1", "i2"]


def test_count_ignores_limit(store: CatalogStore) -> None:
    query = ItemQuery(include=[cond("genre", "Comedy")], limit=1)
    assert store.search(query) == ["toy"]
    assert store.count(query) == 4
    assert store.count(ItemQuery()) == len(ITEMS)


def test_search_indices_are_catalog_positions(store: CatalogStore, catalog: Catalog) -> None:
    query = ItemQuery(include=[cond("genre", "Romance")])
    indices = store.search_indices(query)
    assert indices.dtype == np.int64
    assert [catalog.at(int(index)).id for index in indices] == store.search(query)
    assert store.search_indices(ItemQuery(text_contains="no such text")).shape == (0,)


def test_values_travel_as_parameters() -> None:
    hostile = "x'); DROP TABLE items; --"
    compiled = compile_query(ItemQuery(include=[cond("genre", hostile)], text_contains=hostile))
    assert hostile not in compiled.sql
    assert "DROP" not in compiled.sql
    assert hostile in compiled.params


def test_escape_like() -> None:
    assert escape_like("a%b_c\\d") == "a\\%b\\_c\\\\d"


@pytest.mark.parametrize(
    ("fields", "complaint"),
    [
        pytest.param({"limit": 0}, "limit", id="limit-too-small"),
        pytest.param({"limit": 1001}, "limit", id="limit-too-large"),
        pytest.param(
            {"year_min": 2000, "year_max": 1990}, "year_min (2000) is after year_max (1990)", id="years"
        ),
        pytest.param({"include": [{"type": "genre"}]}, "value", id="condition-without-value"),
        pytest.param({"include": [{"type": "", "value": "Comedy"}]}, "type", id="empty-type"),
        pytest.param({"exclude": "Comedy"}, "exclude", id="not-a-list"),
        pytest.param({"text_contains": ""}, "text_contains", id="empty-text"),
        pytest.param({"genre": "Comedy"}, "genre", id="unknown-field"),
    ],
)
def test_invalid_queries_are_pydantic_errors(fields: dict[str, object], complaint: str) -> None:
    with pytest.raises(ValidationError, match="validation error") as caught:
        ItemQuery.model_validate(fields)
    assert complaint in str(caught.value)


def test_schema_documents_every_field() -> None:
    schema = ItemQuery.model_json_schema()
    assert schema["description"]
    for name, field in schema["properties"].items():
        assert field.get("description"), name
    assert schema["additionalProperties"] is False


def test_constructor_does_no_io(catalog: Catalog, tmp_path: Path) -> None:
    store = CatalogStore(catalog, tmp_path / "cache")
    assert not (tmp_path / "cache").exists()
    assert store.path == tmp_path / "cache" / "catalogs" / f"{catalog.content_hash}.sqlite"


def test_database_tables(store: CatalogStore) -> None:
    path = store.build()
    with sqlite3.connect(path) as connection:
        items = connection.execute(
            "SELECT id, idx, title, year, popularity, text FROM items ORDER BY idx"
        ).fetchall()
        attributes = connection.execute(
            "SELECT type, value FROM item_attributes WHERE item_id = 'odd' ORDER BY type, value"
        ).fetchall()
    connection.close()
    assert items[0] == ("heat", 0, "Heat (1995)", 1995, 90.0, ITEMS[0].text)
    assert items[-1] == ("noyear", 6, "Untitled", None, 10.0, "")
    assert attributes == [("genre", "Drama")]


def test_cache_is_reused(catalog: Catalog, tmp_path: Path) -> None:
    first = CatalogStore(catalog, tmp_path)
    path = first.build()
    before = path.stat()
    second = CatalogStore(Catalog(ITEMS, name="same content, other name"), tmp_path)
    assert second.build() == path
    assert second.search(ItemQuery(limit=1)) == ["heat"]
    after = path.stat()
    assert (after.st_ino, after.st_mtime_ns, after.st_size) == (
        before.st_ino,
        before.st_mtime_ns,
        before.st_size,
    )
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temporary files left behind


def test_changed_catalog_gets_its_own_file(catalog: Catalog, tmp_path: Path) -> None:
    old_path = CatalogStore(catalog, tmp_path).build()
    changed = Catalog([*ITEMS[:-1], ITEMS[-1].model_copy(update={"popularity": 100.0})], name="tiny")
    new_store = CatalogStore(changed, tmp_path)
    new_path = new_store.build()
    assert new_path != old_path
    assert old_path.is_file() and new_path.is_file()
    assert new_store.search(ItemQuery(limit=1)) == ["noyear"]
    assert CatalogStore(catalog, tmp_path).search(ItemQuery(limit=1)) == ["heat"]


def test_broken_cache_file_is_rebuilt(store: CatalogStore) -> None:
    store.path.parent.mkdir(parents=True)
    store.path.write_bytes(b"not a database, e.g. a crash of some older writer")
    assert store.search(ItemQuery(limit=1)) == ["heat"]


def test_failed_build_leaves_nothing(
    catalog: Catalog, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = CatalogStore(catalog, tmp_path)

    def crash(self: CatalogStore, connection: sqlite3.Connection) -> None:
        connection.execute("CREATE TABLE items (id TEXT)")
        raise RuntimeError("simulated crash while filling")

    monkeypatch.setattr(CatalogStore, "_fill", crash)
    with pytest.raises(RuntimeError, match="simulated crash"):
        store.build()
    assert list((tmp_path / "catalogs").iterdir()) == []
