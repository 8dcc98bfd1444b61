"""Benchmark folders in the SCPR layout (EAR / SCPR / UNICORN): ``crs-lastfm`` and its siblings.

Layout: ``Graph_generate_data/item_dict.json`` (items and their attribute ids),
``UI_Interaction_data/review_dict_{train,valid,test}.json`` (one pair = one evaluation episode) and,
optionally, ``ID_map_info/tag_reverse_map.json`` (attribute names). ``user_item.json`` holds the test
pairs too and ``user_dict.json``'s ``like`` lists are of unknown origin: neither is read.
"""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path
from typing import Any

from crsagent.data.catalog import Catalog
from crsagent.data.dataset import SPLIT_NAMES, Dataset
from crsagent.data.files import iter_csv, read_json_object
from crsagent.data.interactions import Interactions
from crsagent.data.item import Item
from crsagent.data.splits import train_popularity
from crsagent.errors import DataFileError

ATTRIBUTE_TYPE = "tag"


def _int_key(path: Path, key: str, what: str) -> int:
    try:
        return int(key)
    except ValueError:
        raise DataFileError(path, f"{what} id {key!r} is not an integer") from None


def _attribute_names(folder: Path) -> dict[int, str]:
    """Attribute id -> display name; ids as text when ``ID_map_info`` is absent."""
    path = folder / "ID_map_info" / "tag_reverse_map.json"
    if not path.is_file():
        return {}
    names: dict[int, str] = {}
    for key, entry in read_json_object(path).items():
        real_names = entry.get("real_name") if isinstance(entry, dict) else None
        if not isinstance(real_names, list) or not real_names or not isinstance(real_names[0], str):
            raise DataFileError(path, f"attribute {key!r}: expected a non-empty 'real_name' list of strings")
        names[_int_key(path, key, "attribute")] = real_names[0].strip()
    # Two ids with one name would merge two attributes: keep them apart.
    counts = Counter(names.values())
    return {i: (f"{n} ({i})" if counts[n] > 1 else n) for i, n in names.items()}


def _artist_names(artists_file: Path | None) -> dict[int, str]:
    if artists_file is None or not artists_file.is_file():
        return {}
    return {
        int(row["id"]): row["name"].strip()
        for _, row in iter_csv(artists_file, ("id", "name"), delimiter="\t", quoting=csv.QUOTE_NONE)
        if row["id"].strip().isdigit()
    }


def _read_items(folder: Path) -> tuple[list[int], dict[int, list[int]], dict[int, Any]]:
    path = folder / "Graph_generate_data" / "item_dict.json"
    raw = read_json_object(path)
    item_ids = sorted(_int_key(path, key, "item") for key in raw)
    features: dict[int, list[int]] = {}
    business: dict[int, Any] = {}
    for key, entry in raw.items():
        item = int(key)
        feature_index = entry.get("feature_index") if isinstance(entry, dict) else None
        if not isinstance(feature_index, list) or not all(isinstance(f, int) for f in feature_index):
            raise DataFileError(path, f"item {key}: 'feature_index' must be a list of integers")
        features[item] = feature_index
        business[item] = entry.get("busi_id")
    return item_ids, features, business


def _check_attribute_ids(folder: Path, features: dict[int, list[int]], names: dict[int, str]) -> None:
    """Every attribute id of item_dict.json has a name when tag_reverse_map.json is there.

    A map cut short or from another benchmark would otherwise turn the missing attributes into bare
    numbers silently.
    """
    if not names:
        return
    for item in sorted(features):
        unnamed = [f for f in features[item] if f not in names]
        if unnamed:
            raise DataFileError(
                folder / "Graph_generate_data" / "item_dict.json",
                f"item {item}: attribute id {unnamed[0]} is not in ID_map_info/tag_reverse_map.json "
                f"({len(names)} attributes there)",
            )


def _read_split(
    path: Path, data: dict[str, Any], user_of: dict[str, int], index: dict[int, int]
) -> list[tuple[int, int]]:
    pairs: list[tuple[int, int]] = []
    for user, items in data.items():
        _int_key(path, user, "user")
        if not isinstance(items, list):
            raise DataFileError(path, f"user {user}: expected a list of item ids")
        for item in items:
            if not isinstance(item, int) or item not in index:
                raise DataFileError(path, f"user {user}: item {item!r} is not in item_dict.json")
            pairs.append((user_of[user], index[item]))
    return pairs


def load_scpr(folder: Path, *, artists_file: Path | None = None, name: str | None = None) -> Dataset:
    """Load an SCPR-layout folder; ``artists_file`` (HetRec ``artists.dat``) gives artist names."""
    item_ids, features, business = _read_items(folder)
    attribute_names = _attribute_names(folder)
    _check_attribute_ids(folder, features, attribute_names)
    artist_names = _artist_names(artists_file)
    index = {item: position for position, item in enumerate(item_ids)}
    paths = {split: folder / "UI_Interaction_data" / f"review_dict_{split}.json" for split in SPLIT_NAMES}
    raw = {split: read_json_object(path) for split, path in paths.items()}
    users = {user for data in raw.values() for user in data}
    user_ids = sorted(users, key=lambda u: int(u) if u.lstrip("-").isdigit() else 0)
    user_of = {user: position for position, user in enumerate(user_ids)}
    split_pairs = {split: _read_split(paths[split], raw[split], user_of, index) for split in SPLIT_NAMES}
    splits = {split: Interactions.from_pairs(user_ids, pairs) for split, pairs in split_pairs.items()}
    everything = Interactions.from_pairs(user_ids, [p for pairs in split_pairs.values() for p in pairs])
    popularity = train_popularity(splits["train"], len(item_ids))

    items = []
    for position, item in enumerate(item_ids):
        busi_id = business[item]
        artist = artist_names.get(busi_id) if isinstance(busi_id, int) else None
        values = [attribute_names.get(f, str(f)) for f in features[item]]
        items.append(
            Item(
                id=str(item),
                title=artist or f"item {item}",
                attributes={ATTRIBUTE_TYPE: values},
                popularity=float(popularity[position]),
            )
        )
    dataset_name = name or folder.name
    named = sum(1 for item in items if not item.title.startswith("item "))
    return Dataset(
        name=dataset_name,
        catalog=Catalog(items, name=dataset_name),
        interactions=everything,
        positives=everything,
        splits=splits,
        source=folder,
        description=(
            f"SCPR-layout benchmark {dataset_name}: implicit user-item pairs; each pair of a split is one "
            "evaluation episode. user_item.json and user_dict.json likes are not read (they leak test pairs)."
        ),
        notes={"items_with_names": str(named), "attribute_names": "yes" if attribute_names else "ids"},
    )
