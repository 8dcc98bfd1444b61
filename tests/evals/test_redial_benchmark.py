"""``crsagent eval redial`` end to end on a tiny ReDial written in code (runs offline, everywhere)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from crsagent.cli import main
from crsagent.data.loaders.redial import RedialDialogue, RedialMessage
from crsagent.evals.redial.ranking_metrics import rank_of, ranking_metrics
from crsagent.evals.redial.render import casual_name, render_message
from crsagent.evals.redial.samples import PointCounts, recommendation_points
from tests.evals.tiny_redial import write_tiny_redial_data


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_tiny_redial_data(tmp_path_factory.mktemp("tiny-redial"))


def _run(data_dir: Path, out: Path, *extra: str) -> dict[str, Any]:
    code = main(["eval", "redial", "--data-dir", str(data_dir), "--out", str(out), "--quiet", *extra])
    assert code == 0
    return json.loads((out / "metrics.json").read_text())


def test_casual_names_drop_year_and_case_and_sometimes_the_article() -> None:
    assert casual_name("Heat (1995)", "s") == "heat"
    spellings = {casual_name("The Matrix (1999)", str(seed)) for seed in range(20)}
    assert spellings == {"the matrix", "matrix"}
    assert casual_name("The Matrix (1999)", "same") == casual_name("The Matrix (1999)", "same")


def test_ranking_metrics_of_single_targets() -> None:
    assert rank_of("b", ["a", "b", "c"]) == 2 and rank_of("z", ["a"]) is None
    metrics = ranking_metrics([1, 2, None, 20])
    assert metrics["Recall@1"] == 0.25 and metrics["Recall@10"] == 0.5 and metrics["Recall@50"] == 0.75
    assert metrics["MRR@50"] == pytest.approx((1 + 0.5 + 0.05) / 4)
    assert metrics["NDCG@10"] == pytest.approx((1 + 1 / 1.5849625) / 4, rel=1e-5)


def test_points_use_earlier_messages_and_map_targets(data_dir: Path) -> None:
    from crsagent.config import Settings
    from crsagent.data.loaders.redial import RedialDataset
    from crsagent.data.registry import load_dataset

    redial = load_dataset("redial", settings=Settings(data_dir=data_dir))
    assert isinstance(redial, RedialDataset)
    counts = PointCounts()
    points = list(
        recommendation_points(
            redial.dialogues, redial.to_movielens, "canonical", {str(i) for i in range(1, 9)}, counts
        )
    )
    assert [p.targets for p in points] == [("3", "4"), ("5",)]
    assert counts.targets_total == 4 and counts.targets_unmapped == 1  # "Lost Film" maps nowhere
    first = points[0]
    assert [m.role for m in first.context] == ["user", "user", "assistant", "user"]
    assert first.context[1].content == "I want a silly comedy like Anchorman (2004) tonight"
    assert first.named_before == ("Anchorman (2004)",)
    assert first.new == (True, True)


def test_render_replaces_placeholders_casually() -> None:
    dialogue = RedialDialogue(
        conversation_id="c",
        seeker_id="1",
        recommender_id="2",
        messages=(),
        movie_mentions={"5": "The Matrix (1999)"},
        seeker_feedback={},
        recommender_feedback={},
    )
    message = RedialMessage(
        sender_id="1", text="loved @5 &amp; more", text_resolved="", time_offset=0, message_id="m"
    )
    assert render_message(dialogue, message, "canonical") == "loved The Matrix (1999) & more"
    assert render_message(dialogue, message, "casual") in {"loved the matrix & more", "loved matrix & more"}


def test_the_benchmark_runs_resumes_and_reports(data_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "run"
    metrics = _run(data_dir, out, "--understanding")
    assert metrics["points"] == 2 and metrics["samples"] == 3 and metrics["samples_new"] == 3
    assert metrics["mapped_share"] == 0.75
    for prefix in ("", "popularity.", "mentions_cf."):
        assert 0.0 <= metrics[f"{prefix}Recall@10"] <= metrics[f"{prefix}Recall@50"] <= 1.0
    # 8 movies, top 50: every target is somewhere in every system's ranking, except where excluded.
    assert metrics["popularity.Recall@50"] == 1.0
    assert metrics["movie_messages"] == 1 and metrics["movie_gold"] == 1
    assert "UniCRS" in (out / "report.md").read_text()
    lines = (out / "points.jsonl").read_text().splitlines()
    assert len(lines) == 2
    # A torn last line (a killed run) is re-run; a finished run resumes without redoing anything.
    (out / "points.jsonl").write_text(lines[0] + "\n" + lines[1][:10])
    again = _run(data_dir, out, "--understanding")
    assert again["points"] == 2 and len((out / "points.jsonl").read_text().splitlines()) == 2


def test_a_folder_of_another_run_is_refused(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "run"
    _run(data_dir, out)
    code = main(
        ["eval", "redial", "--data-dir", str(data_dir), "--out", str(out), "--quiet", "--mentions", "casual"]
    )
    assert code != 0 and "another configuration" in capsys.readouterr().err


def test_a_missing_test_split_says_what_to_do(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(
        ["eval", "redial", "--data-dir", str(data_dir), "--split", "test", "--out", str(tmp_path / "r")]
    )
    assert code != 0 and "only the valid split ships" in capsys.readouterr().err


def test_a_split_given_as_a_path_is_read(data_dir: Path, tmp_path: Path) -> None:
    path = tmp_path / "my_test.jsonl"
    path.write_text((data_dir / "redial" / "valid_data.jsonl").read_text())
    metrics = _run(data_dir, tmp_path / "run", "--split", str(path), "--mentions", "casual")
    assert metrics["split"] == str(path) and metrics["samples"] == 3
