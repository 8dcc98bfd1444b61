"""An agent turn with a faulty LLM: hanging, huge, tool-calling or deeply nested answers end in an
offline answer within the turn's budget, and nothing large reaches the session's state."""

from __future__ import annotations

import json
from dataclasses import replace

from crsagent.agent import Agent
from crsagent.agent.config import AgentConfig
from crsagent.config import Settings
from crsagent.llm.model_string import load_chat_model
from crsagent.llm.testing import ScriptedChatModel, ScriptedReply
from crsagent.llm.testing_server import OpenAITestServer, ServerReply

PLAN = '{"understanding": {"intent": "request", "accepted": [{"type": "genre", "value": "Comedy"}]}, "tool_calls": []}'


def _state_bytes(agent: Agent, sid: str) -> int:
    snapshot = agent.graph.get_state({"configurable": {"thread_id": sid}})
    return len(json.dumps(snapshot.values, default=str))


def test_a_hanging_llm_is_answered_offline_within_the_turn_budget(demo_agent: Agent) -> None:
    with OpenAITestServer([ServerReply(text=PLAN, delay_s=120)] * 10) as server:
        model = load_chat_model(f"vllm-server:{server.url}#{server.model}", Settings(llm_max_retries=3))
        config = AgentConfig(llm_turn_deadline_s=0.5)
        agent = Agent(replace(demo_agent.runtime, chat_model=model, config=config))
        reply = agent.chat("a comedy please", "hang")
    assert reply.trace.mode == "offline"
    assert any("LLM unavailable for understanding" in notice for notice in reply.trace.notices)
    # One attempt at the plan; the lead is not even tried once the budget is spent.
    assert len(server.requests) == 1


def test_a_huge_lead_is_cut_before_it_is_stored(demo_agent: Agent) -> None:
    model = ScriptedChatModel([PLAN, "x" * 10_000_000])
    agent = Agent(replace(demo_agent.runtime, chat_model=model))
    reply = agent.chat("a comedy please", "big")
    assert len(reply.text) < 20_000
    assert _state_bytes(agent, "big") < 200_000


def test_a_huge_answer_over_http_is_refused_and_the_turn_answered(demo_agent: Agent) -> None:
    replies = [ServerReply(text=PLAN), ServerReply(text="y" * 10_000_000)]
    with OpenAITestServer(replies) as server:
        model = load_chat_model(f"vllm-server:{server.url}#{server.model}", Settings())
        agent = Agent(replace(demo_agent.runtime, chat_model=model))
        reply = agent.chat("a comedy please", "http-big")
    assert any("larger than the cap" in notice for notice in reply.trace.notices)
    assert _state_bytes(agent, "http-big") < 200_000


def test_a_plan_given_as_native_tool_calls_falls_back_offline(demo_agent: Agent) -> None:
    call = ScriptedReply.calling("search_catalog", include=[{"type": "genre", "value": "Comedy"}])
    model = ScriptedChatModel([call, call])
    agent = Agent(replace(demo_agent.runtime, chat_model=model))
    reply = agent.chat("a comedy please", "tools")
    assert reply.trace.mode == "offline"
    assert any("called tool(s) search_catalog" in notice for notice in reply.trace.notices)


def test_deeply_nested_plan_json_falls_back_offline(demo_agent: Agent) -> None:
    deep = "[" * 100_000 + "]" * 100_000
    model = ScriptedChatModel([deep, deep])
    agent = Agent(replace(demo_agent.runtime, chat_model=model))
    reply = agent.chat("a comedy please", "deep")
    assert reply.trace.mode == "offline"
    assert any("nested too deeply" in notice for notice in reply.trace.notices)
