"""The LLM's two calls per turn: the plan (understanding + tool calls) and the reply's lead.

Plan-first (InteRecAgent): one structured call returns the whole plan, the tools run over the
candidate bus without further LLM calls, and one call writes the reply. A re-plan happens only when
the plan left nothing (``replan``). Every title the LLM writes is grounded or dropped and counted;
the lead of the reply is checked for any name, however written, that is not an item the turn shows,
and for titles the plan named that grounding could not place (``reply_grounding``).

Every model call this turn counts in ``work.llm_calls``, failed ones included (a re-ask of a bad
structured answer, retries of a server that did not answer), so the per-turn figure is what the
backend was actually asked.
"""

from __future__ import annotations

import json
import re
import time
from functools import cache
from importlib.resources import files
from typing import TYPE_CHECKING, Any

from crsagent.agent.llm_plan import MAX_PLANNED_CALLS, Plan, json_safe, planned_calls, to_user_turn
from crsagent.agent.memory import Memory
from crsagent.agent.reply import Question, ReplyItem
from crsagent.agent.reply_grounding import ungrounded_names
from crsagent.agent.state import Outcome, TurnWork
from crsagent.agent.templates import display_title
from crsagent.agent.turns import UserTurn
from crsagent.llm.errors import LLMError, LLMTimeoutError, LLMUnavailableError, StructuredOutputError
from crsagent.llm.messages import Message
from crsagent.llm.protocol import ChatOptions
from crsagent.llm.results import ChatResult

if TYPE_CHECKING:
    from crsagent.agent.runtime import AgentRuntime

VOCABULARY_EXAMPLES = 12
# Bounds on what one call may generate: a plan is a small JSON object, a lead one or two sentences.
# A model that runs on (a small one looping inside a JSON string) is cut off, and the turn falls back.
PLAN_OPTIONS = ChatOptions(max_tokens=1024)
LEAD_OPTIONS = ChatOptions(max_tokens=160)
# The tool-log name of the graph filter the tools node runs before a plan (the user's constraints).
FILTER_TOOL = "kg_filter"
# Control characters other than tab and newline: noise from a model, never meant for a reader.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


@cache
def prompt(name: str) -> str:
    """A prompt template shipped with the package."""
    return (files("crsagent.agent") / "prompts" / f"{name}.md").read_text(encoding="utf-8")


def _failed_calls(error: LLMError) -> int:
    """Model calls behind a failure: both answers of a failed re-ask, every attempt of a retried request."""
    if isinstance(error, StructuredOutputError):
        return max(len(error.raw_texts), 1)
    if isinstance(error, LLMUnavailableError):
        return max(error.attempts, 1)
    return 1


def _within_turn(rt: AgentRuntime, work: TurnWork, options: ChatOptions) -> ChatOptions:
    """``options`` with what is left of the turn's LLM budget; an ``LLMTimeoutError`` when nothing is.

    One budget for the turn: the plan, a re-plan and the lead share it, so a hanging or dripping
    server delays the (offline) answer by at most ``llm_turn_deadline_s``.
    """
    left = rt.config.llm_turn_deadline_s - (time.perf_counter() - work.started)
    if left <= 0:
        raise LLMTimeoutError(
            f"the turn's LLM budget of {rt.config.llm_turn_deadline_s:g} s is spent", attempts=0
        )
    return options.model_copy(update={"timeout_s": left})


def _chat(
    rt: AgentRuntime,
    messages: list[Message],
    work: TurnWork,
    options: ChatOptions,
    output: type[Any] | None = None,
) -> ChatResult[Any]:
    """One model call within the turn's budget, counted in ``work`` whether it succeeds or fails."""
    assert rt.chat_model is not None
    try:
        result = rt.chat_model.chat(messages, output=output, options=_within_turn(rt, work, options))
    except LLMError as error:
        work.llm_calls += _failed_calls(error)
        raise
    work.llm_calls += result.attempts
    work.prompt_tokens += result.usage.prompt_tokens
    work.completion_tokens += result.usage.completion_tokens
    return result


def _vocabulary(rt: AgentRuntime) -> str:
    catalog = rt.dataset.catalog
    lines = []
    for attribute_type, counts in sorted(catalog.value_counts.items()):
        common = sorted(counts, key=lambda value: -counts[value])[:VOCABULARY_EXAMPLES]
        lines.append(f"- {attribute_type}: {', '.join(common)}")
    return "\n".join(lines)


def _state(rt: AgentRuntime, memory: Memory) -> str:
    catalog = rt.dataset.catalog
    facts = {
        "accepted": memory.accepted,
        "rejected": memory.rejected,
        "years": [memory.year_min, memory.year_max],
        "liked": [catalog.get(i).title for i in memory.liked_items],
        "last_question": memory.question.text if memory.question else None,
        "shown": [f"{n}. {display_title(catalog.get(i))}" for n, i in enumerate(memory.shown, start=1)],
    }
    return json.dumps(facts, ensure_ascii=False, indent=1)


def _tools(rt: AgentRuntime) -> str:
    toolbox = rt.toolbox(rt.tools.bus.state())
    lines = []
    for schema in toolbox.openai_schemas():
        function = schema["function"]
        parameters = json.dumps(function["parameters"].get("properties", {}), ensure_ascii=False)
        lines.append(f"- {function['name']}: {function['description']} Arguments: {parameters}")
    return "\n".join(lines)


def _catalog_facts(rt: AgentRuntime) -> dict[str, str]:
    """The parts of the plan prompt that depend on the runtime only: built once per agent."""
    if not rt.prompt_parts:
        rt.prompt_parts.update(
            noun=rt.noun,
            catalog=rt.dataset.name,
            types=", ".join(sorted(rt.dataset.catalog.vocabulary)),
            max_calls=str(MAX_PLANNED_CALLS),
            tools=_tools(rt),
            vocabulary=_vocabulary(rt),
        )
    return rt.prompt_parts


# The spotter's hints: at most this many, from at most this much of the message.
MAX_HINTS = 12
MAX_HINT_CHARS = 2000


def _messages(rt: AgentRuntime, memory: Memory, transcript: list[dict[str, str]], text: str) -> list[Message]:
    system = prompt("plan").format(**_catalog_facts(rt), state=_state(rt, memory))
    messages = [Message.system(system)]
    for exchange in transcript[-rt.config.transcript_turns :] if rt.config.transcript_turns else []:
        messages += [Message.user(exchange["user"]), Message.assistant(exchange["agent"])]
    hints = spotter_hints(rt, text, memory.shown)
    if hints:
        messages.append(Message.system(hints))
    messages.append(Message.user(text))
    return messages


def spotter_hints(rt: AgentRuntime, text: str, shown: list[str]) -> str:
    """What the catalog spotter found in the next message, as hints for the planner (catalog
    spellings, so the plan names titles and values the grounder will place)."""
    found: list[str] = []
    for mention in rt.spotter.spot(text[:MAX_HINT_CHARS], expect=shown)[:MAX_HINTS]:
        if mention.is_title:
            found.append(
                f"title {rt.dataset.catalog.get(mention.targets[0]).title!r} (written {mention.surface!r})"
            )
        elif mention.targets and ":" in mention.targets[0]:
            strength = "filter" if mention.hard else "lean"
            found.append(f"{mention.targets[0]} ({strength}; written {mention.surface!r})")
    if not found:
        return ""
    return (
        "Catalog matches in the next user message (hints from exact matching, not instructions): "
        + "; ".join(found)
    )


def plan_turn(
    rt: AgentRuntime, memory: Memory, transcript: list[dict[str, str]], text: str, work: TurnWork
) -> UserTurn:
    """One structured call: the user's turn, grounded, and the tool plan (into ``work``)."""
    plan: Plan = _chat(rt, _messages(rt, memory, transcript, text), work, PLAN_OPTIONS, Plan).output
    turn = to_user_turn(plan.understanding, rt.grounder, rt.tools.vocabulary, memory.shown, work)
    work.plan = planned_calls(plan.tool_calls, work.notices)
    return turn


def replan(
    rt: AgentRuntime, memory: Memory, transcript: list[dict[str, str]], text: str, work: TurnWork
) -> None:
    """Reflection: the plan left no candidates; ask once for another plan with the tool log.

    Only the new plan's tool calls are used: what the user said was understood by the first plan.
    When the user's own constraints already match nothing (the graph filter left no candidates),
    no plan can help: the plan is dropped without a call and relaxing the constraints follows.
    """
    filters = [record for record in work.tool_calls if record.tool == FILTER_TOOL]
    if filters and filters[-1].size_after == 0:
        work.notices.append("no re-plan: nothing matches the constraints themselves, whatever the tools do")
        work.plan = []
        return
    log = [
        f"{r.tool}({json.dumps(r.arguments, ensure_ascii=False)}): {r.size_before} -> {r.size_after}"
        + (f" (error: {r.error})" if r.error else "")
        for r in work.tool_calls
    ]
    messages = _messages(rt, memory, transcript, text)
    messages.append(
        Message.user("That plan left no candidates:\n" + "\n".join(log) + "\nReturn a broader plan.")
    )
    plan: Plan = _chat(rt, messages, work, PLAN_OPTIONS, Plan).output
    work.plan = planned_calls(plan.tool_calls, work.notices)


def compose(
    rt: AgentRuntime,
    outcome: Outcome,
    items: list[ReplyItem],
    question: Question | None,
    body: str,
    user_text: str,
    work: TurnWork,
) -> str:
    """An LLM lead before the templated body; the body alone when the LLM fails or invents names."""
    facts = {
        "user_said": user_text[:2000],
        "decision": outcome.decision,
        "question": question.text if question else None,
        "recommendations": [{"title": i.title, "reasons": i.reasons} for i in items],
        "answer": body if outcome.decision == "answer_item" else None,
        "relaxed": work.relaxations,
    }
    messages = [
        Message.system(prompt("reply").format(noun=rt.noun)),
        Message.user(json.dumps(facts, ensure_ascii=False)),
    ]
    try:
        result = _chat(rt, messages, work, LEAD_OPTIONS)
    except LLMError as error:
        if not rt.config.llm_fallback:
            raise
        work.notices.append(f"LLM unavailable for the reply ({error}); used the template")
        return body
    # The reply is written as JSON (no lone surrogates) and read by people (no control characters).
    # Bounded before anything else: the lead is kept in the session's state and transcript.
    lead = _CONTROL.sub("", json_safe(result.text[: rt.config.max_lead_chars * 2])).strip()
    lead = lead[: rt.config.max_lead_chars]
    invented = ungrounded_names(lead, rt.spotter, items, question, body, work.dropped_titles)
    if invented:
        counted = {title.casefold() for title in work.dropped_titles}
        work.dropped_titles.extend(title for title in invented if title.casefold() not in counted)
        work.notices.append(
            f"LLM lead named items not in the reply ({', '.join(invented)}); used the template"
        )
        return body
    return f"{lead}\n\n{body}" if lead else body
