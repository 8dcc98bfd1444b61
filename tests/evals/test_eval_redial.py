"""ReDial targets and personas, and the shipped iEvaLM-style spec end to end against the local
OpenAI-compatible test server (tiny data written in code: runs everywhere, offline)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from crsagent.cli import main
from crsagent.config import Settings
from crsagent.data.loaders.redial import RedialDialogue, RedialMessage
from crsagent.data.registry import load_dataset
from crsagent.errors import CrsAgentError
from crsagent.evals.redial_targets import MOVIE_MASK, mask_movies, opening_messages, redial_targets
from crsagent.evals.spec import RedialTargets
from crsagent.evals.testing import EndpointScript
from crsagent.llm.testing_server import OpenAITestServer
from tests.evals.tiny_redial import write_tiny_redial_data

SHIPPED_SPEC = Path(__file__).parents[2] / "evals" / "redial-llm.toml"
TARGETS = RedialTargets.model_validate({"from": "redial"})


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_tiny_redial_data(tmp_path_factory.mktemp("tiny-redial"))


def message(sender: str, text: str) -> RedialMessage:
    return RedialMessage(sender_id=sender, text=text, text_resolved=text, time_offset=0, message_id="m")


def test_masking_hides_placeholders_and_the_targets_spellings() -> None:
    text = "I loved @123 and the queen of versailles &amp; more"
    assert (
        mask_movies(text, ["Queen of Versailles, The (2012)"])
        == f"I loved {MOVIE_MASK} and {MOVIE_MASK} & more"
    )


def test_the_opening_ends_where_the_recommender_first_names_a_movie() -> None:
    dialogue = RedialDialogue(
        conversation_id="c", seeker_id="s", recommender_id="r",
        messages=(message("s", "hi"), message("r", "what do you like?"), message("s", "horror"),
                  message("r", "try @5"), message("s", "seen it")),
        movie_mentions={}, seeker_feedback={}, recommender_feedback={},
    )  # fmt: skip
    assert opening_messages(dialogue, 5) == ["hi", "horror"]
    assert opening_messages(dialogue, 1) == ["hi"]


def test_targets_are_liked_suggestions_that_map_into_the_catalog(data_dir: Path, tmp_path: Path) -> None:
    settings = Settings(data_dir=data_dir, cache_dir=tmp_path)
    movielens = load_dataset("ml-latest-small", settings=settings)
    targets = redial_targets(movielens, TARGETS, settings)
    # Dialogue c1 liked suggestions 103 and 104 (MovieLens 3 and 4); c2's 105 maps, its 999 does not.
    assert [t.item_id for t in targets] == ["3", "4", "5"]
    assert targets[0].persona == (
        f"Hi there\nI want a silly comedy like {MOVIE_MASK} tonight\nAnything loud. Not {MOVIE_MASK} though, seen it"
    )
    assert "Superbad" in targets[1].persona  # not that target's title: only '@' mentions are masked
    assert all(t.user is None for t in targets)


def test_a_dataset_without_the_movielens_map_is_a_clear_error(data_dir: Path, tmp_path: Path) -> None:
    settings = Settings(data_dir=data_dir, cache_dir=tmp_path)
    movielens = load_dataset("ml-latest-small", settings=settings)
    with pytest.raises(CrsAgentError, match="not a ReDial dataset"):
        redial_targets(movielens, TARGETS.model_copy(update={"redial": "ml-latest-small"}), settings)


def run_shipped_spec(data_dir: Path, out: Path, server: OpenAITestServer, *extra: str) -> dict[str, Any]:
    endpoint = f"vllm-server:{server.url}#{server.model}"
    argv = [
        "eval", "run", str(SHIPPED_SPEC), "--out", str(out), "--data-dir", str(data_dir), "--quiet",
        "--set", f"simulator.llm={endpoint}", "--set", "list_size=2", "--episodes", "3", "--concurrency", "2",
        *extra,
    ]  # fmt: skip
    assert main(argv) == 0
    return json.loads((out / "metrics.json").read_text())


def test_the_shipped_redial_spec_runs_against_the_test_server(data_dir: Path, tmp_path: Path) -> None:
    script = EndpointScript()
    with OpenAITestServer(responder=script) as server:
        metrics = run_shipped_spec(data_dir, tmp_path / "run", server)
        prompts = [r["messages"][0]["content"] for r in server.requests]
    assert metrics["n_episodes"] == 3 and metrics["n_errors"] == 0
    assert metrics["simulator"] == "llm" and metrics["targets"] == "redial" and metrics["agent_llm"] is None
    assert {"SR@1", "SR@3", "SR@5", "Recall@1", "Recall@10", "Recall@50", "leak_rate"} <= set(metrics)
    assert metrics["simulator_llm_calls_per_turn"] >= 1 and metrics["simulator_prompt_tokens_per_turn"] > 0
    assert metrics["agent_llm_calls_per_turn"] == 0 and metrics["leak_rate"] == 0
    assert script.calls == {"user": len(server.requests)}
    # The simulated users saw their persona (masked) and never a target's title.
    assert any("silly comedy like [a movie]" in p for p in prompts)
    assert not any(title in p for p in prompts for title in ("Step Brothers", "Alien"))
    # Superbad (target 3) shows only in target 4's persona, where the seeker typed it.
    assert all("Not Superbad though" in p for p in prompts if "Superbad" in p)
    assert metrics["mean_turns"] > 1  # lists of 2 out of 8 movies: the dialogues go on
    episodes = [json.loads(line) for line in (tmp_path / "run" / "episodes.jsonl").read_text().splitlines()]
    assert sorted(e["target"]["item_id"] for e in episodes) == ["3", "4", "5"]
    assert all(len(t["ranked_ids"]) > 0 for e in episodes for t in e["turns"])


def test_the_agents_llm_can_use_the_same_endpoint(data_dir: Path, tmp_path: Path) -> None:
    script = EndpointScript(invented_title="Zzyzx Unmade Picture (2031)")
    with OpenAITestServer(responder=script) as server:
        endpoint = f"vllm-server:{server.url}#{server.model}"
        metrics = run_shipped_spec(data_dir, tmp_path / "run", server, "--set", f"agent.llm={endpoint}")
    assert metrics["n_episodes"] == 3 and metrics["n_errors"] == 0
    assert script.calls["plan"] > 0 and script.calls["lead"] > 0
    assert metrics["agent_llm_calls_per_turn"] >= 2 and metrics["prompt_tokens_per_turn"] > 0
    # Every plan suggested a title no catalog has: grounding dropped it, and the rate counts it.
    assert 0 < metrics["out_of_catalog_rate"] < 1


def test_the_stand_in_user_takes_an_item_whose_facts_are_all_wanted() -> None:
    from crsagent.evals.testing import fitting_position

    reply = "Here.\n\nRecommended:\n1. Heat (1995) [genre: Action, Crime]\n2. Up (2009) [genre: Comedy]"
    assert fitting_position(reply, {"Comedy", "Drama"}) == 2
    assert fitting_position(reply, {"Action", "Crime", "Al Pacino"}) == 1
    assert fitting_position(reply, {"Horror"}) is None
