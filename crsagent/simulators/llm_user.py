"""An LLM-played user (iEvaLM-style, leak-free): knows the target's attributes, never its title.

Each message is structured output (``SimulatedUserMessage``: text, signal, accepted position)
through ``ChatModel.chat(..., output=...)``. Before a draft goes out it is checked for the target's
title (``LeakDetector``): a leaking draft is regenerated once with a warning; if the second draft
still leaks, the title is masked. Either way ``SimulatorTurn.leaked`` is set, so the leak rate can be
reported; the title never reaches the agent. Drafts answering a list that holds the target are not
checked: the agent named it first.

Success is judged by id, never by the LLM's word: ``accepted_item`` is the target's id exactly
when the agent's reply lists it. The LLM's own signal and the item it claims to accept are
recorded (``signal``, ``claimed_item``), so false accepts can be counted, but they change nothing.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from crsagent.agent.reply import Reply
from crsagent.data.catalog import Catalog
from crsagent.data.dataset import Dataset
from crsagent.llm.messages import Message
from crsagent.llm.protocol import ChatModel, ChatOptions
from crsagent.llm.results import ChatResult
from crsagent.simulators.base import Signal, SimulatorTurn, Target
from crsagent.simulators.leak import LeakDetector
from crsagent.simulators.persona import PersonaBuilder
from crsagent.simulators.render import display_title
from crsagent.simulators.rule import catalog_domain

GREETING = "Hi! What are you looking for today?"
LEAK_WARNING = (
    "Your message names a specific title. You must never name the item you are looking for (you do "
    "not know its name). Rewrite the message without naming any title; keep the same intent."
)


class SimulatedUserMessage(BaseModel):
    """The simulated user's next message, as the LLM must answer it."""

    text: str = Field(min_length=1, description="What you say to the assistant.")
    signal: Signal = Field(
        description="request: you state what you want; answer: you answer its question; accept: you take "
        "a recommended item; reject: you turn the recommended items down."
    )
    accepted_position: int | None = Field(
        default=None, ge=1, description="1-based position in the shown list of the item you accept, or null."
    )


class LLMUserConfig(BaseModel):
    """What the LLM user knows and how it is asked."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    history_items: int = Field(
        default=5, ge=0, description="Titles from the user's train history in the persona."
    )
    values_per_type: int = Field(default=6, ge=1, description="Most attribute values shown per type.")
    attribute_types: list[str] | None = Field(
        default=None, description="Attribute types the user knows (None: all the target has)."
    )
    domain: Literal["auto", "movies", "music"] = Field(default="auto", description="movies or music wording.")
    temperature: float | None = Field(default=None, ge=0, le=2, description="Sampling temperature.")
    max_tokens: int | None = Field(default=200, gt=0, description="Most tokens per message.")
    mask: str = Field(default="that one", description="What replaces a title that still leaks.")


class LLMUser:
    """A simulated user played by ``chat_model``; one target at a time."""

    def __init__(
        self,
        chat_model: ChatModel,
        catalog: Catalog,
        dataset: Dataset | None = None,
        *,
        config: LLMUserConfig | None = None,
    ) -> None:
        self.chat_model = chat_model
        self.catalog = catalog
        self.config = config or LLMUserConfig()
        self._persona = PersonaBuilder(
            catalog,
            dataset,
            domain=catalog_domain(catalog.name) if self.config.domain == "auto" else self.config.domain,
            history_items=self.config.history_items,
            values_per_type=self.config.values_per_type,
            attribute_types=self.config.attribute_types,
        )
        self._options = ChatOptions(temperature=self.config.temperature, max_tokens=self.config.max_tokens)
        self._target: Target | None = None
        self._detector: LeakDetector | None = None
        self._messages: list[Message] = []

    def start(self, target: Target) -> SimulatorTurn:
        title = self.catalog.get(target.item_id).title  # a clear error for an unknown target
        self._target = target
        self._detector = LeakDetector(title, mask=self.config.mask)
        system = self._persona.system_prompt(target.item_id, target.user, target.persona, self._detector)
        self._messages = [Message.system(system), Message.user(GREETING)]
        return self._speak(check_leaks=True, shown=[])

    def reply(self, agent_reply: Reply) -> SimulatorTurn:
        if self._target is None:
            raise RuntimeError("LLMUser.reply() before start(): no target yet")
        self._messages.append(Message.user(describe_reply(agent_reply)))
        shown = [item.id for item in agent_reply.items]
        hit = self._target.item_id in shown
        turn = self._speak(check_leaks=not hit, shown=shown)
        if hit:
            return turn.model_copy(update={"accepted_item": self._target.item_id, "done": True})
        return turn

    @property
    def system_prompt(self) -> str:
        """The current episode's system prompt (for logs and tests)."""
        if not self._messages:
            raise RuntimeError("LLMUser: no episode started")
        return self._messages[0].content

    def _ask(self, messages: list[Message]) -> ChatResult[SimulatedUserMessage]:
        return self.chat_model.chat(messages, output=SimulatedUserMessage, options=self._options)

    def _speak(self, *, check_leaks: bool, shown: list[str]) -> SimulatorTurn:
        assert self._detector is not None
        results = [self._ask(self._messages)]
        draft = results[0].output
        leaked = check_leaks and self._detector.leaks(draft.text)
        if leaked:
            retry = [*self._messages, Message.assistant(draft.text), Message.user(LEAK_WARNING)]
            results.append(self._ask(retry))
            draft = results[-1].output
            if self._detector.leaks(draft.text):
                draft = draft.model_copy(update={"text": self._detector.mask(draft.text)})
        # Only the clean message joins the conversation: the warning exchange is not kept.
        self._messages.append(Message.assistant(draft.text))
        position = draft.accepted_position if draft.signal == "accept" else None
        claimed = shown[position - 1] if position is not None and position <= len(shown) else None
        return SimulatorTurn(
            text=draft.text,
            leaked=leaked,
            signal=draft.signal,
            claimed_item=claimed,
            llm_calls=sum(r.attempts for r in results),
            prompt_tokens=sum(r.usage.prompt_tokens for r in results),
            completion_tokens=sum(r.usage.completion_tokens for r in results),
        )


def describe_reply(reply: Reply) -> str:
    """The agent's reply as the simulated user reads it: its text, then the items with a few attributes."""
    lines = [reply.text.strip()]
    if reply.items:
        lines += ["", "Recommended:"]
        for position, item in enumerate(reply.items, start=1):
            body, year = display_title(item.title)
            name = f"{body} ({item.year or year})" if (item.year or year) else body
            facts = "; ".join(f"{t}: {', '.join(v[:3])}" for t, v in item.attributes.items() if v)
            lines.append(f"{position}. {name}" + (f" [{facts}]" if facts else ""))
    return "\n".join(lines)
