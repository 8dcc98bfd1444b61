"""The built-in demo catalog: packaged CSV, item attributes, no interactions, clear file errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from crsagent.data.dataset import SPLIT_NAMES, Dataset
from crsagent.data.loaders.demo import DEMO_GENRES, demo_catalog_path, load_demo
from crsagent.data.text import decade_of
from crsagent.errors import DataFileError


@pytest.fixture(scope="module")
def demo() -> Dataset:
    return load_demo()


def _packaged_lines() -> list[str]:
    path = demo_catalog_path()
    assert path is not None
    return path.read_text(encoding="utf-8").splitlines()


def _write(tmp_path: Path, lines: list[str]) -> Path:
    path = tmp_path / "movies.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_loads_about_150_items(demo: Dataset) -> None:
    assert demo.name == "demo"
    assert 140 <= len(demo.catalog) <= 170
    ids = demo.catalog.ids
    assert len(set(ids)) == len(ids)
    assert all(item_id.startswith("demo-") for item_id in ids)


def test_packaged_csv_is_package_data() -> None:
    path = demo_catalog_path()
    assert path is not None and path.is_file()
    assert path.parent.name == "demo"
    assert (path.parent / "README.md").is_file()


def test_every_item_has_year_genre_director_decade(demo: Dataset) -> None:
    for item in demo.catalog:
        assert item.title and not item.title.endswith(")"), item
        assert item.year is not None
        assert item.values("year") == [str(item.year)]
        assert item.values("decade") == [decade_of(item.year)]
        assert 1 <= len(item.values("genre")) <= 4, item
        assert set(item.values("genre")) <= set(DEMO_GENRES), item
        assert item.values("director"), item
        assert item.popularity == 0.0
        assert item.text == ""


def test_vocabulary_and_lookups(demo: Dataset) -> None:
    catalog = demo.catalog
    assert catalog.attribute_types == ["genre", "director", "year", "decade"]
    assert "1990s" in catalog.vocabulary["decade"]
    assert catalog.value_counts["director"]["Christopher Nolan"] >= 5
    assert catalog.value_counts["director"]["Steven Spielberg"] >= 5
    (matrix,) = catalog.find_by_title("the matrix")
    assert matrix.year == 1999
    assert matrix.values("director") == ["Lana Wachowski", "Lilly Wachowski"]
    (ugly,) = catalog.find_by_title("The Good, the Bad and the Ugly")
    assert ugly.values("genre") == ["Action", "Adventure", "Western"]


def test_demo_flag_and_no_interactions(demo: Dataset) -> None:
    assert demo.is_demo
    assert demo.catalog.is_demo
    assert "demo" in demo.description.lower()
    assert "no interactions" in demo.description.lower()
    assert len(demo.interactions) == 0
    assert len(demo.positives) == 0
    assert demo.user_ids == ()
    assert set(demo.splits) == set(SPLIT_NAMES)
    for split in demo.splits.values():
        assert len(split) == 0
        assert split.users.dtype.name == "int32"
        assert split.items.dtype.name == "int32"


@pytest.mark.parametrize(
    ("year", "decade"),
    [(1999, "1990s"), (2000, "2000s"), (2009, "2000s"), (2010, "2010s"), (1930, "1930s"), (1939, "1930s")],
)
def test_decade_of(year: int, decade: str) -> None:
    assert decade_of(year) == decade


def test_load_from_path(tmp_path: Path) -> None:
    path = _write(tmp_path, _packaged_lines()[:4])
    dataset = load_demo(path)
    assert len(dataset.catalog) == 3
    assert dataset.source == path


@pytest.mark.parametrize(
    ("bad_row", "expected"),
    [
        ("demo-900,Some Film,19x9,Drama,Someone", "line 3: column 'year' is not a valid int"),
        ("demo-900,Some Film,1999,Drama|Cyberpunk,Someone", "line 3: unknown genre(s) 'Cyberpunk'"),
        ("demo-900,Some Film,1999,Drama", "line 3: wrong number of fields"),
        ("demo-900,Some Film,1999,Drama||Comedy,Someone", "line 3: column 'genres' has an empty value"),
        ("demo-900,Some Film,1999,Drama,", "line 3: column 'director' has an empty value"),
        ("demo-001,Some Film,1999,Drama,Someone", "line 3: duplicate id 'demo-001'"),
    ],
)
def test_malformed_csv_names_the_line(tmp_path: Path, bad_row: str, expected: str) -> None:
    lines = _packaged_lines()
    path = _write(tmp_path, [lines[0], lines[1], bad_row, lines[2]])
    with pytest.raises(DataFileError) as caught:
        load_demo(path)
    assert expected in str(caught.value)
    assert caught.value.path == path


def test_missing_column_and_missing_file(tmp_path: Path) -> None:
    path = _write(tmp_path, ["id,title,year,genres", "demo-001,Film,1999,Drama"])
    with pytest.raises(DataFileError, match="header lacks column"):
        load_demo(path)
    with pytest.raises(DataFileError, match="file is missing"):
        load_demo(tmp_path / "absent.csv")
