"""The graph's nodes: understand -> decide -> tools -> reflect -> respond.

* understand: text -> ``UserTurn`` (given, LLM plan, or offline NLU) and the memory update.
* decide: turns that need no search (restart, a question about an item, thanks) go straight to
  respond; the rest go to tools.
* tools: the hard constraints as a graph filter, then an LLM plan's tool calls over the bus.
* reflect: nothing left -> re-plan once (LLM) or drop the newest constraint (at most
  ``max_relaxations``); otherwise the KG policy chooses ask or recommend over what is left.
* respond: the reply (templates, or an LLM lead over them) with grounded items and a trace.
"""

from __future__ import annotations

import time
from typing import Any, Literal

import numpy as np
from langgraph.config import get_config, get_stream_writer
from langgraph.runtime import Runtime
from langgraph.types import Command

from crsagent.agent import llm_turn
from crsagent.agent.context import GraphContext, runtime_for
from crsagent.agent.decision import constraints_of
from crsagent.agent.memory import Memory, apply_turn
from crsagent.agent.ranking import decide_over, memory_candidates
from crsagent.agent.relax import relax_once, set_aside_for_examples, tool_shift
from crsagent.agent.reply import Question, Reply, ReplyItem, Trace, stream_pieces
from crsagent.agent.runtime import AgentRuntime
from crsagent.agent.state import AgentState, Outcome, TurnWork, start_turn, stored
from crsagent.agent.templates import (
    card,
    display_title,
    greeting,
    item_answer,
    join_words,
    list_text,
    question_for,
    reasons_for,
)
from crsagent.agent.turns import Intent, UserTurn
from crsagent.knowledge_graph.state import Ask
from crsagent.llm.errors import LLMError
from crsagent.tools.bus import BusState, ToolCallRecord
from crsagent.understanding import lexicon
from crsagent.understanding.message import fold_tokens


def _required(state: AgentState, key: str) -> Any:
    """A key an earlier node of this turn wrote (a missing one is a bug in the graph, not bad input)."""
    value = state.get(key)
    if value is None:
        raise RuntimeError(f"agent state has no {key!r}: the graph ran a node out of order")
    return value


def _work(state: AgentState) -> TurnWork:
    return _required(state, "work")


def _memory(state: AgentState) -> Memory:
    return _required(state, "memory")


def understand(state: AgentState, runtime: Runtime[GraphContext]) -> dict[str, Any]:
    # Every caller's turn starts a fresh work record, named after its thread (the session); the input
    # is checked before a runtime is built for the context.
    thread = str(get_config().get("configurable", {}).get("thread_id", "default"))
    checked, work = start_turn(state, thread)
    rt = runtime_for(runtime.context)
    # The one read of a key an earlier turn (or a replaying caller) wrote: ``stored`` takes old dicts.
    memory = stored(Memory, state.get("memory")) or Memory()
    if checked.user is not None:
        memory = memory.model_copy(update={"user": checked.user})
    text, turn = checked.text, checked.given_turn
    if turn is None and rt.chat_model is not None:
        try:
            turn = llm_turn.plan_turn(rt, memory, state.get("transcript", []), text, work)
            work.mode = "llm"
        except LLMError as error:
            if not rt.config.llm_fallback:
                raise
            work.notices.append(f"LLM unavailable for understanding ({error}); answered offline")
    if turn is None:
        turn = rt.nlu.understand(text, memory.context())
    updated, notes = apply_turn(memory, turn, rt.kg)
    work.notices.extend(notes)
    if turn.intent == Intent.REQUEST and not turn.replace:
        examples = [item_id for item_id in turn.liked_items if item_id not in memory.liked_items]
        updated, work.set_aside = set_aside_for_examples(updated, rt.dataset.catalog, examples)
    return {"text": text, "memory": updated, "understood": turn, "work": work}


def _small_talk(text: str) -> bool:
    """Only social words ("thanks!", "ok cool", "bye"): nothing to search. "just show me something"
    is not small talk."""
    words = [word for word in fold_tokens(text) if word[:1].isalnum()]
    return bool(words) and all(word in lexicon.SOCIAL for word in words)


def _needs_search(turn: UserTurn, memory: Memory, work: TurnWork) -> bool:
    said_something = bool(
        turn.show_now
        or turn.accepted
        or turn.rejected
        or turn.answer
        or turn.year_min
        or turn.year_max
        or turn.liked_items
        or turn.rejected_items
        or work.plan
        or work.suggested
    )
    return said_something or memory.actions > 0 or memory.turns > 1


def decide(state: AgentState, runtime: Runtime[GraphContext]) -> Command[Literal["tools", "respond"]]:
    del runtime
    turn: UserTurn = _required(state, "understood")
    memory, work = _memory(state), _work(state)
    if turn.intent == Intent.RESTART:
        outcome = Outcome(decision="restart", reason="the user asked to start over")
    elif turn.asked_item is not None or turn.asked_attribute == "why":
        outcome = Outcome(
            decision="answer_item",
            reason="the user asked about an item",
            asked_item=turn.asked_item,
            asked_attribute=turn.asked_attribute,
        )
    elif turn.accepted_items and not (
        turn.accepted or turn.rejected or turn.rejected_items or turn.liked_items
    ):
        outcome = Outcome(decision="acknowledge", reason="the user accepted a recommendation")
    elif turn.intent == Intent.OTHER and memory.turns > 1 and _small_talk(state.get("text", "")):
        outcome = Outcome(decision="chat", reason="small talk (thanks, ok, bye): nothing to search")
    elif not _needs_search(turn, memory, work):
        outcome = Outcome(decision="greet", reason="nothing usable yet: ask an open question")
    else:
        return Command(goto="tools")
    return Command(goto="respond", update={"outcome": outcome})


def tools(state: AgentState, runtime: Runtime[GraphContext]) -> dict[str, Any]:
    rt = runtime_for(runtime.context)
    work, memory = _work(state), _memory(state)
    start = time.perf_counter()
    candidates = memory_candidates(rt, memory)
    filter_record = ToolCallRecord(
        tool="kg_filter",
        arguments=constraints_of(memory, rt.kg).describe(rt.kg),
        ok=True,
        size_before=len(rt.dataset.catalog),
        size_after=int(candidates.size),
        elapsed_ms=(time.perf_counter() - start) * 1000,
    )
    bus = BusState(filtered=True)
    records = [filter_record]
    if work.plan:
        toolbox = rt.toolbox(BusState(candidates=candidates.tolist()))
        for call in work.plan:
            toolbox.call(call.tool, call.arguments)
        records.extend(toolbox.context.bus.log)
        bus = toolbox.context.bus.state()
        bus.log = []
    work.tool_calls.extend(records)
    return {"bus": bus, "work": work, "tool_log": records}


def reflect(state: AgentState, runtime: Runtime[GraphContext]) -> Command[Literal["tools", "respond"]]:
    rt = runtime_for(runtime.context)
    work, memory = _work(state), _memory(state)
    bus: BusState = _required(state, "bus")
    if bus.filtered:
        final = memory_candidates(rt, memory)
    else:  # planned tools may have replaced the graph filter's list: keep what it allows
        listed = bus.candidates if bus.candidates is not None else np.arange(rt.kg.n_items)
        final = np.asarray(listed, dtype=np.int64)
        allowed = np.zeros(rt.kg.n_items, dtype=bool)
        allowed[memory_candidates(rt, memory)] = True
        final = final[allowed[final]]
    if final.size == 0:
        retry = _retry(rt, memory, work, state)
        if retry is not None:
            return retry
        outcome = Outcome(decision="no_match", reason="nothing matches, even after relaxing", candidates=0)
        return Command(goto="respond", update={"outcome": outcome, "work": work})
    understood = state.get("understood")
    show_now = bool(understood and understood.show_now)
    shift = tool_shift(rt, bus, work)
    policy = decide_over(rt, memory, final, session_id=work.session_id, extra_shift=shift, show_now=show_now)
    catalog = rt.dataset.catalog
    outcome = Outcome(
        decision="recommend",
        reason=policy.reason,
        ranked=policy.ranking.ids(catalog),
        scores=policy.ranking.to_lists()[1] or [],
        candidates=int(final.size),
    )
    if isinstance(policy.action, Ask):
        values = [rt.kg.values[v] for v in policy.offered]
        outcome.decision, outcome.attribute = "ask", values[0].type
        outcome.offered = [v.value for v in values]
    else:
        outcome.items = [catalog.at(i).id for i in policy.action.items]
    return Command(goto="respond", update={"outcome": outcome, "work": work})


def _retry(
    rt: AgentRuntime, memory: Memory, work: TurnWork, state: AgentState
) -> Command[Literal["tools", "respond"]] | None:
    """Re-plan once (LLM), else drop the plan, else relax the newest constraint; None when out of options."""
    if work.plan and rt.chat_model is not None and not work.replanned:
        work.replanned = True
        try:
            llm_turn.replan(rt, memory, state.get("transcript", []), state.get("text", ""), work)
        except LLMError as error:
            work.notices.append(f"LLM re-plan failed ({error}); dropped the plan")
            work.plan = []
        return Command(goto="tools", update={"work": work})
    if work.plan:
        work.plan = []
        work.relaxations.append("the tool results, which matched nothing else you asked for")
        return Command(goto="tools", update={"work": work})
    if len(work.relaxations) >= rt.config.max_relaxations:
        return None
    relaxed = relax_once(memory)
    if relaxed is None:
        return None
    memory, description = relaxed
    work.relaxations.append(description)
    return Command(goto="tools", update={"work": work, "memory": memory})


def respond(state: AgentState, runtime: Runtime[GraphContext]) -> dict[str, Any]:
    rt = runtime_for(runtime.context)
    work, memory = _work(state), _memory(state)
    outcome: Outcome = _required(state, "outcome")
    catalog = rt.dataset.catalog
    items: list[ReplyItem] = []
    question: Question | None = None
    if outcome.decision == "ask" and outcome.attribute is not None:
        question = question_for(outcome.attribute, outcome.offered, rt.noun)
        body = question.text
    elif outcome.decision == "recommend":
        for item_id in outcome.items:
            index = catalog.index_of(item_id)
            items.append(card(catalog.at(index), _reasons(rt, memory, index)))
        body = list_text(items, rt.noun)
    elif outcome.decision == "answer_item" and outcome.asked_attribute == "why":
        body = _why(rt, memory, outcome.asked_item)
    elif outcome.decision == "answer_item" and outcome.asked_item is not None:
        body = item_answer(catalog.get(outcome.asked_item), outcome.asked_attribute)
    elif outcome.decision == "acknowledge":
        body = f"Great choice — enjoy it! Tell me if you'd like another {rt.noun}."
    elif outcome.decision == "chat":
        body = f"Glad to help! Tell me whenever you'd like another {rt.noun}."
    elif outcome.decision == "restart":
        body = "Sure, let's start over. " + greeting(rt.noun)
    elif outcome.decision == "greet":
        body = greeting(rt.noun)
    else:
        body = f"I couldn't find any {rt.noun} that matches all of that. Could you loosen something?"
    if _understood_nothing(state) and outcome.decision in ("ask", "recommend"):
        body = "I couldn't match that to anything I know. " + body
    if work.set_aside:
        body = f"That doesn't fit {join_words(work.set_aside)} from before, so I set those aside.\n" + body
    kept = _kept_from_before(state, memory)
    if kept and outcome.decision in ("ask", "recommend"):
        body = f"Still keeping {join_words(kept)} from before.\n" + body
    if work.relaxations:
        body = f"Nothing matched all of that, so I set aside {join_words(work.relaxations)}.\n" + body
    text = body
    if work.mode == "llm" and rt.chat_model is not None:
        text = llm_turn.compose(rt, outcome, items, question, body, state.get("text", ""), work)
    memory = _remember(memory, outcome, question)
    trace = _trace(state, work, outcome, memory, rt)
    reply = Reply(session_id=work.session_id, text=text, items=items, question=question, trace=trace)
    writer = get_stream_writer()
    for piece in stream_pieces(text):
        writer(piece)
    exchange = {"user": state.get("text", ""), "agent": text}
    return {"reply": reply, "memory": memory, "transcript": [exchange]}


def _why(rt: AgentRuntime, memory: Memory, item_id: str | None) -> str:
    """Why an item was suggested: its graph links to what the user said, or its own strengths."""
    if item_id is None:
        return f"I haven't suggested a {rt.noun} yet. Tell me what you're in the mood for and I will."
    index = rt.dataset.catalog.index_of(item_id)
    reasons = _reasons(rt, memory, index)
    return f"I suggested {display_title(rt.dataset.catalog.at(index))} because it {join_words(reasons)}."


def _reasons(rt: AgentRuntime, memory: Memory, index: int) -> list[str]:
    """Why the item at ``index`` suits this user: its links to what they liked and asked for."""
    liked = [rt.dataset.catalog.index_of(i) for i in memory.liked_items]
    return reasons_for(rt.kg, index, liked, [rt.kg.value_id(key) for key in memory.accepted])


def _kept_from_before(state: AgentState, memory: Memory) -> list[str]:
    """Hard wishes of earlier turns that still filter a new request (said, so none applies silently)."""
    turn = state.get("understood")
    if not turn or not (
        turn.intent == Intent.REQUEST
        and (turn.accepted or turn.soft or turn.liked_items or turn.recency or turn.year_min or turn.year_max)
    ):
        return []

    def earlier(key: str) -> bool:
        return memory.since.get(key, 0) < memory.turns

    kept = [f"'{key.split(':', 1)[1]}'" for key in memory.accepted if earlier(key)]
    kept += [f"'no {key.split(':', 1)[1]}'" for key in memory.rejected if earlier(key)]
    if memory.year_min is not None and earlier("year_min"):
        kept.append(f"'from {memory.year_min}'")
    if memory.year_max is not None and earlier("year_max"):
        kept.append(f"'up to {memory.year_max}'")
    return kept


def _understood_nothing(state: AgentState) -> bool:
    """The user wrote something and nothing of it was understood (offline NLU or LLM alike)."""
    turn = state.get("understood")
    if not turn or not state.get("text", "").strip():
        return False
    useful = turn.model_dump(exclude={"intent", "wishes", "unplaced_titles"}, exclude_defaults=True)
    return not useful and turn.intent in (Intent.OTHER, Intent.REQUEST)


def _remember(memory: Memory, outcome: Outcome, question: Question | None) -> Memory:
    if outcome.decision in ("ask", "recommend"):
        memory.actions += 1
        memory.questions_in_a_row = memory.questions_in_a_row + 1 if outcome.decision == "ask" else 0
        memory.question = question
        memory.shown = list(outcome.items)
    elif outcome.decision != "answer_item":
        memory.question = None
    return memory


def _trace(state: AgentState, work: TurnWork, outcome: Outcome, memory: Memory, rt: AgentRuntime) -> Trace:
    return Trace(
        mode=work.mode,
        turn=memory.turns,
        understood=state.get("understood"),
        decision=outcome.decision,
        decision_reason=outcome.reason,
        policy=rt.config.policy,
        candidates_before=len(rt.dataset.catalog),
        candidates_after=outcome.candidates,
        tool_calls=work.tool_calls,
        ranked_ids=outcome.ranked,
        ranked_scores=outcome.scores,
        relaxations=work.relaxations,
        dropped_titles=work.dropped_titles,
        llm_calls=work.llm_calls,
        prompt_tokens=work.prompt_tokens,
        completion_tokens=work.completion_tokens,
        notices=work.notices,
        latency_ms=(time.perf_counter() - work.started) * 1000,
    )
