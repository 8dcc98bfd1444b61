from __future__ import annotations

from pathlib import Path

import pytest

from crsagent.config import Settings
from crsagent.data.dataset import Dataset
from crsagent.data.loaders.scpr import load_scpr
from crsagent.data.registry import load_dataset
from crsagent.errors import DataFileError
from tests.builders import write_scpr_folder


def test_tiny_scpr_folder(tmp_path: Path) -> None:
    folder = write_scpr_folder(tmp_path / "bench")
    artists = tmp_path / "artists.dat"
    artists.write_text('id\tname\turl\tpictureURL\n11\t"Weird Al" Yankovic\tu\tp\n12\tMUSE\tu\tp\n')
    dataset = load_scpr(folder, artists_file=artists)
    assert dataset.name == "bench"
    assert [item.title for item in dataset.catalog] == ['"Weird Al" Yankovic', "MUSE", "item 2"]
    assert dataset.catalog.get("0").attributes == {"tag": ["rock", "pop"]}
    assert len(dataset.interactions) == 6
    assert {k: len(v) for k, v in dataset.splits.items()} == {"train": 3, "valid": 1, "test": 2}
    # Episodes keep the file order.
    assert dataset.split("test").pairs() == [(1, 2), (0, 0)]
    assert [item.popularity for item in dataset.catalog] == [1.0, 2.0, 0.0]


def test_without_id_map_attribute_names_fall_back_to_ids(tmp_path: Path) -> None:
    dataset = load_scpr(write_scpr_folder(tmp_path / "plain", names=False))
    assert dataset.catalog.get("0").attributes == {"tag": ["0", "1"]}
    assert dataset.catalog.get("2").title == "item 2"


def test_any_scpr_folder_loads_by_path(tmp_path: Path) -> None:
    folder = write_scpr_folder(tmp_path / "other-benchmark")
    dataset = load_dataset(str(folder), settings=Settings(cache_dir=tmp_path / "cache"))
    assert dataset.name == "other-benchmark"
    assert len(dataset.catalog) == 3


def test_unknown_item_in_a_split_is_named(tmp_path: Path) -> None:
    folder = write_scpr_folder(tmp_path / "bad")
    (folder / "UI_Interaction_data" / "review_dict_test.json").write_text('{"0": [7]}')
    with pytest.raises(DataFileError, match=r"review_dict_test\.json: user 0: item 7 is not in item_dict"):
        load_scpr(folder)


def test_malformed_json_names_file_and_position(tmp_path: Path) -> None:
    folder = write_scpr_folder(tmp_path / "bad")
    (folder / "Graph_generate_data" / "item_dict.json").write_text('{"0": {"feature_index": [1,}')
    with pytest.raises(DataFileError, match=r"item_dict\.json: malformed JSON at line 1"):
        load_scpr(folder)


@pytest.mark.real_data
def test_crs_lastfm_counts_match_sources(lastfm: Dataset) -> None:
    assert len(lastfm.catalog) == 7432
    assert len(lastfm.user_ids) == 1801
    assert len(lastfm.interactions) == 76693
    assert len(lastfm.catalog.vocabulary["tag"]) == 33
    assert {k: len(v) for k, v in lastfm.splits.items()} == {"train": 52910, "valid": 11891, "test": 11892}
    assert lastfm.notes["items_with_names"] == "7282"
    # 38% of test targets never occur in train (DESIGN.md): the split is the benchmark's own.
    train_items = set(lastfm.splits["train"].items.tolist())
    unseen = sum(1 for item in lastfm.splits["test"].items.tolist() if item not in train_items)
    assert round(unseen / len(lastfm.splits["test"]), 2) == 0.38
