"""SASRec on toy sequences: it learns a next-item pattern, stops early on valid, saves and loads."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from crsagent.data.interactions import Interactions  # noqa: E402
from crsagent.recommenders import SavedModelError, load_recommender  # noqa: E402
from crsagent.recommenders.sasrec import SASRec, SASRecConfig  # noqa: E402
from crsagent.recommenders.sasrec_data import training_windows  # noqa: E402

N_ITEMS = 10


def _cycles(users: int, *, offset: int = 0) -> Interactions:
    """Every user walks the cycle 0 -> 1 -> ... -> 9 -> 0 from their own start: next = item + 1."""
    pairs = [(user, (user + offset + step) % N_ITEMS) for user in range(users) for step in range(6)]
    return Interactions.from_pairs([f"u{u}" for u in range(users)], pairs)


def _config(**changes: object) -> SASRecConfig:
    settings: dict[str, object] = {
        "max_len": 6,
        "hidden_size": 16,
        "n_layers": 1,
        "dropout": 0.0,
        "loss": "ce",
        "learning_rate": 0.01,
        "batch_size": 8,
        "max_epochs": 30,
        "fit_threads": 1,
    }
    settings.update(changes)
    return SASRecConfig.model_validate(settings)


@pytest.fixture(scope="module")
def cycle_model() -> SASRec:
    return SASRec(_config()).fit(_cycles(30), N_ITEMS)


def test_sasrec_learns_a_deterministic_next_item(cycle_model: SASRec) -> None:
    for last in range(N_ITEMS):
        history = np.array([(last - 2) % N_ITEMS, (last - 1) % N_ITEMS, last])
        assert int(np.argmax(cycle_model.score(history))) == (last + 1) % N_ITEMS


@pytest.mark.parametrize("loss", ["sampled_ce", "bce"])
def test_the_sampled_losses_learn_the_pattern_too(loss: str) -> None:
    model = SASRec(_config(loss=loss, n_negatives=4, max_epochs=40)).fit(_cycles(30), N_ITEMS)
    hits = sum(int(np.argmax(model.score([last])) == (last + 1) % N_ITEMS) for last in range(N_ITEMS))
    assert hits >= 9


def test_order_matters_to_sasrec(cycle_model: SASRec) -> None:
    forward = cycle_model.score([3, 4, 5])
    backward = cycle_model.score([5, 4, 3])
    assert int(np.argmax(forward)) == 6
    assert int(np.argmax(backward)) == 4


def test_only_the_last_max_len_items_are_read(cycle_model: SASRec) -> None:
    long_history = np.arange(40) % N_ITEMS
    np.testing.assert_array_equal(cycle_model.score(long_history), cycle_model.score(long_history[-6:]))


def test_early_stopping_keeps_the_best_valid_epoch() -> None:
    # Valid pairs follow the same rule, so valid NDCG@10 rises and the best epoch is recorded.
    train = _cycles(30)
    valid = Interactions.from_pairs(train.user_ids, [(user, (user + 6) % N_ITEMS) for user in range(30)])
    model = SASRec(_config(max_epochs=60, patience=3)).fit(train, N_ITEMS, valid=valid)
    scores = [record.valid_ndcg_at_10 for record in model.epochs]
    assert all(score is not None for score in scores)
    assert model.best_epoch is not None
    assert scores[model.best_epoch - 1] == max(s for s in scores if s is not None)
    assert len(model.epochs) <= 60
    assert model.epochs[model.best_epoch - 1].valid_ndcg_at_10 == pytest.approx(1.0)


def test_without_valid_data_every_epoch_runs() -> None:
    model = SASRec(_config(max_epochs=3)).fit(_cycles(10), N_ITEMS)
    assert [record.epoch for record in model.epochs] == [1, 2, 3]
    assert model.best_epoch is None
    assert all(record.valid_ndcg_at_10 is None for record in model.epochs)


def test_fitting_leaves_the_callers_random_state_alone() -> None:
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    SASRec(_config(max_epochs=2)).fit(_cycles(10), N_ITEMS)
    torch.testing.assert_close(torch.rand(3), expected)


def test_windows_cover_every_transition_once() -> None:
    inputs, targets = training_windows([np.arange(12), np.array([3])], max_len=5)
    # 11 transitions of the first sequence in windows of 5, 5 and 1; the 1-item sequence has none.
    assert inputs.shape == targets.shape == (3, 5)
    real = targets[targets > 0] - 1
    assert sorted(real.tolist()) == list(range(1, 12))
    previous = inputs[targets > 0] - 1
    assert (previous + 1 == real).all()  # each input is the item just before its target


def test_save_and_load_keep_config_weights_and_device(cycle_model: SASRec, tmp_path: Path) -> None:
    folder = cycle_model.save(tmp_path / "sasrec")
    assert (folder / "weights.pt").is_file()
    loaded = load_recommender(folder)
    assert isinstance(loaded, SASRec)
    assert loaded.config == cycle_model.config
    assert loaded.device.type == "cpu"
    np.testing.assert_array_equal(loaded.score([1, 2]), cycle_model.score([1, 2]))


def test_weights_that_do_not_fit_the_config_are_refused(cycle_model: SASRec, tmp_path: Path) -> None:
    folder = cycle_model.save(tmp_path / "sasrec")
    manifest = (folder / "recommender.json").read_text()
    (folder / "recommender.json").write_text(manifest.replace('"hidden_size": 16', '"hidden_size": 32'))
    with pytest.raises(SavedModelError, match="weights do not fit"):
        SASRec.load(folder)
    (folder / "weights.pt").unlink()
    with pytest.raises(SavedModelError, match=r"weights\.pt"):
        SASRec.load(folder)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"hidden_size": 30, "n_heads": 4}, "must divide"),
        ({"device": "tpu"}, "device"),
        ({"loss": "mse"}, "loss"),
        ({"max_len": 1}, "max_len"),
        ({"epochs": 3}, "epochs"),
    ],
)
def test_bad_configs_say_what_is_wrong(changes: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        _config(**changes)


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the message on a machine without CUDA")
def test_asking_for_cuda_without_it_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="CUDA is not available"):
        SASRec(_config(device="cuda")).fit(_cycles(10), N_ITEMS)
    # 'auto' falls back to the CPU.
    assert SASRec(_config(device="auto", max_epochs=1)).fit(_cycles(10), N_ITEMS).device.type == "cpu"


def test_a_train_split_without_any_sequence_is_refused() -> None:
    single_items = Interactions.from_pairs(["a", "b"], [(0, 1), (1, 2)])
    with pytest.raises(ValueError, match="two or more train interactions"):
        SASRec(_config()).fit(single_items, N_ITEMS)
