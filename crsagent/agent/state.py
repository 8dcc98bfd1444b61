"""The LangGraph state of one session: memory (ids and values), the bus, logs, this turn's work.

Everything here is plain JSON data (pydantic models are dumped), so the SQLite checkpointer can
store it and a restarted process continues the conversation. The two logs grow through reducers;
every other key is replaced by the node that writes it.
"""

from __future__ import annotations

import time
from typing import Annotated, Any, TypedDict

from pydantic import BaseModel, Field

from crsagent.agent.reply import Mode
from crsagent.tools.bus import ToolCallRecord

# The tool log keeps the latest calls only: a long session must not grow its checkpoint forever.
MAX_TOOL_LOG = 200


def add_exchanges(old: list[dict[str, str]], new: list[dict[str, str]]) -> list[dict[str, str]]:
    """Reducer of the transcript: append."""
    return [*old, *new]


def add_tool_records(old: list[dict[str, Any]], new: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Reducer of the tool log: append, keep the newest ``MAX_TOOL_LOG``."""
    return [*old, *new][-MAX_TOOL_LOG:]


class PlannedCall(BaseModel):
    """One tool call of an LLM plan."""

    tool: str = Field(description="Tool name.")
    arguments: dict[str, Any] = Field(
        default_factory=dict, description="Arguments, as the tool's schema says."
    )


class TurnWork(BaseModel):
    """What the nodes of one turn hand each other (reset at every user message)."""

    session_id: str
    mode: Mode = "offline"
    started: float = Field(default_factory=time.perf_counter)
    llm_calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    notices: list[str] = Field(default_factory=list)
    dropped_titles: list[str] = Field(default_factory=list)
    tool_calls: list[ToolCallRecord] = Field(default_factory=list)
    relaxations: list[str] = Field(default_factory=list)
    plan: list[PlannedCall] = Field(default_factory=list)
    suggested: list[str] = Field(default_factory=list, description="Grounded ids an LLM suggested itself.")
    replanned: bool = False


class AgentState(TypedDict, total=False):
    """One session's graph state."""

    text: str
    given_turn: dict[str, Any] | None
    user: int | None
    memory: dict[str, Any]
    transcript: Annotated[list[dict[str, str]], add_exchanges]
    tool_log: Annotated[list[dict[str, Any]], add_tool_records]
    work: dict[str, Any]
    understood: dict[str, Any] | None
    bus: dict[str, Any]
    outcome: dict[str, Any] | None
    reply: dict[str, Any] | None
