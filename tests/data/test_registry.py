from __future__ import annotations

import os
from pathlib import Path

import pytest

from crsagent.config import Settings
from crsagent.data.registry import detect_layout, load_dataset, resolve_folder
from crsagent.errors import DatasetNotFoundError
from tests.builders import write_scpr_folder


def test_default_falls_back_to_the_demo_without_data(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "empty", cache_dir=tmp_path / "cache")
    dataset = load_dataset("default", settings=settings)
    assert dataset.is_demo
    assert dataset.name == "demo"


def test_a_missing_known_dataset_says_where_it_looked(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", cache_dir=tmp_path / "cache")
    with pytest.raises(DatasetNotFoundError) as caught:
        load_dataset("crs-lastfm", settings=settings)
    message = str(caught.value)
    assert str(tmp_path / "data" / "crs-lastfm") in message
    assert "CRSAGENT_DATA_DIR" in message


def test_unknown_names_and_foreign_folders_are_refused(tmp_path: Path) -> None:
    settings = Settings(cache_dir=tmp_path / "cache")
    with pytest.raises(DatasetNotFoundError, match="unknown dataset 'movielens-1b'"):
        resolve_folder("movielens-1b", settings)
    with pytest.raises(DatasetNotFoundError, match="not a dataset folder"):
        detect_layout(tmp_path)


def test_parsed_datasets_are_cached_and_invalidated(tmp_path: Path) -> None:
    folder = write_scpr_folder(tmp_path / "bench")
    settings = Settings(cache_dir=tmp_path / "cache")
    first = load_dataset(folder, settings=settings)
    cached = list((tmp_path / "cache" / "parsed").glob("bench-*.pickle"))
    assert len(cached) == 1
    second = load_dataset(folder, settings=settings)
    assert second.catalog.content_hash == first.catalog.content_hash
    # Changing a file the loader reads yields a new cache entry with the new content.
    item_dict = folder / "Graph_generate_data" / "item_dict.json"
    item_dict.write_text(
        '{"0": {"feature_index": [2], "busi_id": 1}, "1": {"feature_index": [1]},'
        ' "2": {"feature_index": [0]}}'
    )
    stat = item_dict.stat()
    os.utime(item_dict, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    third = load_dataset(folder, settings=settings)
    assert third.catalog.get("0").attributes == {"tag": ["jazz"]}
    assert len(list((tmp_path / "cache" / "parsed").glob("bench-*.pickle"))) == 2


def test_a_corrupt_cache_file_is_rebuilt(tmp_path: Path) -> None:
    folder = write_scpr_folder(tmp_path / "bench")
    settings = Settings(cache_dir=tmp_path / "cache")
    load_dataset(folder, settings=settings)
    (cache_file,) = (tmp_path / "cache" / "parsed").glob("bench-*.pickle")
    cache_file.write_bytes(b"not a pickle")
    assert len(load_dataset(folder, settings=settings).catalog) == 3
    assert cache_file.read_bytes() != b"not a pickle"


@pytest.mark.real_data
def test_known_names_resolve_in_the_data_dir(real_settings: Settings) -> None:
    assert resolve_folder("crs-lastfm", real_settings).name == "crs-lastfm"
    assert detect_layout(resolve_folder("ml-latest-small", real_settings)) == "movielens"
    assert detect_layout(resolve_folder("redial", real_settings)) == "redial"
