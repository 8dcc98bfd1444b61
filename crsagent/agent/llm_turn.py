"""The LLM's two calls per turn: the plan (understanding + tool calls) and the reply's lead.

Plan-first (InteRecAgent): one structured call returns the whole plan, the tools run over the
candidate bus without further LLM calls, and one call writes the reply. A re-plan happens only when
the plan left nothing (``replan``). Every title the LLM writes is grounded or dropped and counted;
the lead of the reply is checked for quoted names that are not on the shown list.
"""

from __future__ import annotations

import json
import re
from functools import cache
from importlib.resources import files
from typing import TYPE_CHECKING, Any

from crsagent.agent.llm_plan import MAX_PLANNED_CALLS, Plan, to_user_turn
from crsagent.agent.memory import Memory
from crsagent.agent.outcome import Outcome
from crsagent.agent.reply import Question, ReplyItem
from crsagent.agent.state import TurnWork
from crsagent.agent.templates import display_title
from crsagent.agent.turns import UserTurn
from crsagent.data.text import normalize_title, split_title_year
from crsagent.llm.errors import LLMError
from crsagent.llm.messages import Message
from crsagent.llm.results import ChatResult

if TYPE_CHECKING:
    from crsagent.agent.runtime import AgentRuntime

VOCABULARY_EXAMPLES = 12
# Names in quotes or emphasis: where a model puts a title.
_QUOTED = re.compile(r"[\"“«]([^\"”»\n]{2,80})[\"”»]|\*{1,2}([^*\n]{2,80})\*{1,2}|_([^_\n]{2,80})_")


@cache
def prompt(name: str) -> str:
    """A prompt template shipped with the package."""
    return (files("crsagent.agent") / "prompts" / f"{name}.md").read_text(encoding="utf-8")


def _count(work: TurnWork, result: ChatResult[Any]) -> None:
    work.llm_calls += result.attempts
    work.prompt_tokens += result.usage.prompt_tokens
    work.completion_tokens += result.usage.completion_tokens


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


def _messages(rt: AgentRuntime, memory: Memory, transcript: list[dict[str, str]], text: str) -> list[Message]:
    system = prompt("plan").format(
        noun=rt.noun,
        catalog=rt.dataset.name,
        types=", ".join(sorted(rt.dataset.catalog.vocabulary)),
        max_calls=MAX_PLANNED_CALLS,
        tools=_tools(rt),
        vocabulary=_vocabulary(rt),
        state=_state(rt, memory),
    )
    messages = [Message.system(system)]
    for exchange in transcript[-rt.config.transcript_turns :] if rt.config.transcript_turns else []:
        messages += [Message.user(exchange["user"]), Message.assistant(exchange["agent"])]
    messages.append(Message.user(text))
    return messages


def _apply_plan(rt: AgentRuntime, memory: Memory, plan: Plan, work: TurnWork) -> UserTurn:
    grounded = to_user_turn(plan.understanding, rt.grounder, rt.tools.vocabulary, memory.shown)
    work.plan = list(plan.tool_calls)
    work.suggested = grounded.suggested
    work.dropped_titles.extend(grounded.dropped_titles)
    work.notices.extend(grounded.notes)
    return grounded.turn


def plan_turn(
    rt: AgentRuntime, memory: Memory, transcript: list[dict[str, str]], text: str, work: TurnWork
) -> UserTurn:
    """One structured call: the user's turn, grounded, and the tool plan (into ``work``)."""
    assert rt.chat_model is not None
    result = rt.chat_model.chat(_messages(rt, memory, transcript, text), output=Plan)
    _count(work, result)
    return _apply_plan(rt, memory, result.output, work)


def replan(
    rt: AgentRuntime, memory: Memory, transcript: list[dict[str, str]], text: str, work: TurnWork
) -> None:
    """Reflection: the plan left no candidates; ask once for another plan with the tool log."""
    assert rt.chat_model is not None
    log = [f"{r.tool}({json.dumps(r.arguments)}): {r.size_before} -> {r.size_after}" for r in work.tool_calls]
    messages = _messages(rt, memory, transcript, text)
    messages.append(
        Message.user("That plan left no candidates:\n" + "\n".join(log) + "\nReturn a broader plan.")
    )
    result = rt.chat_model.chat(messages, output=Plan)
    _count(work, result)
    work.plan = list(result.output.tool_calls)


def invented_names(lead: str, allowed: list[str]) -> list[str]:
    """Quoted or emphasised names in ``lead`` that are none of ``allowed`` (titles, values)."""
    allowed_keys = {normalize_title(split_title_year(name)[0]) for name in allowed}
    allowed_keys |= {normalize_title(name) for name in allowed}
    found = []
    for match in _QUOTED.finditer(lead):
        span = next(group for group in match.groups() if group)
        if normalize_title(split_title_year(span)[0]) not in allowed_keys:
            found.append(span.strip())
    return found


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
    assert rt.chat_model is not None
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
        result = rt.chat_model.chat(messages)
    except LLMError as error:
        if not rt.config.llm_fallback:
            raise
        work.notices.append(f"LLM unavailable for the reply ({error}); used the template")
        return body
    _count(work, result)
    lead = result.text.strip()
    allowed = [i.title for i in items] + (question.values if question else [])
    invented = invented_names(lead, allowed)
    if invented:
        work.dropped_titles.extend(invented)
        work.notices.append(
            f"LLM lead named items not in the reply ({', '.join(invented)}); used the template"
        )
        return body
    return f"{lead}\n\n{body}" if lead else body
