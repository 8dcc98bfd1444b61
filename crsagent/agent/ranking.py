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
from crsagent.data.candidates import Candidates
from crsagent.knowledge_graph.graph import ascending

if TYPE_CHECKING:
    from crsagent.agent.runtime import AgentRuntime


def memory_candidates(rt: AgentRuntime, memory: Memory) -> NDArray[np.int64]:
    """Items the memory's hard constraints allow (read-only: kept for the turn's next nodes)."""
    prune = rt.config.negative_answers == "prune"
    constraints = constraints_of(memory, rt.kg)
    key = constraints.key(prune_rejected=prune)
    kept = rt.filtered.get(key)
    if kept is None:
        kept = filter_candidates(rt.kg, rt.years, constraints, prune_rejected=prune)
        kept.flags.writeable = False
        rt.filtered.put(key, kept, kept.nbytes)
    return kept


def decide_over(
    rt: AgentRuntime,
    memory: Memory,
    candidates: NDArray[np.int64],
    *,
    session_id: str,
    extra_shift: NDArray[np.float64] | None = None,
    show_now: bool = False,
) -> PolicyOutcome:
    """The configured policy over ``candidates``, scored with the memory's liked items (and
    ``extra_shift``, e.g. an LLM plan's tool ranking)."""
    shift = preference_shift(rt, memory)
    if extra_shift is not None:
        shift = extra_shift if shift is None else shift + extra_shift
    with rt.lock:
        return run_policy(
            rt.model,
            rt.kg,
            candidates if ascending(candidates) else np.sort(candidates),
            constraints_of(memory, rt.kg),
            memory,
            rt.config,
            session_id=session_id,
            never_ask=rt.never_ask,
            shift=shift if shift is not None and shift.any() else None,
            show_now=show_now,
            trained=rt.trained,
        )


def preference_shift(rt: AgentRuntime, memory: Memory) -> NDArray[np.float64] | None:
    """Per item, the log-score bonus of what the user likes without filtering: items they named
    (graph proximity and the collaborative model's scores), soft values and a lean to recent or older.
    None when the memory holds none of them (no catalog-long array on every turn)."""
    if not memory.liked_items and not memory.soft and memory.recency is None:
        return None
    config, kg = rt.config, rt.kg
    shift = np.zeros(kg.n_items)
    liked = [rt.dataset.catalog.index_of(i) for i in memory.liked_items]
    proximity = liked_shift(kg, liked, config.liked_weight)
    if proximity is not None:
        shift += proximity
    if liked and rt.cf is not None and config.cf_weight > 0:
        scores = np.asarray(rt.cf.score(np.asarray(liked, dtype=np.int64)), dtype=np.float64)
        top = scores.max()
        if top > 0:
            shift += config.cf_weight * np.clip(scores, 0.0, None) / top
    if memory.soft and config.soft_weight > 0:
        per_value = np.zeros(kg.n_values)
        per_value[[kg.value_id(key) for key in memory.soft]] = config.soft_weight
        shift += kg.item_sums(None, per_value)
    if memory.recency is not None and config.soft_weight > 0:
        years = np.nan_to_num(rt.years, nan=np.nanmin(rt.years) if np.isfinite(rt.years).any() else 0.0)
        span = years.max() - years.min()
        if span > 0:
            newness = (years - years.min()) / span
            shift += 2 * config.soft_weight * (newness if memory.recency == "recent" else 1.0 - newness)
    return shift


def rank_memory(rt: AgentRuntime, memory: Memory, session_id: str) -> Candidates:
    """The best ``ranked_list_size`` items for ``memory`` with their log-scores (empty when none match)."""
    candidates = memory_candidates(rt, memory)
    if candidates.size == 0:
        return Candidates.from_lists([], [])
    return decide_over(rt, memory, candidates, session_id=session_id).ranking
