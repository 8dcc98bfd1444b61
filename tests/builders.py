"""Tiny dataset folders written in code, shared by several test files."""

from __future__ import annotations

import json
from pathlib import Path


def write_scpr_folder(folder: Path, *, names: bool = True) -> Path:
    """A three-item SCPR-layout benchmark folder (attribute names optional)."""
    graph = folder / "Graph_generate_data"
    interactions = folder / "UI_Interaction_data"
    graph.mkdir(parents=True)
    interactions.mkdir()
    items = {
        "0": {"feature_index": [0, 1], "busi_id": 11},
        "1": {"feature_index": [1], "busi_id": 12},
        "2": {"feature_index": [2], "busi_id": 99},
    }
    (graph / "item_dict.json").write_text(json.dumps(items))
    # The loader must not read these: they hold test pairs / likes of unknown origin.
    (graph / "user_item.json").write_text("this is not JSON")
    (graph / "user_dict.json").write_text("this is not JSON")
    splits = {"train": {"0": [0, 1], "1": [1]}, "valid": {"0": [2]}, "test": {"1": [2], "0": [0]}}
    for split, pairs in splits.items():
        (interactions / f"review_dict_{split}.json").write_text(json.dumps(pairs))
    if names:
        id_map = folder / "ID_map_info"
        id_map.mkdir()
        reverse = {str(i): {"real_id": [i], "real_name": [n]} for i, n in enumerate(["rock", "pop", "jazz"])}
        (id_map / "tag_reverse_map.json").write_text(json.dumps(reverse))
    return folder
