"""Spotters stored for large catalogs: read back with the caller's catalog, spotting the same."""

from __future__ import annotations

from pathlib import Path

from crsagent.data import Catalog, Item
from crsagent.understanding.spotter_cache import cached_spotter, spotter_path


def catalog() -> Catalog:
    items = [
        Item(id="1", title="Heat (1995)", attributes={"genre": ["Action"], "director": ["Michael Mann"]}, year=1995),
        Item(id="2", title="The Matrix (1999)", attributes={"genre": ["Sci-Fi"], "actor": ["Keanu Reeves"]}, year=1999),
        Item(id="3", title="Spider-Man (2002)", attributes={"genre": ["Action"], "actor": ["Tobey Maguire"]}, year=2002),
    ]  # fmt: skip
    return Catalog(items, name="films")


MESSAGES = ("I loved The Matrix", "something with keanu reeves", "spiderman from 2002", "any sci-fi?")


def test_a_stored_spotter_is_read_back_and_spots_the_same(tmp_path: Path) -> None:
    films = catalog()
    built = cached_spotter(films, tmp_path, from_items=0)
    assert spotter_path(films, tmp_path).is_file()
    again = catalog()
    read = cached_spotter(again, tmp_path, from_items=0)
    assert read is not built and read.catalog is again  # the caller's catalog, not a stored copy
    for message in MESSAGES:
        assert read.spot(message) == built.spot(message)
    assert [m.targets for m in read.spot("I loved The Matrix")] == [("2",)]


def test_small_catalogs_and_no_cache_folder_store_nothing(tmp_path: Path) -> None:
    films = catalog()
    cached_spotter(films, tmp_path)  # 3 items: under the default size
    cached_spotter(films, None, from_items=0)
    assert not (tmp_path / "spotters").exists()


def test_another_catalog_gets_its_own_file(tmp_path: Path) -> None:
    films = catalog()
    other = Catalog([*films.items[:2]], name="films")
    assert spotter_path(films, tmp_path) != spotter_path(other, tmp_path)
    cached_spotter(films, tmp_path, from_items=0)
    assert cached_spotter(other, tmp_path, from_items=0).spot("spiderman from 2002") == []
