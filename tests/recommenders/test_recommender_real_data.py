"""The recommenders on the real datasets: fitted on train only, better than popularity on valid."""

from __future__ import annotations

import numpy as np
import pytest

from crsagent.data.dataset import Dataset
from crsagent.recommenders import (
    EASE,
    BaseRecommender,
    EASEConfig,
    ItemKNN,
    ItemKNNConfig,
    Popularity,
    evaluate_model,
    targets_by_user,
    user_sequences,
)

pytestmark = pytest.mark.real_data


def _valid_ndcg(model: BaseRecommender, dataset: Dataset) -> float:
    history_of = user_sequences(dataset.splits["train"])
    targets_of = targets_by_user(dataset.splits["valid"])
    users = [u for u in sorted(targets_of) if u in history_of]
    histories = [history_of[u] for u in users]
    targets = [np.setdiff1d(targets_of[u], history_of[u]) for u in users]
    keep = [i for i, t in enumerate(targets) if t.size]
    metrics = evaluate_model(model, [histories[i] for i in keep], [targets[i] for i in keep])
    return float(metrics["ndcg@10"].mean())


def test_movielens_histories_are_in_time_order(movielens: Dataset) -> None:
    train = movielens.splits["train"]
    assert train.timestamps is not None
    stamp_of = {
        (int(u), int(i)): int(t) for u, i, t in zip(train.users, train.items, train.timestamps, strict=True)
    }
    for user, items in list(user_sequences(train).items())[:50]:
        stamps = [stamp_of[(user, int(item))] for item in items]
        assert stamps == sorted(stamps)


def test_itemknn_beats_popularity_on_movielens_valid(movielens: Dataset) -> None:
    train, n_items = movielens.splits["train"], len(movielens.catalog)
    knn = ItemKNN(ItemKNNConfig(k=50)).fit(train, n_items)
    assert _valid_ndcg(knn, movielens) > _valid_ndcg(Popularity().fit(train, n_items), movielens)


def test_ease_beats_popularity_on_lastfm_valid(lastfm: Dataset) -> None:
    train, n_items = lastfm.splits["train"], len(lastfm.catalog)
    ease = EASE(EASEConfig(l2=200.0)).fit(train, n_items)
    assert ease.active_items.size == np.unique(train.items).size  # items never in train take no part
    assert _valid_ndcg(ease, lastfm) > _valid_ndcg(Popularity().fit(train, n_items), lastfm)


def test_lastfm_items_seen_only_outside_train_get_no_ease_signal(lastfm: Dataset) -> None:
    train, n_items = lastfm.splits["train"], len(lastfm.catalog)
    ease = EASE().fit(train, n_items)
    unseen = np.setdiff1d(lastfm.splits["test"].items, train.items)
    assert unseen.size > 0  # 38% of the test targets never occur in train
    history = user_sequences(train)[0]
    np.testing.assert_array_equal(ease.score(history, unseen), np.zeros(unseen.size, dtype=np.float32))
    batched = ease.score_users([history, user_sequences(train)[1]])
    np.testing.assert_allclose(batched[0], ease.score(history), rtol=1e-5, atol=1e-6)


def test_sasrec_trains_and_scores_on_lastfm(lastfm: Dataset) -> None:
    pytest.importorskip("torch")
    from crsagent.recommenders.sasrec import SASRec, SASRecConfig

    train, n_items = lastfm.splits["train"], len(lastfm.catalog)
    model = SASRec(SASRecConfig(max_epochs=1, hidden_size=16, n_layers=1, fit_threads=1)).fit(train, n_items)
    scores = model.score_users([user_sequences(train)[0], np.zeros(0, dtype=np.int64)])
    assert scores.shape == (2, n_items)
    assert np.isfinite(scores).all()
