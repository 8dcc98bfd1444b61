"""`crsagent data import`: a user's own catalog becomes a dataset every part of crsagent can open."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from crsagent.agent import Agent, AgentConfig
from crsagent.cli import main
from crsagent.config import Settings
from crsagent.data.importer import ImportLimits, ImportOptions, import_catalog
from crsagent.data.importer_rows import ItemColumns
from crsagent.data.registry import load_dataset
from crsagent.errors import DataFileError

GENRES = ("running", "trail", "road", "hiking", "walking", "tennis")
BRANDS = ("Acme", "Peak", "Zoom", "Stride")


def write_items(path: Path, n: int = 24) -> Path:
    """A shoe shop: each shoe has two genres (multi-valued), a brand, a year and a description."""
    lines = ["id,title,year,text,genre,brand"]
    for i in range(n):
        genres = f"{GENRES[i % 6]}|{GENRES[(i + 1) % 6]}"
        lines.append(
            f'shoe{i},"Model {i}, edition {i % 3}",{2010 + i % 12},A shoe for {GENRES[i % 6]},{genres},{BRANDS[i % 4]}'
        )
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def write_interactions(path: Path, users: int = 12, per_user: int = 5) -> Path:
    """Each user buys ``per_user`` shoes, in time order; user u starts at shoe u."""
    lines = ["user,item,timestamp"]
    for u in range(users):
        for k in range(per_user):
            lines.append(f"u{u},shoe{(u + 2 * k) % 24},{1000 + 10 * k + u}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(cache_dir=tmp_path / "cache", data_dir=None)


def test_csv_import_loads_by_name_with_attributes_and_temporal_splits(
    tmp_path: Path, settings: Settings
) -> None:
    items = write_items(tmp_path / "shoes.csv")
    interactions = write_interactions(tmp_path / "bought.csv")
    summary = import_catalog(items, "shoes", interactions_path=interactions, settings=settings)
    assert (summary.items, summary.interactions, summary.users) == (24, 60, 12)
    assert summary.attribute_types == ["genre", "brand"]

    dataset = load_dataset("shoes", settings=settings)
    assert dataset.name == "shoes"
    shoe = dataset.catalog.get("shoe7")
    assert shoe.title == "Model 7, edition 1"  # the quoted comma stays in the title
    assert shoe.attributes["genre"] == ["trail", "road"]
    assert shoe.attributes["brand"] == ["Stride"]
    assert shoe.year == 2017 and shoe.attributes["decade"] == ["2010s"]
    assert shoe.text == "A shoe for trail"
    # Leave-last-out per user: the last purchase is test, the one before valid, the rest train.
    u0 = dataset.user_ids.index("u0")
    test_items = dict(dataset.split("test").pairs())
    valid_items = dict(dataset.split("valid").pairs())
    assert dataset.catalog.at(test_items[u0]).id == "shoe8"
    assert dataset.catalog.at(valid_items[u0]).id == "shoe6"
    assert [len(dataset.split(s)) for s in ("train", "valid", "test")] == [36, 12, 12]
    # Popularity counts train only: shoe8 is u0's test item and (u2, k=3) a train item of u2.
    train_pairs = dataset.split("train").pairs()
    index = dataset.catalog.index_of("shoe8")
    assert dataset.catalog.at(index).popularity == sum(1 for _, item in train_pairs if item == index)


def test_an_agent_recommends_from_an_imported_catalog(tmp_path: Path, settings: Settings) -> None:
    import_catalog(
        write_items(tmp_path / "shoes.csv"),
        "shoes",
        interactions_path=write_interactions(tmp_path / "bought.csv"),
        settings=settings,
    )
    agent = Agent.from_dataset(
        "shoes", settings=settings, llm="offline", config=AgentConfig(max_questions_in_a_row=1)
    )
    reply = agent.chat("I want trail shoes", session_id="s")
    for answer in ("yes", "yes", "yes"):
        if reply.items:
            break
        reply = agent.chat(answer, session_id="s")
    assert reply.items, reply.text
    ids = {item.id for item in reply.items}
    assert ids <= {f"shoe{i}" for i in range(24)}
    assert all("trail" in agent.runtime.dataset.catalog.get(i).attributes["genre"] for i in ids)


def test_jsonl_lists_and_an_items_only_catalog(tmp_path: Path, settings: Settings) -> None:
    path = tmp_path / "books.jsonl"
    rows = [
        {"id": 1, "title": "Dune", "year": 1965, "genre": ["sci-fi", "classic"], "author": "Frank Herbert"},
        {"id": 2, "title": "Emma", "year": None, "genre": "romance|classic", "author": "Jane Austen"},
    ]
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    import_catalog(path, "books", settings=settings)
    dataset = load_dataset("books", settings=settings)
    assert dataset.catalog.get("1").attributes == {
        "year": ["1965"],
        "decade": ["1960s"],
        "genre": ["sci-fi", "classic"],
        "author": ["Frank Herbert"],
    }
    assert dataset.catalog.get("2").attributes["genre"] == ["romance", "classic"]
    assert len(dataset.split("train")) == 0  # no interactions: the catalog prior serves the agent


def test_parquet_items(tmp_path: Path, settings: Settings) -> None:
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    table = pa.table(
        {"sku": ["a", "b"], "name": ["Kettle", "Toaster"], "colour": [["red"], ["red", "black"]]}
    )
    pq.write_table(table, tmp_path / "kitchen.parquet")
    options = ImportOptions(items=ItemColumns(id="sku", title="name"))
    import_catalog(tmp_path / "kitchen.parquet", "kitchen", options=options, settings=settings)
    catalog = load_dataset("kitchen", settings=settings).catalog
    assert [item.title for item in catalog] == ["Kettle", "Toaster"]
    assert catalog.get("b").attributes == {"colour": ["red", "black"]}


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("y.csv", "id,title,year\na,A,1999\nb,B,19x9\n", "line 3, column 'year': not a year: '19x9'"),
        (
            "d.csv",
            "id,title\na,A\nb,B\na,C\n",
            "line 4, column 'id': duplicate item id 'a' (first on line 2)",
        ),
        ("t.csv", "id,title,genre\na,,x\n", "line 2, column 'title': empty title for item 'a'"),
        ("h.csv", "sku,title\na,A\n", "header lacks column(s) id"),
        ("f.csv", "id,title\na,A,extra\n", "line 2: wrong number of fields"),
        (
            "j.jsonl",
            '{"id": "a", "title": "A"}\n{"id": "b", "title": \n',
            "line 2, column 22: malformed JSON",
        ),
        (
            "n.jsonl",
            '{"id": "a", "title": "A", "genre": {"x": 1}}\n',
            "line 1, column 'genre': expected text, found dict",
        ),
        ("k.jsonl", '{"id": "a"}\n', "line 1: missing key(s) title"),
    ],
)
def test_malformed_items_name_file_line_and_column(
    tmp_path: Path, settings: Settings, name: str, content: str, expected: str
) -> None:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    with pytest.raises(DataFileError) as raised:
        import_catalog(path, "broken", settings=settings)
    assert str(raised.value).startswith(str(path))
    assert expected in str(raised.value)
    assert not (settings.cache_dir / "imported" / "broken").exists()


def test_malformed_interactions_name_line_and_column(tmp_path: Path, settings: Settings) -> None:
    items = write_items(tmp_path / "shoes.csv")
    bad = tmp_path / "bought.csv"
    bad.write_text("user,item,timestamp\nu1,shoe1,5\nu1,shoe99,6\n", encoding="utf-8")
    with pytest.raises(
        DataFileError, match=r"bought.csv: line 3, column 'item': item id 'shoe99' is not in the items file"
    ):
        import_catalog(items, "shoes", interactions_path=bad, settings=settings)
    bad.write_text("user,item,timestamp\nu1,shoe1,yesterday\n", encoding="utf-8")
    with pytest.raises(DataFileError, match=r"line 2, column 'timestamp': not a timestamp"):
        import_catalog(items, "shoes", interactions_path=bad, settings=settings)


def test_a_failed_reimport_keeps_the_dataset_and_limits_are_enforced(
    tmp_path: Path, settings: Settings
) -> None:
    items = write_items(tmp_path / "shoes.csv")
    import_catalog(items, "shoes", settings=settings)
    with pytest.raises(Exception, match="imported before"):
        import_catalog(items, "shoes", settings=settings)
    broken = tmp_path / "broken.csv"
    broken.write_text("id,title\nx,\n", encoding="utf-8")
    with pytest.raises(DataFileError):
        import_catalog(broken, "shoes", settings=settings, replace=True)
    assert len(load_dataset("shoes", settings=settings, use_cache=False).catalog) == 24
    small = ImportOptions(limits=ImportLimits(max_items=10))
    with pytest.raises(DataFileError, match=r"line 12: more than 10 items"):
        import_catalog(items, "shoes", settings=settings, options=small, replace=True)


def test_cli_import_then_info(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    items = write_items(tmp_path / "shoes.csv")
    cache = str(tmp_path / "cli-cache")
    assert main(["data", "import", str(items), "--name", "shoes", "--cache-dir", cache]) == 0
    assert "shoes: 24 items (attributes: genre, brand)" in capsys.readouterr().out
    assert main(["data", "info", "shoes", "--cache-dir", cache]) == 0
    assert "items: 24" in capsys.readouterr().out.splitlines()
    assert main(["data", "import", str(items), "--name", "Bad Name", "--cache-dir", cache]) == 2
    assert "dataset name 'Bad Name'" in capsys.readouterr().err
