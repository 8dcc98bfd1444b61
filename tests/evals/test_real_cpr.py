"""A small real run of the benchmark on crs-lastfm (the full runs are in docs/results/cpr-lastfm.md)."""

from __future__ import annotations

from pathlib import Path

import pytest

from crsagent.config import Settings
from crsagent.data.dataset import Dataset
from crsagent.evals.cpr.config import CprRunConfig
from crsagent.evals.cpr.evaluate import prepare, run_cpr


@pytest.mark.real_data
def test_crs_lastfm_limit_200(lastfm: Dataset, real_settings: Settings, tmp_path: Path) -> None:
    # info-gain: the default (learned) policy would first train for about a minute on valid.
    config = CprRunConfig(
        dataset="crs-lastfm", split="test", policy="info-gain", limit=200, seed=0, workers=1
    )
    prepared = prepare(config, dataset=lastfm, settings=real_settings)
    run = run_cpr(config, prepared=prepared, settings=real_settings, out=tmp_path / "run")
    record = run.record
    assert record["n_episodes"] == 200 and record["dataset"] == "crs-lastfm"
    assert all(len(e.turns) <= 14 for e in run.episodes)
    assert all(e.success_turn is None for e in run.episodes if not e.success)
    # Loose sanity bounds only; the measured numbers are in the results document.
    assert 0.5 < record["SR@15"] <= 1.0 and 1.0 <= record["AT"] <= 15.0
    again = run_cpr(config.model_copy(update={"workers": 2}), prepared=prepared, settings=real_settings)
    untimed = {"turns": {"__all__": {"latency_ms"}}}
    assert [e.model_dump(exclude=untimed) for e in again.episodes] == [
        e.model_dump(exclude=untimed) for e in run.episodes
    ]
