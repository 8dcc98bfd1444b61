"""The simulated-user contract: one protocol every simulator implements, and what an episode records.

A simulator knows one target item (and, for personas, the user's train history); it opens the
conversation and answers each agent ``Reply``. Hits are judged by catalog id, never by text.
"""

from __future__ import annotations

from typing import Literal, Protocol, runtime_checkable

from pydantic import BaseModel, Field

from crsagent.agent.reply import Reply
from crsagent.agent.turns import UserTurn

Signal = Literal["accept", "reject", "answer", "request"]
# no_candidates: a structured run (``crsagent.evals.structured``) whose candidates ran out.
EndReason = Literal["success", "user_done", "max_turns", "no_candidates", "error"]


class Target(BaseModel):
    """What one episode is about."""

    item_id: str = Field(description="Catalog id of the item the simulated user wants.")
    user: int | None = Field(default=None, description="Dataset user index (history / persona), if any.")
    persona: str = Field(default="", description="Free-text persona (e.g. masked ReDial opening messages).")


class SimulatorTurn(BaseModel):
    """One simulated-user message."""

    text: str = Field(description="What the user says.")
    turn: UserTurn | None = Field(
        default=None,
        description="The same message as structured data, for simulators that speak the protocol "
        "directly (the rule user); None when the agent must understand the text.",
    )
    accepted_item: str | None = Field(default=None, description="Catalog id the user accepted, if any.")
    done: bool = Field(default=False, description="The user ends the conversation.")
    leaked: bool = Field(default=False, description="A draft named the target and was regenerated or masked.")
    signal: Signal | None = Field(
        default=None,
        description="What the user did (an LLM user's own structured signal; the rule and template "
        "users' decision). Recorded only: success is judged by the target's id.",
    )
    claimed_item: str | None = Field(
        default=None,
        description="The shown item an LLM user said it accepts (by position), target or not. Recorded "
        "only (a false accept is measurable): ``accepted_item`` and success go by the target's id.",
    )
    llm_calls: int = Field(default=0, description="LLM calls the simulator made for this message.")
    prompt_tokens: int = 0
    completion_tokens: int = 0


@runtime_checkable
class UserSimulator(Protocol):
    """A simulated user for one target at a time (its name is its entry in ``registry.SIMULATORS``)."""

    def start(self, target: Target) -> SimulatorTurn:
        """Begin an episode about ``target``: the opening message."""
        ...

    def reply(self, agent_reply: Reply) -> SimulatorTurn:
        """Answer the agent's reply."""
        ...


class TurnRecord(BaseModel):
    """One exchange of an episode, as logged."""

    user_text: str
    agent_text: str
    decision: str
    asked: list[str] = Field(default_factory=list, description="Values the agent asked about (type:value).")
    shown_ids: list[str] = Field(default_factory=list, description="Items shown, in order.")
    ranked_ids: list[str] = Field(default_factory=list, description="The agent's logged top-50 list.")
    latency_ms: float = 0.0
    llm_calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    simulator_llm_calls: int = 0
    simulator_prompt_tokens: int = 0
    simulator_completion_tokens: int = 0
    dropped_titles: int = 0
    leaked: bool = False
    user_signal: Signal | None = Field(default=None, description="The simulator's signal for user_text.")
    candidates: int | None = Field(
        default=None, description="Candidates when the policy decided (structured runs only)."
    )


class Episode(BaseModel):
    """One finished (or failed) simulated conversation."""

    episode: int = Field(description="Index of the episode in its run (the resume key).")
    target: Target
    success: bool = False
    success_turn: int | None = Field(default=None, description="1-based turn of the hit, None on failure.")
    hit_rank: int | None = Field(default=None, description="1-based rank of the target in the shown list.")
    turns: list[TurnRecord] = Field(default_factory=list)
    error: str | None = Field(default=None, description="Why the episode failed to run (not a miss).")
    end: EndReason | None = Field(default=None, description="Why the episode ended.")
    closing: TurnRecord | None = Field(
        default=None,
        description="After a hit: the user's closing message (accepting the target) and the agent's answer "
        "to it, when the runner sends it. Not one of ``turns``: it is after the budget's last counted turn.",
    )
    accept_understood: bool | None = Field(
        default=None,
        description="Whether the agent understood the closing message as accepting the target (its "
        "``understood.accepted_items`` holds the target id); None when no closing message was sent.",
    )
