"""LLM calls and tokens per agent turn in LLM mode, with a scripted planner (no model, no network).

    CRSAGENT_DATA_DIR=../shared/datasets .venv/bin/python benchmarks/agent_llm_calls.py \
        --dataset crs-lastfm --episodes 100

The scripted model answers every planning call with the plan an ideal planner would return (the
offline NLU's reading of the message, titles instead of ids) and every reply call with one short
sentence, so the conversation runs as in offline mode while every LLM call of the graph is made
and counted. Tokens are the scripted model's count (whitespace words of the prompt and the reply):
they measure how much text the agent sends, not a tokenizer's figure.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np

from crsagent.agent import Agent, AgentConfig
from crsagent.agent.llm_plan import LlmUnderstanding, Plan
from crsagent.agent.memory import Memory
from crsagent.agent.reply import Reply
from crsagent.agent.turns import UserTurn
from crsagent.config import Settings
from crsagent.llm.protocol import ChatRequest
from crsagent.llm.testing import ScriptedChatModel
from crsagent.simulators import TemplateUser, run_dialogue

sys.path.insert(0, str(Path(__file__).parent))
from agent_dialogues import PROTOCOL, targets


class IdealPlanner:
    """Plans from the offline NLU's reading of the user's message, in the LLM's schema."""

    def __init__(self, agent: Agent) -> None:
        self.agent = agent
        self.session = ""

    def titles(self, ids: list[str]) -> list[str]:
        return [self.agent.catalog.get(i).title for i in ids]

    def __call__(self, request: ChatRequest) -> str | Plan:
        system = request.messages[0].content
        if not system.startswith("You are the planner"):
            return "Happy to help with that."
        text = request.messages[-1].content
        values = self.agent.graph.get_state({"configurable": {"thread_id": self.session}}).values
        memory = Memory.model_validate(values.get("memory") or {})
        turn = self.agent.runtime.nlu.understand(text, memory.context())
        understanding = LlmUnderstanding(
            intent=turn.intent,
            answer=turn.answer,
            accepted=turn.accepted,
            rejected=turn.rejected,
            year_min=turn.year_min,
            year_max=turn.year_max,
            liked_titles=self.titles(turn.liked_items),
            accepted_titles=self.titles(turn.accepted_items),
            rejected_titles=self.titles(turn.rejected_items),
            asked_title=self.titles([turn.asked_item])[0] if turn.asked_item else None,
            asked_attribute=turn.asked_attribute,
            wishes=turn.wishes,
        )
        return Plan(understanding=understanding)


class SessionAwareAgent:
    """Tells the planner which session is talking (the benchmark's only back channel)."""

    def __init__(self, agent: Agent, planner: IdealPlanner) -> None:
        self.agent, self.planner = agent, planner

    def chat(
        self, text: str, *, session_id: str, turn: UserTurn | None = None, user: int | None = None
    ) -> Reply:
        self.planner.session = session_id
        return self.agent.chat(text, session_id=session_id, turn=turn, user=user)

    def reset(self, session_id: str) -> None:
        self.agent.reset(session_id)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--dataset", default="crs-lastfm")
    parser.add_argument("--episodes", type=int, default=100)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    settings = Settings()
    config: AgentConfig = PROTOCOL
    offline = Agent.from_dataset(args.dataset, llm="offline", settings=settings, config=config)
    model = ScriptedChatModel()
    agent = Agent(replace(offline.runtime, chat_model=model))  # same graph and models, plus the LLM
    planner = IdealPlanner(agent)
    model.add(*([planner] * 200_000))
    chosen = targets(args.dataset, args.episodes, args.seed, settings)
    simulator = TemplateUser(agent.kg, seed=args.seed)
    wrapped = SessionAwareAgent(agent, planner)
    played = [run_dialogue(wrapped, simulator, t, episode=i) for i, t in enumerate(chosen)]
    turns = [t for e in played for t in e.turns]
    calls = [t.llm_calls for t in turns]
    result = {
        "dataset": args.dataset,
        "episodes": len(played),
        "errors": sum(e.error is not None for e in played),
        "sr@15": float(np.mean([e.success for e in played])),
        "agent_turns": len(turns),
        "llm_calls_per_turn": statistics.mean(calls),
        "turns_with_more_than_2_calls": sum(c > 2 for c in calls),
        "prompt_tokens_per_turn": statistics.mean(t.prompt_tokens for t in turns),
        "completion_tokens_per_turn": statistics.mean(t.completion_tokens for t in turns),
        "turn_ms_p50": statistics.median(t.latency_ms for t in turns),
    }
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
