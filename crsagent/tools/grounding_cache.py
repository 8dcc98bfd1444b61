"""Title grounders kept on disk: a large catalog's start reads its title key index back.

A grounder's index is a Python pass over every title (canonical keys, postings, sorted keys):
minutes at a million items. The stored grounder is keyed on the catalog's content and on the
code that builds it, so any change there builds it again. Only grounders without title vectors
are stored (the vectors live in their own index).
"""

from __future__ import annotations

from pathlib import Path

import crsagent.data.catalog
import crsagent.data.titles
import crsagent.tools.grounding
import crsagent.tools.grounding_index
from crsagent.data.catalog import Catalog
from crsagent.pickle_cache import cached_build, code_digest, keyed_path
from crsagent.tools.grounding import Grounder

# Smaller catalogs build their grounder in about a second: not worth a file per catalog and change.
CACHE_FROM_ITEMS = 50_000
CODE = (crsagent.tools.grounding, crsagent.tools.grounding_index, crsagent.data.titles, crsagent.data.catalog)
LIBRARIES = ("RapidFuzz",)


def grounder_path(catalog: Catalog, cache_dir: Path) -> Path:
    """Where the grounder of ``catalog`` built by this code is stored."""
    return keyed_path(
        cache_dir, "grounders", catalog.name, catalog.content_hash, code_digest(CODE, LIBRARIES)
    )


def cached_grounder(
    catalog: Catalog, cache_dir: Path | None, *, from_items: int = CACHE_FROM_ITEMS
) -> Grounder:
    """``Grounder(catalog)``: read back when stored, else built (and stored when the catalog has
    ``from_items`` items or more and there is a cache folder)."""
    path = grounder_path(catalog, cache_dir) if cache_dir is not None and len(catalog) >= from_items else None
    # The catalog is not stored with it: the caller's catalog takes its place.
    return cached_build(path, lambda: Grounder(catalog), Grounder, shared=[catalog])
