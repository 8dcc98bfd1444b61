"""Dataset names and folders -> loaded ``Dataset`` objects, with a parsed-dataset cache."""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable
from pathlib import Path

from crsagent.config import Settings
from crsagent.data.dataset import Dataset
from crsagent.errors import DatasetNotFoundError
from crsagent.pickle_cache import read_cached, write_cached

logger = logging.getLogger(__name__)

# Bump when a loader's output changes, so stale parsed caches are not reused.
LOADER_VERSION = "1"

KNOWN_DATASETS: dict[str, str] = {
    "ml-latest-small": "MovieLens latest-small + movie-metadata (movies)",
    "crs-lastfm": "LastFM conversational benchmark, SCPR layout (artists)",
    "redial": "ReDial dialogues (KGSF validation split) and movies",
    "demo": "built-in demo catalog of famous movies (no interactions)",
}
METADATA_FOLDER = "movie-metadata"
ARTISTS_FOLDER = "hetrec2011-lastfm-2k"


def detect_layout(folder: Path) -> str:
    """'movielens', 'scpr', 'redial' or 'imported', from the files a folder holds."""
    if (folder / "crsagent-import.json").is_file():
        return "imported"
    if (folder / "Graph_generate_data").is_dir() or (folder / "UI_Interaction_data").is_dir():
        return "scpr"
    if (folder / "movies.csv").is_file() and (folder / "ratings.csv").is_file():
        return "movielens"
    if (folder / "valid_data.jsonl").is_file() or (folder / "movies_with_mentions.csv").is_file():
        return "redial"
    raise DatasetNotFoundError(
        f"{folder}: not a dataset folder crsagent knows (expected the SCPR layout with "
        "UI_Interaction_data/, a MovieLens folder with movies.csv and ratings.csv, or ReDial's valid_data.jsonl)"
    )


def _search_roots(settings: Settings) -> list[Path]:
    roots = [settings.data_dir] if settings.data_dir is not None else []
    return [*roots, settings.datasets_cache]


def resolve_folder(name_or_path: str | Path, settings: Settings) -> Path:
    """The folder of a known dataset name (data dir first, then downloads), or an existing path."""
    candidate = Path(name_or_path).expanduser()
    if str(name_or_path) not in KNOWN_DATASETS and candidate.is_dir():
        return candidate.resolve()
    name = str(name_or_path)
    if name not in KNOWN_DATASETS:
        from crsagent.data.importer import find_imported

        imported = find_imported(name, settings)
        if imported is not None:
            return imported
        raise DatasetNotFoundError(
            f"unknown dataset {name!r}: not a folder, not one of {', '.join(KNOWN_DATASETS)}, "
            "and not imported (`crsagent data import ITEMS --name NAME`)"
        )
    looked = [root / name for root in _search_roots(settings)]
    for folder in looked:
        if folder.is_dir():
            return folder.resolve()
    where = ", ".join(str(p) for p in looked)
    raise DatasetNotFoundError(
        f"dataset {name!r} not found (looked in: {where}). Set CRSAGENT_DATA_DIR to the folder that holds "
        f"{name}/, or run `crsagent data download {name}` where an official archive exists."
    )


def _sibling(folder: Path, settings: Settings, name: str, filename: str) -> Path | None:
    """A companion file of another dataset: beside ``folder`` first, then in the search roots."""
    for root in [folder.parent, *_search_roots(settings)]:
        path = root / name / filename
        if path.is_file():
            return path
    return None


def _loader_for(folder: Path, settings: Settings) -> tuple[Callable[[], Dataset], list[Path]]:
    """The call that loads ``folder`` and every file it reads (for the cache key)."""
    layout = detect_layout(folder)
    if layout == "imported":
        from crsagent.data.importer_load import load_imported

        return (lambda: load_imported(folder)), []
    if layout == "movielens":
        from crsagent.data.loaders.movielens import load_movielens

        metadata = _sibling(folder, settings, METADATA_FOLDER, "id2info.json")
        return (lambda: load_movielens(folder, metadata_file=metadata)), [p for p in [metadata] if p]
    if layout == "scpr":
        from crsagent.data.loaders.scpr import load_scpr

        artists = _sibling(folder, settings, ARTISTS_FOLDER, "artists.dat")
        return (lambda: load_scpr(folder, artists_file=artists)), [p for p in [artists] if p]
    from crsagent.data.loaders.redial import load_redial

    metadata = _sibling(folder, settings, METADATA_FOLDER, "id2info.json")
    links = _sibling(folder, settings, "ml-latest-small", "links.csv")
    loader = lambda: load_redial(folder, metadata_file=metadata, movielens_links=links)  # noqa: E731
    return loader, [p for p in [metadata, links] if p]


def _cache_key(folder: Path, companions: list[Path]) -> str:
    """Changes whenever any file read changes (path, size, modification time) or the loader does."""
    digest = hashlib.sha256(LOADER_VERSION.encode())
    files = sorted(p for p in folder.rglob("*") if p.is_file())
    for path in [*files, *companions]:
        stat = path.stat()
        digest.update(json.dumps([str(path), stat.st_size, stat.st_mtime_ns]).encode())
    return digest.hexdigest()[:32]


def load_dataset(
    name_or_path: str | Path = "default", *, settings: Settings | None = None, use_cache: bool = True
) -> Dataset:
    """Load a dataset by name (``ml-latest-small``, ``crs-lastfm``, ``redial``, ``demo``) or folder.

    ``"default"`` opens ``settings.default_dataset`` and falls back to the demo catalog when that is
    not available, so that a fresh offline machine still works. Parsed datasets are cached under
    ``settings.cache_dir``; the cache is keyed on every file the loader reads.
    """
    settings = settings or Settings()
    if str(name_or_path) == "default":
        try:
            return load_dataset(settings.default_dataset, settings=settings, use_cache=use_cache)
        except DatasetNotFoundError as error:
            logger.warning("%s; opening the demo catalog instead", error)
            name_or_path = "demo"
    if str(name_or_path) == "demo":
        from crsagent.data.loaders.demo import load_demo

        return load_demo()
    folder = resolve_folder(name_or_path, settings)
    loader, companions = _loader_for(folder, settings)
    if not use_cache:
        return loader()
    cache_file = settings.cache_dir / "parsed" / f"{folder.name}-{_cache_key(folder, companions)}.pickle"
    cached = read_cached(cache_file, Dataset)
    if cached is not None:
        return cached
    dataset = loader()
    write_cached(cache_file, dataset)
    return dataset
