"""The policy over a memory's candidates: one place that turns what the user said into a ranked
belief and an ask / recommend action. The graph's reflect node runs it every searching turn; the
stateless entry point runs it when a turn needed no search but a caller still wants the ranking.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from crsagent.agent.decision import PolicyOutcome, constraints_of, filter_candidates, liked_shift, run_policy
from crsagent.agent.memory import Memory

if TYPE_CHECKING:
    from crsagent.agent.runtime import AgentRuntime


def memory_candidates(rt: AgentRuntime, memory: Memory) -> NDArray[np.int64]:
    """Items the memory's hard constraints allow."""
    prune = rt.config.negative_answers == "prune"
    return filter_candidates(rt.kg, rt.years, constraints_of(memory, rt.kg), prune_rejected=prune)


def decide_over(
    rt: AgentRuntime,
    memory: Memory,
    candidates: NDArray[np.int64],
    *,
    session_id: str,
    extra_shift: NDArray[np.float64] | None = None,
) -> PolicyOutcome:
    """The configured policy over ``candidates``, scored with the memory's liked items (and
    ``extra_shift``, e.g. an LLM plan's tool ranking)."""
    shift = np.zeros(rt.kg.n_items)
    catalog = rt.dataset.catalog
    liked = liked_shift(rt.kg, [catalog.index_of(i) for i in memory.liked_items], rt.config.liked_weight)
    if liked is not None:
        shift += liked
    if extra_shift is not None:
        shift += extra_shift
    with rt.lock:
        return run_policy(
            rt.model,
            rt.kg,
            np.sort(candidates),
            constraints_of(memory, rt.kg),
            memory,
            rt.config,
            session_id=session_id,
            never_ask=rt.never_ask,
            shift=shift if shift.any() else None,
        )


def rank_memory(rt: AgentRuntime, memory: Memory, session_id: str) -> tuple[list[str], list[float]]:
    """Ids and scores of the best ``ranked_list_size`` items for ``memory`` (empty when none match)."""
    candidates = memory_candidates(rt, memory)
    if candidates.size == 0:
        return [], []
    outcome = decide_over(rt, memory, candidates, session_id=session_id)
    catalog = rt.dataset.catalog
    return [catalog.at(i).id for i in outcome.ranked], outcome.scores
