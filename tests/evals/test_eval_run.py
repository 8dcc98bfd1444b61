"""`crsagent eval run` end to end on a tiny benchmark written in code (offline, a few seconds each)."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from crsagent.cli import main
from crsagent.config import Settings
from crsagent.evals.run import run_eval
from crsagent.evals.spec import load_spec
from crsagent.evals.store import EPISODES_FILE, RunFolder
from crsagent.simulators.base import Episode
from tests.evals.eval_helpers import write_spec
from tests.knowledge_graph.tiny_data import tiny_dataset, write_tiny_scpr


@pytest.fixture(scope="module")
def bench(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 48-item SCPR-layout benchmark (24 test pairs)."""
    return write_tiny_scpr(tmp_path_factory.mktemp("bench") / "bench", tiny_dataset())


def logged_indices(folder: Path) -> list[int]:
    lines = (folder / EPISODES_FILE).read_text().splitlines()
    return [json.loads(line)["episode"] for line in lines if line.strip()]


def comparable(episodes: list[Episode]) -> list[dict[str, object]]:
    """Episodes without wall-clock fields."""
    dumped = [e.model_dump(exclude={"closing"}) for e in episodes]
    for episode in dumped:
        for turn in episode["turns"]:
            turn.pop("latency_ms")
    return dumped


def test_the_cli_writes_a_complete_run_folder(
    bench: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = write_spec(tmp_path, dataset=str(bench), episodes=4)
    out = tmp_path / "run"
    assert main(["eval", "run", str(spec), "--out", str(out), "--quiet"]) == 0
    printed = capsys.readouterr().out
    assert "SR@5" in printed and "Recall@50" in printed and f"run folder: {out}" in printed
    for name in (
        "spec.toml",
        "spec.json",
        "episodes.jsonl",
        "metrics.json",
        "report.md",
        "sr_by_turn.png",
        "turns_hist.png",
    ):
        assert (out / name).is_file(), name
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["n_episodes"] == 4 and metrics["n_errors"] == 0 and metrics["simulator"] == "rule"
    assert {"SR@5", "SR@6", "AT", "hDCG", "Recall@1", "Recall@10", "Recall@50", "leak_rate"} <= set(metrics)
    assert metrics["command"].startswith(f"crsagent eval run {spec} --out {out}")
    assert len(logged_indices(out)) == 4
    report = (out / "report.md").read_text()
    assert (
        "# Evaluation `tiny`" in report
        and "| SR@5 |" in report
        and "![success rate by turn](sr_by_turn.png)" in report
    )


def test_worker_processes_play_the_same_episodes_as_one_process(bench: Path, tmp_path: Path) -> None:
    spec = load_spec(write_spec(tmp_path, dataset=str(bench), episodes=6))
    alone = run_eval(spec, out=tmp_path / "one", settings=Settings())
    pooled = run_eval(spec.model_copy(update={"concurrency": 2}), out=tmp_path / "two", settings=Settings())
    assert comparable(pooled.episodes) == comparable(alone.episodes)
    assert sorted(logged_indices(tmp_path / "two")) == sorted(e.episode for e in alone.episodes)


def test_a_torn_log_resumes_without_replaying_finished_episodes(bench: Path, tmp_path: Path) -> None:
    spec = load_spec(write_spec(tmp_path, dataset=str(bench), episodes=5))
    first = run_eval(spec, out=tmp_path / "run", settings=Settings())
    log = tmp_path / "run" / EPISODES_FILE
    lines = log.read_text().splitlines(keepends=True)
    log.write_text("".join(lines[:2]) + lines[2][: len(lines[2]) // 2])  # killed while writing the third
    (tmp_path / "run" / "metrics.json").unlink()
    resumed = run_eval(spec, out=tmp_path / "run", settings=Settings())
    assert resumed.played == 3
    indices = logged_indices(tmp_path / "run")
    assert len(indices) == len(set(indices)) == 5
    assert resumed.record["SR@5"] == first.record["SR@5"] and resumed.record["AT"] == first.record["AT"]
    # Nothing left: a third run plays nothing and reports the same.
    again = run_eval(spec, out=tmp_path / "run", settings=Settings())
    assert again.played == 0 and again.record["hDCG"] == first.record["hDCG"]


def test_a_larger_subset_keeps_the_episodes_already_played(bench: Path, tmp_path: Path) -> None:
    spec = load_spec(write_spec(tmp_path, dataset=str(bench), episodes=3))
    small = run_eval(spec, out=tmp_path / "run", settings=Settings())
    grown = run_eval(spec.model_copy(update={"episodes": 6}), out=tmp_path / "run", settings=Settings())
    assert grown.played == 3 and {e.episode for e in small.episodes} < {e.episode for e in grown.episodes}
    assert grown.metrics.n_episodes == 6


def test_a_failing_episode_is_recorded_then_retried(
    bench: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import crsagent.evals.world as world

    real = world.make_simulator
    calls = {"n": 0}

    def flaky(*args: object, **kwargs: object) -> object:
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("simulated breakage")
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(world, "make_simulator", flaky)
    spec = load_spec(write_spec(tmp_path, dataset=str(bench), episodes=4))
    broken = run_eval(spec, out=tmp_path / "run", settings=Settings())
    assert broken.metrics.n_errors == 1 and broken.metrics.n_episodes == 3
    failed = [e for e in broken.episodes if e.error]
    assert failed[0].error == "RuntimeError: simulated breakage"
    assert "simulated breakage" in (tmp_path / "run" / "report.md").read_text()
    monkeypatch.setattr(world, "make_simulator", real)
    fixed = run_eval(spec, out=tmp_path / "run", settings=Settings())
    assert fixed.played == 1 and fixed.metrics.n_errors == 0 and fixed.metrics.n_episodes == 4


def test_a_killed_run_resumes_and_plays_each_episode_once(bench: Path, tmp_path: Path) -> None:
    spec = write_spec(tmp_path, dataset=str(bench), episodes=12, targets="catalog")
    out = tmp_path / "run"
    command = [sys.executable, "-m", "crsagent.cli", "eval", "run", str(spec), "--out", str(out), "--quiet"]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    log = out / EPISODES_FILE
    try:
        while process.poll() is None and (not log.is_file() or log.read_text().count("\n") < 2):
            time.sleep(0.01)
    finally:
        process.kill()
        process.wait()
    before = RunFolder(out).read_episodes()
    assert 2 <= len(before) < 12, "the run was not killed part-way"
    resumed = run_eval(load_spec(spec), out=out, settings=Settings())
    assert resumed.played == 12 - len(before)
    indices = logged_indices(out)
    assert len(indices) == len(set(indices)) == 12  # every episode once, none twice
    assert set(before) <= set(indices) and resumed.metrics.n_episodes == 12


def test_another_spec_in_the_same_folder_is_refused(
    bench: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = write_spec(tmp_path, dataset=str(bench), episodes=2)
    out = tmp_path / "run"
    assert main(["eval", "run", str(spec), "--out", str(out), "--quiet"]) == 0
    capsys.readouterr()
    assert main(["eval", "run", str(spec), "--out", str(out), "--quiet", "--set", "seed=9"]) == 2
    assert "fields that differ: seed" in capsys.readouterr().err


def test_bad_specs_fail_before_anything_runs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    spec = write_spec(tmp_path, dataset="demo", extra='\n[agent]\nllm = "gpt"\n')
    assert main(["eval", "run", str(spec), "--out", str(tmp_path / "run")]) == 2
    error = capsys.readouterr().err
    assert f"spec {spec} is not valid" in error and "field `agent.llm`" in error
    assert not (tmp_path / "run").exists()
    with pytest.raises(SystemExit):
        main(["eval", "run", str(spec), "--set", "no-equals-sign"])
    assert "expected NAME=VALUE" in capsys.readouterr().err


def test_compare_prints_and_writes_the_table(
    bench: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = write_spec(tmp_path, dataset=str(bench), episodes=3)
    for name, policy in (("a", "info-gain"), ("b", "max-entropy")):
        argv = [
            "eval",
            "run",
            str(spec),
            "--out",
            str(tmp_path / name),
            "--quiet",
            "--set",
            f"agent.config.policy={policy}",
        ]
        assert main(argv) == 0
    capsys.readouterr()
    assert main(["eval", "compare", str(tmp_path / "a"), str(tmp_path / "b")]) == 0
    printed = capsys.readouterr().out
    assert printed.startswith("| | a | b |") and "| policy | info-gain | max-entropy |" in printed
    assert (tmp_path / "compare.md").read_text() in printed
