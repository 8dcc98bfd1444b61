"""`crsagent eval run --ray`: episodes sharded over a local Ray instance give the local run's episodes."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

from crsagent.config import Settings
from crsagent.evals.on_ray import RaySettings
from crsagent.evals.run import run_eval
from crsagent.evals.spec import load_spec
from crsagent.evals.store import EPISODES_FILE
from tests.evals.eval_helpers import write_spec
from tests.knowledge_graph.tiny_data import tiny_dataset, write_tiny_scpr

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        importlib.util.find_spec("ray") is None,
        reason="ray is not installed (the ray extra: pip install 'crsagent[ray]'; scripts/install.sh installs it)",
    ),
]


def untimed(folder: Path) -> list[dict[str, object]]:
    """The logged episodes in episode order, without wall-clock fields."""
    episodes = [json.loads(line) for line in (folder / EPISODES_FILE).read_text().splitlines()]
    for episode in episodes:
        for turn in [*episode["turns"], *([episode["closing"]] if episode.get("closing") else [])]:
            turn.pop("latency_ms")
    return sorted(episodes, key=lambda episode: episode["episode"])


def test_a_ray_run_equals_a_local_run_and_resumes(tmp_path: Path) -> None:
    bench = write_tiny_scpr(tmp_path / "bench", tiny_dataset())
    spec = load_spec(write_spec(tmp_path, dataset=str(bench), episodes=12))
    local = run_eval(spec, out=tmp_path / "local", settings=Settings())
    ray = RaySettings(num_cpus=2, chunk=3)
    # A first Ray run plays half the episodes; the second resumes the same folder with the rest.
    half = run_eval(
        spec.model_copy(update={"episodes": 6}), out=tmp_path / "ray", settings=Settings(), ray=ray
    )
    assert half.played == 6
    sharded = run_eval(spec, out=tmp_path / "ray", settings=Settings(), ray=ray)
    assert sharded.played == 6 and sharded.record["ray"] == "local"
    assert untimed(tmp_path / "ray") == untimed(tmp_path / "local")
    for key in ("SR@5", "SR@6", "AT", "hDCG", "Recall@10", "n_episodes", "mean_questions"):
        assert sharded.record[key] == local.record[key], key
