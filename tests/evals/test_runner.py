from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from crsagent.data.interactions import Interactions
from crsagent.errors import CrsAgentError
from crsagent.evals.cpr.config import CprRunConfig
from crsagent.evals.cpr.evaluate import PreparedCpr, prepare, run_cpr
from crsagent.evals.execute import Prebuilt, play_here, play_in_processes
from crsagent.evals.store import EPISODES_FILE, METRICS_FILE, REPORT_FILE, SR_PLOT_FILE, RunFolderError
from crsagent.evals.structured import CprProtocol, StructuredWorld
from crsagent.evals.targets import EpisodeTarget, seeded_subset
from crsagent.knowledge_graph.policies import make_policy
from crsagent.simulators.base import Episode, Target
from tests.knowledge_graph.tiny_data import tiny_dataset

REQUIRED_KEYS = {
    "SR@5",
    "SR@10",
    "SR@15",
    "AT",
    "hDCG",
    "n_episodes",
    "policy",
    "negative_answers",
    "dataset",
    "split",
    "seconds",
}


@pytest.fixture(scope="module")
def prepared() -> PreparedCpr:
    return prepare(CprRunConfig(dataset="tiny", cache_estimator=False), dataset=tiny_dataset())


def config(**changes: object) -> CprRunConfig:
    return CprRunConfig(dataset="tiny", cache_estimator=False, workers=1).model_copy(update=changes)


def lines(run_folder: Path) -> list[dict[str, object]]:
    """The logged episodes in episode order (the log is in the order they finished), without the
    policy's decision times (the one thing that differs between identical runs)."""
    logged = [json.loads(line) for line in (run_folder / EPISODES_FILE).read_text().splitlines()]
    for line in logged:
        for turn in line["turns"]:
            del turn["latency_ms"]
    return sorted(logged, key=lambda line: line["episode"])


def test_a_run_writes_the_folder(prepared: PreparedCpr, tmp_path: Path) -> None:
    run = run_cpr(config(policy="info-gain"), prepared=prepared, out=tmp_path / "run")
    folder = tmp_path / "run"
    assert run.folder == folder
    metrics = json.loads((folder / METRICS_FILE).read_text())
    assert set(metrics) >= REQUIRED_KEYS
    assert metrics["n_episodes"] == len(tiny_dataset().split("test")) == len(lines(folder))
    assert metrics["split"] == "test" and metrics["policy"] == "info-gain" and metrics["dataset"] == "tiny"
    assert "| policy | info-gain |" in (folder / REPORT_FILE).read_text()
    assert (folder / SR_PLOT_FILE).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    first = lines(folder)[0]
    assert {"episode", "target", "turns", "success", "success_turn", "end"} <= set(first)


@pytest.mark.parametrize("policy", ["max-entropy", "info-gain"])
def test_runs_are_deterministic_across_worker_counts(
    prepared: PreparedCpr, policy: str, tmp_path: Path
) -> None:
    one = run_cpr(config(policy=policy, seed=3), prepared=prepared, out=tmp_path / "one")
    two = run_cpr(config(policy=policy, seed=3, workers=2), prepared=prepared, out=tmp_path / "two")
    run_cpr(config(policy=policy, seed=3), prepared=prepared, out=tmp_path / "again")
    assert lines(tmp_path / "one") == lines(tmp_path / "two") == lines(tmp_path / "again")
    assert one.record["SR@15"] == two.record["SR@15"]
    other = run_cpr(config(policy=policy, seed=4), prepared=prepared, out=tmp_path / "other")
    assert [e.turns[0].user_text for e in other.episodes] != [e.turns[0].user_text for e in one.episodes]


def jobs_of(prepared: PreparedCpr) -> list[EpisodeTarget]:
    dataset = prepared.dataset
    return [
        EpisodeTarget(i, Target(item_id=dataset.catalog.at(item).id, user=user))
        for i, (user, item) in enumerate(dataset.split("test").pairs())
    ]


def test_worker_processes_give_the_same_episodes(prepared: PreparedCpr) -> None:
    policy = make_policy("max-entropy", prepared.estimator)
    world = StructuredWorld(prepared.kg, policy, CprProtocol(), "prune", seed=11)
    jobs = jobs_of(prepared)
    alone: list[Episode] = []
    shared: list[Episode] = []
    play_here(world, jobs, alone.append)
    play_in_processes(Prebuilt(world), jobs, shared.append, workers=2, chunk=5)

    def untimed(episodes: list[Episode]) -> list[object]:
        return [e.model_dump(exclude={"turns": {"__all__": {"latency_ms"}}}) for e in episodes]

    assert untimed(sorted(shared, key=lambda e: e.episode)) == untimed(alone)
    assert [e.episode for e in alone] == [job.index for job in jobs]


def test_bad_worker_counts_and_limits_are_refused(prepared: PreparedCpr) -> None:
    world = StructuredWorld(prepared.kg, make_policy("scpr", prepared.estimator), CprProtocol(), "prune", 0)
    with pytest.raises(CrsAgentError, match="workers and chunk must be at least 1"):
        play_in_processes(Prebuilt(world), [], print, workers=0)
    with pytest.raises(CrsAgentError, match="--limit must be at least 1"):
        seeded_subset(2, 0, seed=0)


def test_limit_takes_a_seeded_subset_in_split_order() -> None:
    chosen = seeded_subset(50, 10, seed=1)
    assert len(chosen) == 10 and chosen == sorted(chosen)
    assert chosen == seeded_subset(50, 10, seed=1)
    assert chosen != seeded_subset(50, 10, seed=2)
    assert set(chosen) <= set(seeded_subset(50, 20, seed=1))
    assert seeded_subset(50, None, seed=0) == list(range(50))


def test_a_run_folder_resumes_and_refuses_another_config(prepared: PreparedCpr, tmp_path: Path) -> None:
    small = run_cpr(config(policy="info-gain", limit=4), prepared=prepared, out=tmp_path / "run")
    assert small.record["episodes_played_now"] == 4
    whole = run_cpr(config(policy="info-gain", workers=2), prepared=prepared, out=tmp_path / "run")
    total = len(prepared.dataset.split("test"))
    assert whole.record["episodes_played_now"] == total - 4 and whole.record["n_episodes"] == total
    fresh = run_cpr(config(policy="info-gain"), prepared=prepared, out=tmp_path / "fresh")
    assert lines(tmp_path / "run") == lines(tmp_path / "fresh")
    assert whole.record["SR@15"] == fresh.record["SR@15"] and whole.record["AT"] == fresh.record["AT"]
    with pytest.raises(RunFolderError, match="fields that differ: policy"):
        run_cpr(config(policy="max-entropy"), prepared=prepared, out=tmp_path / "run")


def test_test_pairs_reach_no_fitted_model() -> None:
    """Swap the whole test split for other pairs: the prepared estimator is bit-for-bit the same."""
    dataset = tiny_dataset()
    rng = np.random.default_rng(9)
    other_pairs = [
        (int(u), int(i)) for u, i in zip(rng.integers(0, 12, 30), rng.integers(0, 48, 30), strict=True)
    ]
    splits = dict(dataset.splits)
    splits["test"] = Interactions.from_pairs(dataset.user_ids, other_pairs)
    swapped = replace(dataset, splits=splits)
    base = prepare(CprRunConfig(dataset="tiny", cache_estimator=False), dataset=dataset).estimator
    moved = prepare(CprRunConfig(dataset="tiny", cache_estimator=False), dataset=swapped).estimator
    assert base.weights.as_dict() == moved.weights.as_dict()
    for user in range(12):
        assert np.array_equal(base.prior.user_rows(user), moved.prior.user_rows(user))


def test_the_learned_policy_trains_on_valid_and_runs(prepared: PreparedCpr, tmp_path: Path) -> None:
    settings = {"episodes": 12, "epochs": 1, "batch": 4}
    run = run_cpr(
        config(policy="learned", policy_settings=settings), prepared=prepared, out=tmp_path / "learned"
    )
    assert run.record["policy"] == "learned"
    assert len(run.record["policy_settings"]["weights"]) == 11


def test_bad_learned_settings_are_a_clear_error(prepared: PreparedCpr) -> None:
    with pytest.raises(CrsAgentError, match="invalid settings for policy 'learned'"):
        run_cpr(config(policy="learned", policy_settings={"top_mass": 0.2}), prepared=prepared)


def test_soft_and_prune_are_both_supported(prepared: PreparedCpr) -> None:
    soft = run_cpr(config(negative_answers="soft"), prepared=prepared)
    assert soft.record["negative_answers"] == "soft"
    assert 0.0 <= soft.record["SR@15"] <= 1.0


def test_learned_training_does_not_depend_on_the_worker_count(prepared: PreparedCpr) -> None:
    from crsagent.evals.cpr.learn import train_learned_policy
    from crsagent.knowledge_graph.policies.learned import LearnedPolicyConfig

    settings = LearnedPolicyConfig(episodes=12, epochs=2, batch=6)
    valid = prepared.dataset.split("valid")
    trained = [
        train_learned_policy(
            prepared.estimator,
            valid,
            settings,
            protocol=CprProtocol(),
            negative_answers="prune",
            workers=workers,
        ).weights
        for workers in (1, 2)
    ]
    assert np.array_equal(trained[0], trained[1])
    assert np.isfinite(trained[0]).all()
