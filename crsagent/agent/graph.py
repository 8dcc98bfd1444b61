"""The agent's LangGraph: understand -> decide -> tools -> reflect -> respond, one turn per run.

``build_graph`` wires the nodes (``nodes.py``); ``Agent`` compiles it with a checkpointer and passes
the run context. ``graph`` (module level) is what ``langgraph.json`` points LangGraph's own tooling
at: it has no checkpointer of its own (the server brings one) and builds the default runtime (the
configured dataset and LLM, see ``Settings``) on first use when no context is passed.
"""

from __future__ import annotations

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph

from crsagent.agent import nodes
from crsagent.agent.runtime import AgentRuntime
from crsagent.agent.state import AgentState


def build_graph() -> StateGraph[AgentState, AgentRuntime]:
    """The uncompiled graph."""
    builder = StateGraph(AgentState, context_schema=AgentRuntime)
    builder.add_node("understand", nodes.understand)
    builder.add_node("decide", nodes.decide)
    builder.add_node("tools", nodes.tools)
    builder.add_node("reflect", nodes.reflect)
    builder.add_node("respond", nodes.respond)
    builder.add_edge(START, "understand")
    builder.add_edge("understand", "decide")
    builder.add_edge("tools", "reflect")
    builder.add_edge("respond", END)
    return builder


def compile_graph(
    checkpointer: BaseCheckpointSaver | None = None,
) -> CompiledStateGraph[AgentState, AgentRuntime, AgentState, AgentState]:
    """The runnable graph; sessions persist through ``checkpointer`` (thread id = session id)."""
    return build_graph().compile(checkpointer=checkpointer, name="crsagent")


graph = compile_graph()
