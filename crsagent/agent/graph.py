"""The agent's LangGraph: understand -> decide -> tools -> reflect -> respond, one turn per run.

``build_graph`` wires the nodes (``nodes.py``); ``Agent`` compiles it with a checkpointer and passes
its own runtime in an ``AgentContext``. ``graph`` (module level) is what ``langgraph.json`` points
LangGraph's own tooling at (``langgraph dev``, Studio): it has no checkpointer of its own (the server
brings one); its input is one turn (``TurnInput``: the message, optionally a pre-understood turn and
a user index), its output the reply, and its context a ``GraphContext`` (dataset and LLM names),
resolved to a runtime built once per choice. Each run starts a fresh record of the turn's work in
``understand``, whoever the caller is.
"""

from __future__ import annotations

from typing import Any

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph

from crsagent.agent import nodes
from crsagent.agent.context import GraphContext
from crsagent.agent.state import AgentState, ReplayInput, TurnInput, TurnOutput


def build_graph(*, replay: bool = False) -> StateGraph[AgentState, GraphContext, Any, Any]:
    """The uncompiled graph. ``replay``: the stateless variant, whose input also carries a replayed
    conversation's memory and transcript and whose output is the whole state."""
    builder = StateGraph(
        AgentState,
        context_schema=GraphContext,
        input_schema=ReplayInput if replay else TurnInput,
        output_schema=AgentState if replay else TurnOutput,
    )
    for node in (nodes.understand, nodes.decide, nodes.tools, nodes.reflect, nodes.respond):
        builder.add_node(node)  # named after the function
    builder.add_edge(START, "understand")
    builder.add_edge("understand", "decide")
    builder.add_edge("tools", "reflect")
    builder.add_edge("respond", END)
    return builder


def compile_graph(
    checkpointer: BaseCheckpointSaver | None = None, *, replay: bool = False
) -> CompiledStateGraph[AgentState, GraphContext, Any, Any]:
    """The runnable graph; sessions persist through ``checkpointer`` (thread id = session id)."""
    return build_graph(replay=replay).compile(checkpointer=checkpointer, name="crsagent")


graph = compile_graph()
