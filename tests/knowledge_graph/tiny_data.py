"""Tiny datasets built in code, where the right answers are easy to see."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from crsagent.data.catalog import Catalog
from crsagent.data.dataset import Dataset
from crsagent.data.interactions import Interactions
from crsagent.data.item import Item

TAGS = ("rock", "pop", "jazz", "folk", "metal", "soul")


def tiny_items(n_items: int = 48) -> list[Item]:
    """Items with two or three tags each, in a fixed pattern (every tag pair occurs)."""
    items = []
    for i in range(n_items):
        tags = {TAGS[i % 6], TAGS[(i // 6 + 1 + i % 6) % 6]}
        if i % 4 == 0:
            tags.add(TAGS[(i // 3) % 6])
        items.append(Item(id=f"i{i}", title=f"Artist {i}", attributes={"tag": sorted(tags)}))
    return items


def tiny_dataset(
    *, n_items: int = 48, n_users: int = 12, seed: int = 0, test_only_items: int = 0, name: str = "tiny"
) -> Dataset:
    """A dataset with train / valid / test pairs per user.

    With ``test_only_items`` > 0 the last that many items occur only in test pairs (the poisoned
    items of the train-only tests): no train or valid pair touches them.
    """
    rng = np.random.default_rng(seed)
    items = tiny_items(n_items)
    shared = n_items - test_only_items
    user_ids = [f"u{u}" for u in range(n_users)]
    splits: dict[str, list[tuple[int, int]]] = {"train": [], "valid": [], "test": []}
    for user in range(n_users):
        chosen = rng.choice(shared, size=9, replace=False).tolist()
        splits["train"] += [(user, i) for i in chosen[:6]]
        splits["valid"].append((user, chosen[6]))
        splits["test"] += [(user, i) for i in chosen[7:]]
        if test_only_items:
            splits["test"].append((user, shared + user % test_only_items))
    interactions = {k: Interactions.from_pairs(user_ids, v) for k, v in splits.items()}
    everything = Interactions.from_pairs(user_ids, [p for v in splits.values() for p in v])
    return Dataset(
        name=name,
        catalog=Catalog(items, name=name),
        interactions=everything,
        positives=everything,
        splits=interactions,
    )


def write_tiny_scpr(folder: Path, dataset: Dataset) -> Path:
    """``dataset`` written in the SCPR layout (what ``crsagent eval cpr --dataset PATH`` reads)."""
    graph = folder / "Graph_generate_data"
    splits = folder / "UI_Interaction_data"
    names = folder / "ID_map_info"
    for path in (graph, splits, names):
        path.mkdir(parents=True)
    tag_ids = {tag: index for index, tag in enumerate(TAGS)}
    item_dict = {
        str(index): {"feature_index": [tag_ids[t] for t in item.attributes["tag"]], "busi_id": index}
        for index, item in enumerate(dataset.catalog.items)
    }
    (graph / "item_dict.json").write_text(json.dumps(item_dict))
    reverse = {str(i): {"real_id": [i], "real_name": [t]} for t, i in tag_ids.items()}
    (names / "tag_reverse_map.json").write_text(json.dumps(reverse))
    for split, interactions in dataset.splits.items():
        by_user: dict[str, list[int]] = {}
        for user, item in interactions.pairs():
            by_user.setdefault(str(user), []).append(item)
        (splits / f"review_dict_{split}.json").write_text(json.dumps(by_user))
    return folder
