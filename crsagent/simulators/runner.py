"""One simulated conversation: a simulator talks to the agent (its public ``chat`` API) until a hit.

Turn counting, the same as the structured benchmark's (``crsagent.evals.structured``):

- The user's opening is turn 1 of the ``max_turns`` budget, so the agent replies at most
  ``max_turns - 1`` times (14 for the standard 15).
- ``success_turn`` is the 1-based number of the agent reply that listed the target: the protocol's
  ``t + 1`` for the 0-based action index ``t``. The opening is in the budget, not in this number:
  success in the agent's first reply has ``success_turn == 1``.
- So SR@k is ``success_turn <= k`` (the protocol's ``t < k``); SR@15 with ``max_turns=15`` is success
  at all (within 14 agent replies); AT averages ``success_turn`` with a failure counting ``max_turns``.

Every agent reply uses a turn of the budget, whatever it did (asked, recommended, greeted). A hit is
the target's catalog id in ``reply.items``; its rank there is ``hit_rank``. After a hit the
simulator's closing message (accepting the target) is sent to the agent when ``close`` is true, and
kept apart in ``Episode.closing``: it tells whether the agent understood the acceptance, and counts
in no metric of the budget. Each episode runs in a fresh session that is reset afterwards.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from functools import partial
from typing import Protocol

from crsagent.agent.reply import Reply
from crsagent.agent.turns import UserTurn
from crsagent.simulators.base import Episode, SimulatorTurn, Target, TurnRecord, UserSimulator


class ChatAgent(Protocol):
    """The part of ``crsagent.agent.Agent`` a dialogue needs."""

    def chat(
        self, text: str, *, session_id: str, turn: UserTurn | None = None, user: int | None = None
    ) -> Reply: ...

    def reset(self, session_id: str) -> object: ...


def hit_rank(reply: Reply, target_id: str) -> int | None:
    """1-based position of ``target_id`` among the reply's items, None when absent (by id only)."""
    for position, item in enumerate(reply.items, start=1):
        if item.id == target_id:
            return position
    return None


def turn_record(user: SimulatorTurn, reply: Reply, latency_ms: float) -> TurnRecord:
    """One exchange as logged: the user's message, the agent's reply and its trace."""
    trace = reply.trace
    asked = (
        [f"{reply.question.attribute}:{value}" for value in reply.question.values] if reply.question else []
    )
    return TurnRecord(
        user_text=user.text,
        agent_text=reply.text,
        decision=trace.decision,
        asked=asked,
        shown_ids=[item.id for item in reply.items],
        ranked_ids=list(trace.ranked_ids),
        latency_ms=latency_ms,
        llm_calls=trace.llm_calls,
        prompt_tokens=trace.prompt_tokens,
        completion_tokens=trace.completion_tokens,
        simulator_llm_calls=user.llm_calls,
        simulator_prompt_tokens=user.prompt_tokens,
        simulator_completion_tokens=user.completion_tokens,
        dropped_titles=len(trace.dropped_titles),
        leaked=user.leaked,
        user_signal=user.signal,
    )


def _send(
    agent: ChatAgent, target: Target, session_id: str, message: SimulatorTurn
) -> tuple[Reply, TurnRecord]:
    start = time.perf_counter()
    reply = agent.chat(message.text, session_id=session_id, turn=message.turn, user=target.user)
    return reply, turn_record(message, reply, (time.perf_counter() - start) * 1000.0)


Send = Callable[[SimulatorTurn], tuple[Reply, TurnRecord]]


def run_dialogue(
    agent: ChatAgent,
    simulator: UserSimulator,
    target: Target,
    *,
    episode: int,
    max_turns: int = 15,
    session_id: str | None = None,
    close: bool = True,
) -> Episode:
    """Play one episode to a hit, the user's end, or the budget; an exception becomes ``Episode.error``."""
    if max_turns < 2:
        raise ValueError(f"max_turns must be at least 2 (the opening and one agent reply), got {max_turns}")
    session = session_id or f"sim-{episode}-{uuid.uuid4().hex[:12]}"
    result = Episode(episode=episode, target=target)
    try:
        _play(partial(_send, agent, target, session), simulator, result, max_turns=max_turns, close=close)
    # Broad on purpose: a run holds thousands of episodes, and one that breaks (a model error, a bad
    # item) is a logged failure with its cause, not the end of the run. KeyboardInterrupt still stops it.
    except Exception as error:  # noqa: BLE001
        result.error = f"{type(error).__name__}: {error}"
        result.end = "error"
    try:
        agent.reset(session)
    except Exception as error:  # noqa: BLE001  (same reason; the first error is the one kept)
        result.error = result.error or f"reset of session {session!r} failed: {type(error).__name__}: {error}"
        result.end = "error" if result.end is None else result.end
    return result


def _play(send: Send, simulator: UserSimulator, result: Episode, *, max_turns: int, close: bool) -> None:
    message = simulator.start(result.target)
    for action in range(1, max_turns):  # the opening took turn 1: at most max_turns - 1 replies
        reply, record = send(message)
        result.turns.append(record)
        rank = hit_rank(reply, result.target.item_id)
        if rank is not None:
            result.success, result.success_turn, result.hit_rank, result.end = True, action, rank, "success"
            if close:
                _close(send, simulator.reply(reply), result)
            return
        if action == max_turns - 1:
            break  # no budget left: the user's answer would never be sent
        message = simulator.reply(reply)
        if message.done:
            result.end = "user_done"
            return
    result.end = "max_turns"


def _close(send: Send, closing: SimulatorTurn, result: Episode) -> None:
    reply, record = send(closing)
    result.closing = record
    understood = reply.trace.understood
    result.accept_understood = (
        None if understood is None else result.target.item_id in understood.accepted_items
    )
