"""Title grounders and catalog spotters kept on disk: a large catalog's start reads them back.

Each is a Python pass over every title (and, for the spotter, every value): seconds at 10k items,
minutes at a million (the spotter's automaton is not stored: ``prepare`` builds it from the table).
A stored one is keyed on the catalog's content and on the code and library versions that build it,
so any change there builds it again. The catalog is not stored with it: the caller's catalog takes
its place.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from crsagent import understanding
from crsagent.data import catalog as catalog_code
from crsagent.data import text, titles
from crsagent.data.catalog import Catalog
from crsagent.pickle_cache import cached_build, code_digest, keyed_path
from crsagent.tools import grounding, grounding_index
from crsagent.tools.grounding import Grounder
from crsagent.understanding.spotter import CatalogSpotter

T = TypeVar("T")

# Smaller catalogs build both in about a second: not worth a file per catalog and code change.
CACHE_FROM_ITEMS = 50_000
# Folder -> the modules and libraries its builds depend on.
_DEPENDS = {
    "grounders": ((grounding, grounding_index, titles, catalog_code), ("RapidFuzz",)),
    "spotters": ((understanding, titles, text, catalog_code), ("pyahocorasick", "RapidFuzz", "wordfreq")),
}


def _stored(
    folder: str,
    catalog: Catalog,
    cache_dir: Path | None,
    from_items: int,
    build: Callable[[], T],
    kind: type[T],
) -> T:
    """``build()``, stored under ``folder`` for a catalog of ``from_items`` items or more (given a cache
    folder), and read back from there. Once one is stored, the builds of older code for the same
    catalog are removed: at a million items each code change would leave ~0.6 GB behind."""
    if cache_dir is None or len(catalog) < from_items:
        return build()
    code, libraries = _DEPENDS[folder]
    same_catalog = f"{catalog.name}-{catalog.content_hash[:16]}-"  # then the code's digest
    path = keyed_path(cache_dir, folder, same_catalog[:-1], code_digest(code, libraries))
    built = cached_build(path, build, kind, shared=[catalog])
    for older in path.parent.iterdir():
        if older.name.startswith(same_catalog) and len(older.name) == len(path.name) and older != path:
            older.unlink(missing_ok=True)
    return built


def cached_grounder(
    catalog: Catalog, cache_dir: Path | None, *, from_items: int = CACHE_FROM_ITEMS
) -> Grounder:
    """``Grounder(catalog)``: read back when stored, else built (and stored for a large catalog)."""
    return _stored("grounders", catalog, cache_dir, from_items, lambda: Grounder(catalog), Grounder)


def cached_spotter(
    catalog: Catalog, cache_dir: Path | None, *, from_items: int = CACHE_FROM_ITEMS
) -> CatalogSpotter:
    """The prepared spotter of ``catalog``: read back when stored, else built (and stored for a large
    catalog)."""
    return _stored(
        "spotters", catalog, cache_dir, from_items, lambda: CatalogSpotter(catalog).prepare(), CatalogSpotter
    )
