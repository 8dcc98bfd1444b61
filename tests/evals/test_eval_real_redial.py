"""The shipped ReDial spec on the real data (ReDial -> ml-latest-small), simulator on the local
OpenAI-compatible test server. Skipped without the datasets (a failure when CRSAGENT_REQUIRE_DATA=1)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from crsagent.config import Settings
from crsagent.evals.run import run_eval
from crsagent.evals.spec import load_spec
from crsagent.evals.testing import EndpointScript
from crsagent.llm.testing_server import OpenAITestServer
from tests.conftest import require_dataset_folder

SHIPPED_SPEC = Path(__file__).parents[2] / "evals" / "redial-llm.toml"


@pytest.mark.real_data
@pytest.mark.slow
def test_the_redial_spec_on_real_data(real_settings: Settings, tmp_path: Path) -> None:
    assert real_settings.data_dir is not None
    for name in ("redial", "ml-latest-small", "movie-metadata"):
        require_dataset_folder(real_settings.data_dir, name)
    with OpenAITestServer(responder=EndpointScript()) as server:
        endpoint = f"vllm-server:{server.url}#{server.model}"
        spec = load_spec(SHIPPED_SPEC, {"simulator.llm": endpoint, "episodes": 3, "concurrency": 3})
        run = run_eval(spec, out=tmp_path / "run", settings=real_settings)
        prompts = [r["messages"][0]["content"] for r in server.requests]
    assert run.metrics.n_episodes == 3 and run.metrics.n_errors == 0
    movielens = run.episodes[0].target.item_id
    assert all(e.target.persona for e in run.episodes) and movielens.isdigit()
    # The simulated user saw the persona and the attributes, never the target's title.
    assert all("About you, in your own earlier words:" in p for p in prompts)
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert metrics["simulator_llm_calls_per_turn"] >= 1 and metrics["leak_rate"] == 0.0
    # Recall@k reads the logged list: top 50 (fewer once the candidates are narrowed below 50).
    lengths = [len(t.ranked_ids) for e in run.episodes for t in e.turns]
    assert max(lengths) == 50 and min(lengths) > 0
