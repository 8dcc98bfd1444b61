"""The LLM planner is offered the model tools when their models exist (the CF model the agent fits,
a vector index built beforehand) and runs them; an offline agent opens no index."""

from __future__ import annotations

from pathlib import Path

import pytest

from crsagent.agent import Agent, AgentConfig
from crsagent.agent.llm_plan import Intent, LlmUnderstanding, Plan, PlanStep
from crsagent.config import Settings
from crsagent.llm.testing import ScriptedChatModel
from crsagent.tools.embeddings import HashingEmbedder
from crsagent.tools.vector_index import VectorIndex
from tests.tools.toy import dataset


def _plan(*steps: PlanStep) -> Plan:
    return Plan(understanding=LlmUnderstanding(intent=Intent.REQUEST), tool_calls=list(steps))


def test_the_planner_sees_and_runs_semantic_search_and_rank_candidates(tmp_path: Path) -> None:
    data = dataset()
    # What `crsagent index build --embedder hashing` leaves in the cache.
    VectorIndex.open(data.catalog, HashingEmbedder(), cache_dir=tmp_path)
    model = ScriptedChatModel(
        [
            _plan(
                PlanStep.of("semantic_search", text="astronauts in space", keep=3),
                PlanStep.of("rank_candidates", liked_titles=["Space Station"]),
            ),
            "Off to space.",
        ]
    )
    agent = Agent.from_dataset(data, llm=model, settings=Settings(cache_dir=tmp_path))

    reply = agent.chat("astronauts please; I loved Space Station", session_id="s")

    offered = model.requests[0].messages[0].content
    assert "- semantic_search:" in offered and "- rank_candidates:" in offered
    calls = {call.tool: call for call in reply.trace.tool_calls}
    assert list(calls) == ["kg_filter", "semantic_search", "rank_candidates"]
    assert calls["semantic_search"].ok and calls["semantic_search"].size_after == 3
    # The liked item leaves; the film co-liked with it in train is ranked first.
    assert calls["rank_candidates"].ok and calls["rank_candidates"].size_after == 2
    assert reply.trace.ranked_ids[0] == "b"


def test_an_offline_agent_opens_no_index_but_keeps_the_cf_model(tmp_path: Path) -> None:
    data = dataset()
    VectorIndex.open(data.catalog, HashingEmbedder(), cache_dir=tmp_path)
    agent = Agent.from_dataset(data, llm="offline", settings=Settings(cache_dir=tmp_path))
    assert agent.runtime.tools.vectors is None
    assert agent.runtime.tools.recommender is agent.runtime.cf is not None


def test_without_a_built_index_semantic_search_is_not_offered(tmp_path: Path) -> None:
    model = ScriptedChatModel([_plan(), "Here you go."])
    agent = Agent.from_dataset(dataset(), llm=model, settings=Settings(cache_dir=tmp_path))
    agent.chat("something good", session_id="s")
    offered = model.requests[0].messages[0].content
    assert "- semantic_search:" not in offered and "- rank_candidates:" in offered
    assert not (tmp_path / "vectors").exists()  # looking for an index created nothing


def test_sasrec_is_selectable_as_the_agents_cf_model(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("torch")
    from crsagent.recommenders import registry
    from crsagent.recommenders.sasrec import SASRec

    # A small SASRec: the defaults train 100 epochs, which a four-item catalog does not need.
    full_size = registry.make_recommender
    monkeypatch.setattr(
        registry, "make_recommender", lambda name: full_size(name, {"max_epochs": 3, "hidden_size": 8})
    )

    model = ScriptedChatModel([_plan(PlanStep.of("rank_candidates", liked_titles=["Wedding Plans"])), "Ok."])
    agent = Agent.from_dataset(
        dataset(), llm=model, config=AgentConfig(cf_model="sasrec"), settings=Settings(cache_dir=tmp_path)
    )
    assert isinstance(agent.runtime.cf, SASRec)
    reply = agent.chat("funny ones, like Wedding Plans", session_id="s")
    ranked = next(call for call in reply.trace.tool_calls if call.tool == "rank_candidates")
    assert ranked.ok and ranked.size_after == 3  # the liked item left, the rest ranked by SASRec
