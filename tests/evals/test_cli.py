from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest

from crsagent.commands import eval as evaluation
from crsagent.errors import CrsAgentError, DatasetNotFoundError
from tests.knowledge_graph.tiny_data import tiny_dataset, write_tiny_scpr


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="crsagent")
    commands = top.add_subparsers(dest="command", required=True)
    evaluation.register(commands)
    return top


def run(*argv: str) -> int:
    args = parser().parse_args(list(argv))
    return args.handler(args)


def refused(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    with pytest.raises(SystemExit) as stopped:
        parser().parse_args(["eval", "cpr", *argv])
    assert stopped.value.code == 2
    return capsys.readouterr().err


def test_a_tiny_benchmark_runs_end_to_end(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = write_tiny_scpr(tmp_path / "bench", tiny_dataset())
    out = tmp_path / "run"
    code = run(
        "eval", "cpr", "--dataset", str(folder), "--policy", "max-entropy", "--negative-answers", "soft",
        "--workers", "1", "--seed", "5", "--out", str(out), "--quiet", "--cache-dir", str(tmp_path / "cache"),
    )  # fmt: skip
    assert code == 0
    printed = capsys.readouterr().out
    assert "SR@15" in printed and "hDCG" in printed and f"run folder: {out}" in printed
    assert any(line.split() == ["n_episodes", "24"] for line in printed.splitlines())
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["negative_answers"] == "soft" and metrics["seed"] == 5 and metrics["n_episodes"] == 24
    assert len((out / "episodes.jsonl").read_text().splitlines()) == 24
    assert (out / "sr_by_turn.png").is_file() and (out / "report.md").is_file()


def test_policy_settings_and_limit_reach_the_run(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = write_tiny_scpr(tmp_path / "bench", tiny_dataset())
    out = tmp_path / "run"
    code = run(
        "eval", "cpr", "--dataset", str(folder), "--policy", "info-gain", "--limit", "7",
        "--set", "top_mass=0.5", "--set", "question=top-mass",
        "--workers", "1", "--out", str(out), "--quiet", "--no-cache", "--cache-dir", str(tmp_path / "cache"),
    )  # fmt: skip
    assert code == 0
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["policy"] == "info-gain" and metrics["n_episodes"] == 7 and metrics["limit"] == 7
    assert (
        metrics["policy_settings"]["top_mass"] == 0.5 and metrics["policy_settings"]["question"] == "top-mass"
    )
    capsys.readouterr()


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ["--dataset", "x", "--policy", "greedy"],
            "unknown policy 'greedy'; known policies: max-entropy, scpr, info-gain, learned",
        ),
        (["--dataset", "x", "--split", "train"], "the train split fitted the estimator"),
        (["--dataset", "x", "--split", "dev"], "unknown split 'dev': use valid or test"),
        (["--dataset", "x", "--negative-answers", "ignore"], "invalid choice: 'ignore'"),
        (["--dataset", "x", "--limit", "0"], "--limit: must be at least 1, got 0"),
        (["--dataset", "x", "--workers", "two"], "--workers: expected a whole number, got 'two'"),
        (["--dataset", "x", "--set", "top_mass"], "expected NAME=VALUE"),
        (["--policy", "scpr"], "the following arguments are required: --dataset"),
    ],
)
def test_bad_arguments_are_refused_clearly(
    capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    assert message in refused(capsys, *argv)


def test_bad_policy_settings_name_the_setting(tmp_path: Path) -> None:
    folder = write_tiny_scpr(tmp_path / "bench", tiny_dataset())
    with pytest.raises(
        CrsAgentError, match=r"(?s)invalid settings for policy 'scpr'.*top_mass.*less than or equal to 1"
    ):
        run("eval", "cpr", "--dataset", str(folder), "--policy", "scpr", "--set", "top_mass=7", "--workers", "1", "--quiet",
            "--out", str(tmp_path / "run"), "--cache-dir", str(tmp_path / "cache"))  # fmt: skip


def test_the_parser_knows_the_registered_policies() -> None:
    from crsagent.registry import DEFAULT_EVAL_POLICY, POLICIES

    assert parser().parse_args(["eval", "cpr", "--dataset", "x"]).policy == DEFAULT_EVAL_POLICY
    for name in POLICIES.names():
        assert parser().parse_args(["eval", "cpr", "--dataset", "x", "--policy", name]).policy == name


def test_an_unknown_dataset_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(DatasetNotFoundError, match="unknown dataset 'no-such-benchmark'"):
        run("eval", "cpr", "--dataset", "no-such-benchmark", "--quiet", "--out", str(tmp_path / "run"),
            "--cache-dir", str(tmp_path / "cache"))  # fmt: skip
