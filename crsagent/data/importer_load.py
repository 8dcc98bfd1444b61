"""Loading a dataset stored by ``crsagent data import`` (the normalised files it wrote)."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from crsagent.data.catalog import Catalog
from crsagent.data.dataset import SPLIT_NAMES, Dataset
from crsagent.data.files import iter_csv, parse_field, read_json_object, require_file
from crsagent.data.importer import FORMAT_VERSION, INTERACTIONS_FILE, ITEMS_FILE, MANIFEST
from crsagent.data.interactions import Interactions
from crsagent.data.item import Item
from crsagent.data.splits import temporal_leave_last_out, train_popularity
from crsagent.data.text import year_attributes
from crsagent.errors import DataFileError


def load_imported(folder: Path, *, name: str | None = None) -> Dataset:
    """The dataset in ``folder`` (items, interactions when imported with them, splits)."""
    manifest = read_json_object(folder / MANIFEST)
    if manifest.get("format_version") != FORMAT_VERSION:
        raise DataFileError(
            folder / MANIFEST,
            f"format_version {manifest.get('format_version')!r}, this crsagent reads {FORMAT_VERSION}: import the files again",
        )
    # Two passes over items.jsonl: ids first (the interactions and splits need them), then the
    # items themselves, built one line at a time: a million parsed rows and their items would
    # both be in memory otherwise.
    index = {row["id"]: position for position, row in enumerate(_read_items(folder / ITEMS_FILE))}
    interactions_path = folder / INTERACTIONS_FILE
    if interactions_path.is_file():
        interactions = _read_interactions(interactions_path, index)
        positives = _positives(interactions, manifest.get("positive_threshold"))
        splits = temporal_leave_last_out(
            positives,
            np.arange(len(index), dtype=np.int64),  # ties in time: catalog order
            min_positives=int(manifest.get("min_split_positives", 3)),
        )
    else:
        interactions = positives = Interactions((), np.zeros(0, np.int32), np.zeros(0, np.int32))
        splits = {split: positives for split in SPLIT_NAMES}
    popularity = train_popularity(splits["train"], len(index))
    items = (  # a generator: the catalog keeps a large catalog's items as columns only
        Item(
            id=row["id"],
            title=row["title"],
            # An item's own year / decade columns win over the ones derived from its year.
            attributes={**year_attributes(row["year"]), **row["attributes"]},
            text=row["text"],
            year=row["year"],
            popularity=float(popularity[position]),
        )
        for position, row in enumerate(_read_items(folder / ITEMS_FILE))
    )
    dataset_name = name or str(manifest.get("name") or folder.name)
    return Dataset(
        name=dataset_name,
        catalog=Catalog(items, name=dataset_name),
        interactions=interactions,
        positives=positives,
        splits=splits,
        source=folder,
        description=str(manifest.get("description", "")),
        notes={"imported_from": str(manifest.get("items_source", ""))},
    )


def _read_items(path: Path) -> Iterator[dict[str, Any]]:
    """The stored rows, one at a time; attribute types and values interned (shared strings)."""
    require_file(path)
    with path.open(encoding="utf-8") as handle:
        for line, text in enumerate(handle, start=1):
            try:
                row = json.loads(text)
                # A value recurs on thousands of items: one string object for all of them.
                attributes = {
                    sys.intern(str(k)): [sys.intern(str(v)) for v in vs]
                    for k, vs in row["attributes"].items()
                }
                parsed = {
                    "id": str(row["id"]),
                    "title": str(row["title"]),
                    "year": row["year"],
                    "text": str(row["text"]),
                    "attributes": attributes,
                }
            except (json.JSONDecodeError, KeyError, TypeError, AttributeError) as error:
                # Written by the importer: only a damaged copy gets here.
                raise DataFileError(
                    path, f"line {line}: damaged ({error!r}); import the files again"
                ) from None
            yield parsed


def _read_interactions(path: Path, index: dict[str, int]) -> Interactions:
    user_of: dict[str, int] = {}
    users: list[int] = []
    items: list[int] = []
    ratings: list[float] = []
    stamps: list[int] = []
    rated = False
    for line, row in iter_csv(path, ("user", "item", "timestamp", "rating")):
        item = index.get(row["item"])
        if item is None:
            raise DataFileError(
                path, f"line {line}: item {row['item']!r} is not in {ITEMS_FILE}; import again"
            )
        users.append(user_of.setdefault(row["user"], len(user_of)))
        items.append(item)
        stamps.append(parse_field(path, line, "timestamp", row["timestamp"], int))
        rated = rated or bool(row["rating"])
        ratings.append(parse_field(path, line, "rating", row["rating"], float) if row["rating"] else np.nan)
    return Interactions(
        tuple(user_of),
        np.asarray(users, dtype=np.int32),
        np.asarray(items, dtype=np.int32),
        np.asarray(ratings, dtype=np.float32) if rated else None,
        np.asarray(stamps, dtype=np.int64),
    )


def _positives(interactions: Interactions, threshold: float | None) -> Interactions:
    """Rows that count as liked: rating >= threshold when one is set, else every row."""
    if threshold is None or interactions.ratings is None:
        return interactions
    return interactions.subset(np.flatnonzero(interactions.ratings >= threshold))
