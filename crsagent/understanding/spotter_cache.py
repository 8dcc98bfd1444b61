"""Built catalog spotters kept on disk: a large catalog's start reads its surfaces back.

Building a spotter is a Python pass over every title and value (and the automaton over every
surface): seconds at 10k items, minutes at a million. The stored spotter is keyed on the
catalog's content and on the code that builds it (this package, title parsing, the catalog, and
the versions of the libraries behind it), so any change there builds it again.
"""

from __future__ import annotations

from pathlib import Path

import crsagent.data.catalog
import crsagent.data.text
import crsagent.data.titles
import crsagent.understanding
from crsagent.data.catalog import Catalog
from crsagent.pickle_cache import cached_build, code_digest, keyed_path
from crsagent.understanding.spotter import CatalogSpotter

# Smaller catalogs build their spotter in about a second: not worth a file per catalog and code change.
CACHE_FROM_ITEMS = 50_000
CODE = (crsagent.understanding, crsagent.data.titles, crsagent.data.text, crsagent.data.catalog)
LIBRARIES = ("pyahocorasick", "RapidFuzz", "wordfreq")


def spotter_path(catalog: Catalog, cache_dir: Path) -> Path:
    """Where the spotter of ``catalog`` built by this code is stored."""
    return keyed_path(cache_dir, "spotters", catalog.name, catalog.content_hash, code_digest(CODE, LIBRARIES))


def cached_spotter(
    catalog: Catalog, cache_dir: Path | None, *, from_items: int = CACHE_FROM_ITEMS
) -> CatalogSpotter:
    """The prepared spotter of ``catalog``: read back when stored, else built (and stored when the
    catalog has ``from_items`` items or more and there is a cache folder)."""
    path = spotter_path(catalog, cache_dir) if cache_dir is not None and len(catalog) >= from_items else None
    # The catalog is not stored with it: the caller's catalog takes its place.
    return cached_build(path, lambda: CatalogSpotter(catalog).prepare(), CatalogSpotter, shared=[catalog])
