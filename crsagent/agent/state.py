"""The LangGraph state of one session: memory (ids and values), the bus, logs, this turn's work.

The keys hold the pydantic models themselves. LangGraph's serializer stores a model as its class
name and fields and rebuilds it on load (``state_serde`` lists the classes it may rebuild), so the
SQLite checkpointer keeps them and a restarted process continues the conversation. The two logs grow
through bounded reducers; every other key is replaced by the node that writes it.

``TurnInput`` is what a caller sends for one turn (the graph's input schema) and ``TurnOutput`` what
it gets back. No key of it outlives its turn, and ``start_turn`` checks it, so a LangGraph client
gets an error naming the bad key: LangGraph writes only the keys a caller's dict holds, so a plain
key that a later turn omits would keep the earlier turn's value. ``text`` is a ``TurnValue``
(forgotten when the run finishes); the keys only ``understand`` reads are ``EphemeralValue`` (gone
after one step). Neither checks what is written: a write that raised would stay among the thread's
pending writes and break every later read of its state, so ``understand`` checks the input instead.
"""

from __future__ import annotations

import time
from typing import Annotated, Any, NotRequired, Required, TypeVar

from langgraph._internal._typing import MISSING  # LastValue's "no value" marker
from langgraph.channels.ephemeral_value import EphemeralValue
from langgraph.channels.last_value import LastValue
from langgraph.checkpoint.serde.jsonplus import JsonPlusSerializer
from pydantic import BaseModel, ConfigDict, Field, NonNegativeInt, ValidationError
from typing_extensions import TypedDict  # pydantic writes the graph's JSON schemas: not typing's on 3.11

from crsagent.agent.memory import Memory
from crsagent.agent.reply import Decision, Mode, Reply
from crsagent.agent.turns import Intent, UserTurn
from crsagent.tools.bus import BusState, ToolCallRecord

# The tool log and the transcript keep their latest entries only: a long session must not grow its
# checkpoint forever (the LLM prompt reads only the last few exchanges).
MAX_LOG = 200
# Longer messages are cut here (and the trace says so): no one types more, and a pasted book must
# not reach an LLM prompt or the NLU whole.
MAX_INPUT_CHARS = 4000


class TurnValue(LastValue[Any]):
    """A last value that the run forgets when it finishes."""

    def finish(self) -> bool:
        if self.value is MISSING:
            return False
        self.value = MISSING
        return True


Entry = TypeVar("Entry")


def keep_newest(old: list[Entry], new: list[Entry]) -> list[Entry]:
    """Reducer of the transcript and the tool log: append, keep the newest ``MAX_LOG``."""
    return [*old, *new][-MAX_LOG:]


class PlannedCall(BaseModel):
    """One tool call of an LLM plan."""

    tool: str = Field(description="Tool name.")
    arguments: dict[str, Any] = Field(
        default_factory=dict, description="Arguments, as the tool's schema says."
    )


class Outcome(BaseModel):
    """What a turn decided (the policy nodes) and what ``respond`` needs to render it."""

    decision: Decision
    reason: str = ""
    items: list[str] = Field(default_factory=list, description="Ids to show, best first.")
    attribute: str | None = Field(default=None, description="Attribute type asked about.")
    offered: list[str] = Field(default_factory=list, description="Values offered (labels).")
    ranked: list[str] = Field(default_factory=list, description="The ranked list the trace logs.")
    scores: list[float] = Field(default_factory=list, description="Scores of ``ranked``, best first.")
    candidates: int = 0
    asked_item: str | None = None
    asked_attribute: str | None = None


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
    set_aside: list[str] = Field(
        default_factory=list, description="Earlier filters a film the user held up as an example breaks."
    )
    plan: list[PlannedCall] = Field(default_factory=list)
    suggested: list[str] = Field(default_factory=list, description="Grounded ids an LLM suggested itself.")
    replanned: bool = False


class TurnInput(TypedDict):
    """One turn's input: the user's message, optionally already understood, for a dataset user.

    ``given_turn`` and ``user`` live for the first step of a run only (ephemeral channels), ``text``
    until the run ends (``TurnValue``), so a turn that omits one never sees an earlier turn's value.
    """

    text: Required[Annotated[str, TurnValue]]
    """The user's message (cut to MAX_INPUT_CHARS)."""
    given_turn: NotRequired[Annotated[UserTurn | None, EphemeralValue]]
    """The message already understood (a UserTurn or its fields): skips understanding."""
    user: NotRequired[Annotated[int | None, EphemeralValue]]
    """The dataset user index (>= 0) to personalise for."""


class TurnInputError(ValueError):
    """A turn's input is missing its text or has a key of the wrong type or value."""


class _CheckedInput(BaseModel):
    """``TurnInput`` as ``start_turn`` checks it."""

    model_config = ConfigDict(extra="ignore")

    text: str
    given_turn: UserTurn | None = None
    user: NonNegativeInt | None = None


class TurnOutput(TypedDict):
    """What a turn returns: the reply (text, items, question, trace)."""

    reply: Reply | None


class ReplayInput(TurnInput, total=False):
    """A turn after a replayed conversation (the stateless entry point): its memory and transcript."""

    memory: Memory
    transcript: Annotated[list[dict[str, str]], keep_newest]


class AgentState(TypedDict, total=False):
    """One session's graph state."""

    text: Annotated[str, TurnValue]
    given_turn: Annotated[UserTurn | None, EphemeralValue]
    user: Annotated[int | None, EphemeralValue]
    memory: Memory
    transcript: Annotated[list[dict[str, str]], keep_newest]
    tool_log: Annotated[list[ToolCallRecord], keep_newest]
    work: TurnWork
    understood: UserTurn | None
    bus: BusState
    outcome: Outcome | None
    reply: Reply | None


# The classes the state's keys hold: the serializer rebuilds only listed classes without a warning
# (LangGraph's strict mode refuses others, and future versions will by default).
STATE_TYPES = (Memory, TurnWork, UserTurn, Intent, BusState, Outcome, Reply, ToolCallRecord)


def state_serde() -> JsonPlusSerializer:
    """The checkpointers' serializer: it rebuilds the state's models."""
    return JsonPlusSerializer(allowed_msgpack_modules=STATE_TYPES)


Model = TypeVar("Model", bound=BaseModel)


def stored(model: type[Model], value: Model | dict[str, Any] | None) -> Model | None:
    """A model read back from a checkpoint. Checkpoints written before the state held models (and
    serializers that rebuild no unlisted class, like a LangGraph server's) hold its fields as a dict:
    they are validated here, the one place state written by another process is read."""
    return None if value is None else model.model_validate(value)


def start_turn(state: AgentState, session_id: str) -> tuple[_CheckedInput, TurnWork]:
    """This run's input, checked, its text cut to ``MAX_INPUT_CHARS``, and a fresh record of the
    turn's work.

    Every turn starts here, whoever calls the graph (the facade, LangGraph's server, a direct
    ``invoke``): no earlier turn's notices, relaxations or tool calls carry over.
    """
    try:
        given = {"text": state.get("text"), "given_turn": state.get("given_turn"), "user": state.get("user")}
        checked = _CheckedInput.model_validate({k: v for k, v in given.items() if v is not None})
    except ValidationError as error:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors())
        raise TurnInputError(f"bad turn input ({problems}); send {{'text': 'the message', ...}}") from None
    work = TurnWork(session_id=session_id)
    # Lone surrogates (broken UTF-16 from a client) cannot be stored as JSON: replace them.
    text = checked.text.encode("utf-8", "replace").decode("utf-8")
    if len(text) > MAX_INPUT_CHARS:
        work.notices.append(f"message cut from {len(text)} to {MAX_INPUT_CHARS} characters")
        text = text[:MAX_INPUT_CHARS]
    return checked.model_copy(update={"text": text}), work
