"""The stateless entry point: a whole conversation in (both roles, as an OpenAI chat request carries
it), the agent's reply to its last user message and its full ranking out.

Earlier messages are replayed into the agent's memory without running the policy: a user message
is understood against what the assistant message before it showed (items it named count as shown,
so "the second one" or "seen it" is feedback on them); an assistant message's named items become
the shown list. The last user message then runs the same graph as a session turn, so both entry
points share one implementation.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from crsagent.agent.memory import Memory, apply_turn
from crsagent.agent.reply import Question, Reply
from crsagent.errors import CrsAgentError
from crsagent.understanding.surfaces import Kind

if TYPE_CHECKING:
    from crsagent.agent.runtime import AgentRuntime

# One conversation may carry at most this many messages (a typed limit; a longer history is cut
# from the front, and the trace says so).
MAX_MESSAGES = 200


class ConversationInputError(CrsAgentError, ValueError):
    """A message list the agent cannot read (bad roles, no user message, wrong types)."""


class ChatMessage(BaseModel):
    """One message of a conversation."""

    model_config = ConfigDict(extra="ignore")

    role: Literal["system", "user", "assistant"] = Field(description="Who wrote it.")
    content: str = Field(description="The text.")


class RankedItem(BaseModel):
    """One item of the agent's ranking."""

    id: str = Field(description="Catalog id.")
    title: str = Field(description="Catalog title.")
    score: float = Field(description="Log-scale score; higher is better.")


class ConversationReply(BaseModel):
    """The reply to a conversation's last user message and the ranking behind it."""

    reply: Reply
    ranking: list[RankedItem] = Field(
        description="The agent's ranking at this point (top ``ranked_list_size``, best first), whatever it shows."
    )


def parse_messages(messages: Sequence[ChatMessage | Mapping[str, Any]]) -> list[ChatMessage]:
    """Validated messages; a clear error names the first bad one."""
    if isinstance(messages, str | bytes) or not isinstance(messages, Sequence):
        raise ConversationInputError(f"messages must be a list of messages, got {type(messages).__name__}")
    parsed: list[ChatMessage] = []
    for position, message in enumerate(messages):
        if isinstance(message, ChatMessage):
            parsed.append(message)
            continue
        try:
            parsed.append(ChatMessage.model_validate(message))
        except ValidationError as error:
            problem = error.errors()[0]
            where = ".".join(str(part) for part in problem["loc"])
            raise ConversationInputError(f"messages[{position}].{where}: {problem['msg']}") from None
    if not any(message.role == "user" for message in parsed):
        raise ConversationInputError("messages hold no user message to answer")
    return parsed


def split_last_user(messages: list[ChatMessage]) -> tuple[list[ChatMessage], str]:
    """The history before the last user message, and that message's text."""
    last = max(i for i, message in enumerate(messages) if message.role == "user")
    return messages[:last], messages[last].content


def replay_user(rt: AgentRuntime, memory: Memory, text: str) -> Memory:
    """The memory after a user message of the history (understood against what was shown)."""
    turn = rt.nlu.understand(text, memory.context())
    memory, _ = apply_turn(memory, turn, rt.kg)
    memory.question = None
    return memory


def replay_assistant(rt: AgentRuntime, memory: Memory, text: str) -> Memory:
    """The memory after an assistant message: the titles it names are what it showed; a question
    offering values of one attribute ("Which of these genres appeals to you: Drama, Comedy or
    Romance?", a human's "do you like horror?") is the question the next user message answers."""
    memory = memory.model_copy(deep=True)
    memory.shown = shown_items(rt, text, memory)
    memory.question = None if memory.shown else asked_question(rt, text)
    if memory.shown:
        memory.actions += 1
        memory.questions_in_a_row = 0
    elif memory.question is not None:
        memory.actions += 1
        memory.questions_in_a_row += 1
    return memory


def asked_question(rt: AgentRuntime, text: str) -> Question | None:
    """The attribute question an assistant message asks, when it ends in '?' and offers values of
    one attribute type that the catalog has."""
    if not text.rstrip().endswith("?"):
        return None
    offered: list[tuple[str, str]] = []
    for mention in rt.spotter.spot(text):
        if mention.kind is Kind.DECADE and "decade" in rt.dataset.catalog.vocabulary:
            offered.append(("decade", f"{mention.targets[0]}s"))
        elif mention.hard and not mention.is_title and mention.targets:
            kind, value = mention.targets[0].split(":", 1)
            offered.append((kind, value))
    types = {kind for kind, _ in offered}
    if len(types) != 1:
        return None
    values = list(dict.fromkeys(value for _, value in offered))
    return Question(attribute=types.pop(), values=values, text=text)


def replay(
    rt: AgentRuntime, history: list[ChatMessage], memory: Memory | None = None
) -> tuple[Memory, list[dict[str, str]]]:
    """The memory and transcript after ``history`` (no policy runs)."""
    memory = memory or Memory()
    transcript: list[dict[str, str]] = []
    pending_user: str | None = None
    for message in history:  # system messages say nothing about the user
        if message.role == "user":
            memory = replay_user(rt, memory, message.content)
            if pending_user is not None:
                transcript.append({"user": pending_user, "agent": ""})
            pending_user = message.content
        elif message.role == "assistant":
            memory = replay_assistant(rt, memory, message.content)
            transcript.append({"user": pending_user or "", "agent": message.content})
            pending_user = None
    if pending_user is not None:
        transcript.append({"user": pending_user, "agent": ""})
    return memory, transcript


def shown_items(rt: AgentRuntime, text: str, memory: Memory) -> list[str]:
    """Catalog ids of the titles an assistant message names, in order (each once)."""
    ids: list[str] = []
    for mention in rt.spotter.spot(text, expect=memory.shown):
        if mention.is_title and mention.targets and mention.targets[0] not in ids:
            ids.append(mention.targets[0])
    return ids
