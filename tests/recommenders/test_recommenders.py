"""The shared suite: every recommender passes the same behavioural checks on tiny data."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from crsagent.recommenders import (
    BaseRecommender,
    NotFittedError,
    UnknownItemIndexError,
    load_recommender,
)
from tests.recommenders.recommender_toys import (
    HELD_OUT_ONLY_ITEM,
    MODEL_FACTORIES,
    N_ITEMS,
    concatenate,
    toy_held_out,
    toy_train,
)

MODEL_NAMES = list(MODEL_FACTORIES)


@pytest.fixture(scope="module", params=MODEL_NAMES)
def model_name(request: pytest.FixtureRequest) -> str:
    if request.param == "sasrec":
        pytest.importorskip("torch")
    return request.param


@pytest.fixture(scope="module")
def fitted(model_name: str) -> BaseRecommender:
    """One fitted model per kind, shared by the tests of this module (fitting SASRec takes a second)."""
    return MODEL_FACTORIES[model_name]().fit(toy_train(), N_ITEMS)


def test_every_model_is_fitted_for_the_catalog(fitted: BaseRecommender) -> None:
    assert fitted.n_items == N_ITEMS


def test_scores_are_one_finite_float32_per_item(fitted: BaseRecommender) -> None:
    scores = fitted.score(np.array([10, 0, 1]))
    assert scores.shape == (N_ITEMS,)
    assert scores.dtype == np.float32
    assert np.isfinite(scores).all()


def test_candidate_scores_are_the_slice_of_full_scores(fitted: BaseRecommender) -> None:
    history = np.array([10, 5, 6])
    candidates = np.array([9, 0, 7, 7, 11])
    np.testing.assert_array_equal(fitted.score(history, candidates), fitted.score(history)[candidates])
    assert fitted.score(history, np.array([], dtype=np.int64)).shape == (0,)


def test_batched_scores_equal_one_user_at_a_time(fitted: BaseRecommender) -> None:
    histories = [np.array([10, 0, 1]), np.array([], dtype=np.int64), np.array([5]), [6, 7, 7, 8]]
    candidates = np.array([1, 2, 8, 9])
    batched = fitted.score_users(histories, candidates)
    assert batched.shape == (4, 4)
    assert batched.dtype == np.float32
    for row, history in zip(batched, histories, strict=True):
        np.testing.assert_allclose(row, fitted.score(history, candidates), rtol=1e-5, atol=1e-6)
    assert fitted.score_users([]).shape == (0, N_ITEMS)


def test_two_fits_with_the_same_config_give_identical_scores(model_name: str) -> None:
    first = MODEL_FACTORIES[model_name]().fit(toy_train(), N_ITEMS)
    second = MODEL_FACTORIES[model_name]().fit(toy_train(), N_ITEMS)
    for history in ([10, 0], [5, 6, 7], []):
        np.testing.assert_array_equal(first.score(history), second.score(history))


def test_cold_users_get_finite_popularity_scores(fitted: BaseRecommender) -> None:
    cold = fitted.score(np.array([], dtype=np.int64))
    assert np.isfinite(cold).all()
    counts = np.bincount(toy_train().items, minlength=N_ITEMS)
    np.testing.assert_array_equal(cold, counts.astype(np.float32))
    np.testing.assert_array_equal(fitted.score_users([[], [0]])[0], cold)


@pytest.mark.parametrize(
    ("history", "candidates", "named"),
    [
        ([0, -1], None, "-1"),
        ([0, N_ITEMS], None, str(N_ITEMS)),
        ([0], [1, N_ITEMS + 3, -2], f"-2, {N_ITEMS + 3}"),
    ],
)
def test_unknown_items_raise_a_value_error_naming_them(
    fitted: BaseRecommender, history: list[int], candidates: list[int] | None, named: str
) -> None:
    with pytest.raises(UnknownItemIndexError, match=named) as caught:
        fitted.score(np.array(history), None if candidates is None else np.array(candidates))
    assert isinstance(caught.value, ValueError)
    where = "history" if candidates is None else "candidates"
    assert where in str(caught.value)
    with pytest.raises(ValueError, match=r"histories\[1\]" if candidates is None else "candidates"):
        fitted.score_users([[0], history], candidates)


def test_malformed_histories_are_refused(fitted: BaseRecommender) -> None:
    with pytest.raises(ValueError, match="integer item indices"):
        fitted.score(np.array([0.5, 1.0]))
    with pytest.raises(ValueError, match="1-D"):
        fitted.score(np.array([[0, 1]]))


def test_scoring_before_fitting_is_a_clear_error(model_name: str) -> None:
    with pytest.raises(NotFittedError, match="not fitted"):
        MODEL_FACTORIES[model_name]().score(np.array([0]))


def test_fit_refuses_items_outside_the_catalog(model_name: str) -> None:
    with pytest.raises(ValueError, match="train items"):
        MODEL_FACTORIES[model_name]().fit(toy_train(), N_ITEMS - 2)


def test_fit_learns_from_the_given_interactions_only(model_name: str) -> None:
    """Item 11 follows item 0 for thirty held-out users and appears nowhere in train."""
    history = np.array([0])
    ranked_without = _rank_outside_history(MODEL_FACTORIES[model_name]().fit(toy_train(), N_ITEMS), history)
    with_held_out = concatenate(toy_train(), toy_held_out())
    ranked_with = _rank_outside_history(MODEL_FACTORIES[model_name]().fit(with_held_out, N_ITEMS), history)
    assert ranked_with == 1  # the held-out pairs are a strong signal once they are given ...
    assert ranked_without > 3  # ... and without them item 11 has no collaborative support


def _rank_outside_history(model: BaseRecommender, history: np.ndarray) -> int:
    scores = model.score(history)
    scores[history] = -np.inf
    order = np.argsort(-scores, kind="stable")
    return int(np.flatnonzero(order == HELD_OUT_ONLY_ITEM)[0]) + 1


def test_save_and_load_round_trip_gives_identical_scores(fitted: BaseRecommender, tmp_path: Path) -> None:
    folder = fitted.save(tmp_path / "model")
    for loaded in (type(fitted).load(folder), load_recommender(folder)):
        assert type(loaded) is type(fitted)
        assert loaded.config == fitted.config
        for history in ([10, 0, 1], [], [5]):
            np.testing.assert_array_equal(loaded.score(history), fitted.score(history))
