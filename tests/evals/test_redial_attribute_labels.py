"""The shipped hand-labelled ReDial attribute file: well-formed, in the agreed vocabulary, and (with
the real data) labelling exactly the messages the sampling script picks, in its order."""

from __future__ import annotations

import importlib.util
import json
import re
from importlib.resources import files
from pathlib import Path
from types import ModuleType
from typing import Literal

import pytest
from pydantic import BaseModel, ConfigDict

from tests.conftest import require_dataset_folder

SCRIPT = Path(__file__).parents[2] / "scripts" / "sample_redial_label_messages.py"
# MovieLens's genre vocabulary, written out here so the check does not lean on the NLU's tables.
GENRES = {
    "Action", "Adventure", "Animation", "Children", "Comedy", "Crime", "Documentary", "Drama", "Fantasy",
    "Film-Noir", "Horror", "Musical", "Mystery", "Romance", "Sci-Fi", "Thriller", "War", "Western",
}  # fmt: skip


class Attribute(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    type: Literal["genre", "person", "decade", "period"]
    value: str
    negated: bool


class Label(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    conversation_id: str
    message_id: str
    attributes: list[Attribute]
    vague: list[str]


def _labels() -> list[Label]:
    text = (files("crsagent.evals") / "data" / "redial_attribute_labels.jsonl").read_text(encoding="utf-8")
    return [Label.model_validate(json.loads(line)) for line in text.splitlines()]


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("sample_redial_label_messages", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_label_file_is_well_formed_and_in_vocabulary() -> None:
    labels = _labels()
    assert len(labels) == 300
    assert len({(label.conversation_id, label.message_id) for label in labels}) == 300
    for label in labels:
        keys = [(attribute.type, attribute.value) for attribute in label.attributes]
        assert len(keys) == len(set(keys)), label
        assert all(entry.strip() for entry in label.vague), label
        for attribute in label.attributes:
            if attribute.type == "genre":
                assert attribute.value in GENRES, label
            elif attribute.type == "decade":
                assert re.fullmatch(r"(19|20)[0-9]0s", attribute.value), label
            elif attribute.type == "period":
                assert attribute.value in {"recent", "older"}, label
            else:
                assert attribute.value == attribute.value.strip() and attribute.value, label
    # The benchmark needs both sides: messages with attributes (recall) and without (precision).
    with_attributes = sum(1 for label in labels if label.attributes)
    assert 0 < with_attributes < 300


@pytest.mark.real_data
def test_the_labels_follow_the_sampling_script(real_data_dir: Path) -> None:
    folder = require_dataset_folder(real_data_dir, "redial")
    sample = _script().sample_messages(folder)
    labels = _labels()
    assert [(row["conversation_id"], row["message_id"]) for row in sample] == [
        (label.conversation_id, label.message_id) for label in labels
    ]
    assert all(row["text"].strip() for row in sample)
