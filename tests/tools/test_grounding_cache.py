"""Grounders stored for large catalogs: read back with the caller's catalog, grounding the same."""

from __future__ import annotations

from pathlib import Path

from crsagent.data import Catalog, Item
from crsagent.tools.grounding_cache import cached_grounder, grounder_path


def catalog() -> Catalog:
    items = [
        Item(id="1", title="Heat (1995)", year=1995, popularity=5.0),
        Item(id="2", title="Matrix, The (1999)", year=1999, popularity=9.0),
        Item(id="3", title="Star Wars: Episode IV - A New Hope (1977)", year=1977, popularity=7.0),
    ]
    return Catalog(items, name="films")


def test_a_stored_grounder_is_read_back_and_grounds_the_same(tmp_path: Path) -> None:
    films = catalog()
    built = cached_grounder(films, tmp_path, from_items=0)
    assert grounder_path(films, tmp_path).is_file()
    again = catalog()
    read = cached_grounder(again, tmp_path, from_items=0)
    assert read is not built and read.catalog is again
    for name in ("the matrix", "star wars", "Heat 1995", "Hate"):
        assert read.ground(name) == built.ground(name)
    assert read.ground("the matrix").item_id == "2"


def test_small_catalogs_store_nothing(tmp_path: Path) -> None:
    cached_grounder(catalog(), tmp_path)
    assert not (tmp_path / "grounders").exists()
