"""Title grounders and catalog spotters kept on disk: a large catalog's start reads them back.

Each is a Python pass over every title (and, for the spotter, every value): seconds at 10k items,
minutes at a million (the spotter's automaton is not stored: ``prepare`` builds it from the table).
A stored one is keyed on the catalog's content and on the code and library versions that build it,
so any change there builds it again. The catalog is not stored with it: the caller's catalog takes
its place.
"""

from __future__ import annotations

from pathlib import Path

from crsagent import understanding
from crsagent.data import catalog as catalog_code
from crsagent.data import text, titles
from crsagent.data.catalog import Catalog
from crsagent.pickle_cache import cached_build, code_digest, keyed_path
from crsagent.tools import grounding, grounding_index
from crsagent.tools.grounding import Grounder
from crsagent.understanding.spotter import CatalogSpotter

# Smaller catalogs build both in about a second: not worth a file per catalog and code change.
CACHE_FROM_ITEMS = 50_000
# Folder -> the modules and libraries its builds depend on.
_DEPENDS = {
    "grounders": ((grounding, grounding_index, titles, catalog_code), ("RapidFuzz",)),
    "spotters": ((understanding, titles, text, catalog_code), ("pyahocorasick", "RapidFuzz", "wordfreq")),
}


def _path(folder: str, catalog: Catalog, cache_dir: Path | None, from_items: int) -> Path | None:
    """Where ``folder``'s build of ``catalog`` is stored; None (not stored) for a catalog of fewer than
    ``from_items`` items or without a cache folder."""
    if cache_dir is None or len(catalog) < from_items:
        return None
    code, libraries = _DEPENDS[folder]
    return keyed_path(cache_dir, folder, catalog.name, catalog.content_hash, code_digest(code, libraries))


def cached_grounder(
    catalog: Catalog, cache_dir: Path | None, *, from_items: int = CACHE_FROM_ITEMS
) -> Grounder:
    """``Grounder(catalog)``: read back when stored, else built (and stored for a large catalog)."""
    path = _path("grounders", catalog, cache_dir, from_items)
    return cached_build(path, lambda: Grounder(catalog), Grounder, shared=[catalog])


def cached_spotter(
    catalog: Catalog, cache_dir: Path | None, *, from_items: int = CACHE_FROM_ITEMS
) -> CatalogSpotter:
    """The prepared spotter of ``catalog``: read back when stored, else built (and stored for a large
    catalog)."""
    path = _path("spotters", catalog, cache_dir, from_items)
    return cached_build(path, lambda: CatalogSpotter(catalog).prepare(), CatalogSpotter, shared=[catalog])
