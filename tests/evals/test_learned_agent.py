"""The learned switch: trained by the CPR eval into the store, loaded by the agent, refused when
missing, damaged or trained on other data."""

from __future__ import annotations

import json
import logging
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from crsagent.agent import Agent, AgentConfig
from crsagent.config import Settings
from crsagent.data.dataset import Dataset
from crsagent.evals.cpr.config import CprRunConfig
from crsagent.evals.cpr.evaluate import CprRun, prepare, run_cpr
from crsagent.knowledge_graph.estimator import EstimatorConfig
from crsagent.knowledge_graph.policies.learned import STATE_FEATURES
from crsagent.knowledge_graph.policies.learned_store import (
    MissingSwitchError,
    StoredSwitch,
    StoredSwitchError,
    load_switch,
    read_switch,
    save_switch,
    switch_path,
)
from tests.knowledge_graph.tiny_data import tiny_dataset

FAST = {"episodes": 12, "epochs": 1, "batch": 4}  # a few seconds of training on the tiny dataset


def _train(dataset: Dataset, settings: Settings, **policy_settings: object) -> CprRun:
    config = CprRunConfig(
        dataset=dataset.name, policy="learned", policy_settings={**FAST, **policy_settings}, workers=1
    )
    prepared = prepare(config, dataset=dataset, settings=settings)
    return run_cpr(config, prepared=prepared, settings=settings)


def _agent(dataset: Dataset, settings: Settings, **changes: object) -> Agent:
    config = AgentConfig.model_validate({"policy": "learned", "vague_words": "off", **changes})
    return Agent.from_dataset(dataset, config=config, settings=settings)


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> tuple[Dataset, Settings, CprRun]:
    dataset = tiny_dataset()
    settings = Settings(cache_dir=tmp_path_factory.mktemp("cache"))
    return dataset, settings, _train(dataset, settings)


def test_the_eval_stores_the_switch_it_trained(trained: tuple[Dataset, Settings, CprRun]) -> None:
    dataset, settings, run = trained
    stored = read_switch(switch_path(settings.cache_dir, dataset.name, "prune"))
    assert stored.dataset == "tiny" and stored.features == STATE_FEATURES
    assert stored.protocol.list_size == 10 and stored.protocol.negative_answers == "prune"
    assert stored.training.episodes == 12
    assert np.round(stored.weights, 4).tolist() == run.record["policy_settings"]["weights"]


def test_a_second_run_reuses_the_stored_switch_and_other_settings_retrain(
    trained: tuple[Dataset, Settings, CprRun],
) -> None:
    dataset, settings, run = trained
    path = switch_path(settings.cache_dir, dataset.name, "prune")
    first = read_switch(path)
    again = _train(dataset, settings)
    assert read_switch(path).trained_at == first.trained_at  # loaded, not trained again
    assert again.record["SR@15"] == run.record["SR@15"]
    _train(dataset, settings, seed=7)
    retrained = read_switch(path)
    assert retrained.training.seed == 7 and retrained.trained_at > first.trained_at
    _train(dataset, settings)  # back to the module's settings for the other tests
    assert read_switch(path).training.seed == 1


def test_an_agent_with_the_learned_policy_answers_turns(
    trained: tuple[Dataset, Settings, CprRun],
) -> None:
    dataset, settings, _ = trained
    agent = _agent(dataset, settings)
    assert agent.runtime.trained is not None
    first = agent.chat("I like rock", session_id="learned")
    assert first.trace.policy == "learned"
    assert first.question is not None or first.items
    second = agent.chat("yes" if first.question is not None else "no, something else", session_id="learned")
    assert second.text


@pytest.mark.parametrize(("bias", "asks"), [(-30.0, True), (30.0, False)])
def test_the_agent_follows_the_stored_weights(
    trained: tuple[Dataset, Settings, CprRun], tmp_path: Path, bias: float, asks: bool
) -> None:
    dataset, settings, _ = trained
    stored = read_switch(switch_path(settings.cache_dir, dataset.name, "prune"))
    forced = stored.model_copy(update={"weights": (bias,) + (0.0,) * (len(STATE_FEATURES) - 1)})
    own = Settings(cache_dir=tmp_path)
    save_switch(own.cache_dir, forced)
    reply = _agent(dataset, own).chat("I like rock", session_id="forced")
    assert (reply.question is not None) is asks
    assert bool(reply.items) is not asks


def test_missing_weights_name_the_command_that_trains_them(tmp_path: Path) -> None:
    with pytest.raises(
        MissingSwitchError,
        match=r"no trained weights for tiny .* crsagent eval cpr --dataset tiny --policy learned$",
    ):
        _agent(tiny_dataset(), Settings(cache_dir=tmp_path))
    with pytest.raises(MissingSwitchError, match=r"--policy learned --negative-answers soft$"):
        _agent(tiny_dataset(), Settings(cache_dir=tmp_path), negative_answers="soft")


def test_a_dataset_without_a_valid_split_is_refused(tmp_path: Path) -> None:
    full = tiny_dataset()
    without = replace(full, name="novalid", splits={"train": full.split("train")})
    with pytest.raises(StoredSwitchError, match=r"novalid has no train and valid interactions.*info-gain"):
        _agent(without, Settings(cache_dir=tmp_path))


def _copy_store(settings: Settings, tmp_path: Path) -> tuple[Settings, Path]:
    own = Settings(cache_dir=tmp_path)
    source = switch_path(settings.cache_dir, "tiny", "prune")
    path = switch_path(own.cache_dir, "tiny", "prune")
    path.parent.mkdir(parents=True)
    path.write_bytes(source.read_bytes())
    return own, path


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda text: text[: len(text) // 2], "damaged or not a switch file"),
        (lambda text: json.dumps({**json.loads(text), "weights": [1.0, 2.0]}), "2 weights for 11 features"),
        (lambda text: json.dumps({**json.loads(text), "weights": None}), "damaged"),
        (lambda text: json.dumps({**json.loads(text), "extra": 1}), "extra"),
    ],
)
def test_a_damaged_file_is_a_clear_error(
    trained: tuple[Dataset, Settings, CprRun], tmp_path: Path, damage, message: str
) -> None:
    own, path = _copy_store(trained[1], tmp_path)
    path.write_text(damage(path.read_text()))
    with pytest.raises(StoredSwitchError, match=message) as error:
        _agent(trained[0], own)
    assert str(path) in str(error.value)
    assert "crsagent eval cpr --dataset tiny --policy learned" in str(error.value)


def test_weights_trained_on_other_data_or_features_are_refused(
    trained: tuple[Dataset, Settings, CprRun], tmp_path: Path
) -> None:
    dataset, settings, _ = trained
    own, path = _copy_store(settings, tmp_path)
    stored = read_switch(path)
    other_data = tiny_dataset(seed=5)  # same catalog, other pairs
    with pytest.raises(StoredSwitchError, match="trained on other data"):
        _agent(other_data, own)
    renamed = stored.model_copy(update={"features": ("bias", *STATE_FEATURES[2:], "other")})
    save_switch(own.cache_dir, StoredSwitch.model_validate(renamed.model_dump()))
    with pytest.raises(StoredSwitchError, match="features version"):
        _agent(dataset, own)
    save_switch(own.cache_dir, stored)
    with pytest.raises(StoredSwitchError, match="estimator with other settings"):
        load_switch(
            own.cache_dir,
            dataset="tiny",
            fingerprint=stored.dataset_fingerprint,
            estimator=EstimatorConfig(rejected_features=not EstimatorConfig().rejected_features),
            negative_answers="prune",
        )


def test_the_eval_retrains_over_a_damaged_file(
    trained: tuple[Dataset, Settings, CprRun], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    own, path = _copy_store(trained[1], tmp_path)
    path.write_text("{not json")
    with caplog.at_level(logging.WARNING):
        _train(trained[0], own)
    assert "training it again" in caplog.text
    assert (
        read_switch(path).weights == read_switch(switch_path(trained[1].cache_dir, "tiny", "prune")).weights
    )
