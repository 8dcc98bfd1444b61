"""The conversational agent: a LangGraph planner over the tools and the KG policy, offline or with an LLM."""

from crsagent.agent.config import AgentConfig
from crsagent.agent.facade import Agent, AgentInputError
from crsagent.agent.reply import Question, Reply, ReplyItem, Trace
from crsagent.agent.turns import Intent, TurnContext, UserTurn, ValueRef

__all__ = [
    "Agent",
    "AgentConfig",
    "AgentInputError",
    "Intent",
    "Question",
    "Reply",
    "ReplyItem",
    "Trace",
    "TurnContext",
    "UserTurn",
    "ValueRef",
]
