"""Grounders and spotters stored for large catalogs: read back with the caller's catalog, working the same."""

from __future__ import annotations

from pathlib import Path

import pytest

from crsagent.agent import stored_indexes
from crsagent.agent.stored_indexes import cached_grounder, cached_spotter
from crsagent.data import Catalog, Item


def catalog() -> Catalog:
    items = [
        Item(id="1", title="Heat (1995)", attributes={"genre": ["Action"], "director": ["Michael Mann"]}, year=1995, popularity=5.0),
        Item(id="2", title="The Matrix (1999)", attributes={"genre": ["Sci-Fi"], "actor": ["Keanu Reeves"]}, year=1999, popularity=9.0),
        Item(id="3", title="Star Wars: Episode IV - A New Hope (1977)", year=1977, popularity=7.0),
        Item(id="4", title="Spider-Man (2002)", attributes={"genre": ["Action"], "actor": ["Tobey Maguire"]}, year=2002),
    ]  # fmt: skip
    return Catalog(items, name="films")


MESSAGES = ("I loved The Matrix", "something with keanu reeves", "spiderman from 2002", "any sci-fi?")


def stored(folder: Path) -> list[Path]:
    return sorted(folder.iterdir()) if folder.is_dir() else []


def test_a_stored_grounder_is_read_back_and_grounds_the_same(tmp_path: Path) -> None:
    films = catalog()
    built = cached_grounder(films, tmp_path, from_items=0)
    assert len(stored(tmp_path / "grounders")) == 1
    again = catalog()
    read = cached_grounder(again, tmp_path, from_items=0)
    assert read is not built and read.catalog is again  # the caller's catalog, not a stored copy
    for name in ("the matrix", "star wars", "Heat 1995", "Hate"):
        assert read.ground(name) == built.ground(name)
    assert read.ground("the matrix").item_id == "2"


def test_a_stored_spotter_is_read_back_and_spots_the_same(tmp_path: Path) -> None:
    films = catalog()
    built = cached_spotter(films, tmp_path, from_items=0)
    assert len(stored(tmp_path / "spotters")) == 1
    again = catalog()
    read = cached_spotter(again, tmp_path, from_items=0)
    assert read is not built and read.catalog is again
    assert "automaton" not in vars(read)  # rebuilt from the table, not read back (memory)
    for message in MESSAGES:
        assert read.spot(message) == built.spot(message)
    assert [m.targets for m in read.spot("I loved The Matrix")] == [("2",)]


def test_small_catalogs_and_no_cache_folder_store_nothing(tmp_path: Path) -> None:
    films = catalog()
    cached_spotter(films, tmp_path)  # 4 items: under the default size
    cached_grounder(films, tmp_path)
    cached_spotter(films, None, from_items=0)
    cached_grounder(films, None, from_items=0)
    assert stored(tmp_path / "spotters") == stored(tmp_path / "grounders") == []


def test_another_catalog_gets_its_own_file(tmp_path: Path) -> None:
    films = catalog()
    other = Catalog([films.items[0], films.items[1]], name="films")
    cached_spotter(films, tmp_path, from_items=0)
    assert cached_spotter(other, tmp_path, from_items=0).spot("spiderman from 2002") == []
    assert len(stored(tmp_path / "spotters")) == 2


def test_a_build_for_newer_code_replaces_the_older_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    films = catalog()
    cached_spotter(films, tmp_path, from_items=0)
    cached_grounder(films, tmp_path, from_items=0)
    older = stored(tmp_path / "spotters") + stored(tmp_path / "grounders")
    monkeypatch.setattr(stored_indexes, "code_digest", lambda *_: "newer code")
    read = cached_spotter(films, tmp_path, from_items=0)
    cached_grounder(films, tmp_path, from_items=0)
    newer = stored(tmp_path / "spotters") + stored(tmp_path / "grounders")
    assert len(newer) == 2 and not set(newer) & set(older)  # one file each, not beside the old ones
    assert [m.targets for m in read.spot("I loved The Matrix")] == [("2",)]
