"""Building models by name from typed or plain configs, and loading saved folders."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from crsagent.recommenders import (
    EASE,
    EASEConfig,
    ItemKNN,
    Popularity,
    SavedModelError,
    load_recommender,
    make_recommender,
)
from crsagent.registry import RECOMMENDERS
from tests.recommenders.recommender_toys import N_ITEMS, toy_train


def test_every_name_builds_its_model_with_defaults() -> None:
    for name in RECOMMENDERS.names():
        if name == "sasrec":
            pytest.importorskip("torch")
        model = make_recommender(name)
        assert model.name == name
        assert model.n_items == 0


def test_plain_dict_configs_are_validated_into_typed_ones() -> None:
    model = make_recommender("ease", {"l2": 123.0})
    assert isinstance(model, EASE)
    assert model.config == EASEConfig(l2=123.0)
    typed = make_recommender("itemknn", ItemKNN.config_class.model_validate({"k": 7}))
    assert isinstance(typed, ItemKNN)
    assert typed.config.k == 7


def test_unknown_names_and_fields_are_named_in_the_error() -> None:
    with pytest.raises(ValueError, match=r"unknown recommender 'bpr'.*popularity, itemknn, ease, sasrec"):
        make_recommender("bpr")
    with pytest.raises(ValueError, match="neighbours"):
        make_recommender("itemknn", {"neighbours": 10})
    with pytest.raises(ValueError, match="k"):
        make_recommender("itemknn", {"k": 0})


def test_load_refuses_folders_that_are_not_saved_models(tmp_path: Path) -> None:
    with pytest.raises(SavedModelError, match=r"no recommender\.json"):
        load_recommender(tmp_path)
    (tmp_path / "recommender.json").write_text("{not json")
    with pytest.raises(SavedModelError, match="malformed manifest"):
        load_recommender(tmp_path)


def test_loading_with_the_wrong_class_or_a_newer_format_is_refused(tmp_path: Path) -> None:
    folder = EASE().fit(toy_train(), N_ITEMS).save(tmp_path / "ease")
    with pytest.raises(SavedModelError, match="holds a 'ease' model, not 'popularity'"):
        Popularity.load(folder)
    manifest = json.loads((folder / "recommender.json").read_text())
    (folder / "recommender.json").write_text(json.dumps({**manifest, "format": 99}))
    with pytest.raises(SavedModelError, match="format 99"):
        load_recommender(folder)


def test_missing_or_inconsistent_arrays_are_refused(tmp_path: Path) -> None:
    folder = ItemKNN().fit(toy_train(), N_ITEMS).save(tmp_path / "knn")
    np.savez(folder / "arrays.npz", popularity=np.zeros(N_ITEMS, dtype=np.float32))
    with pytest.raises(SavedModelError, match="neighbours"):
        load_recommender(folder)
    (folder / "arrays.npz").unlink()
    with pytest.raises(SavedModelError, match=r"arrays\.npz is missing"):
        load_recommender(folder)


def test_saving_an_unfitted_model_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError, match="not fitted"):
        EASE().save(tmp_path / "nothing")
