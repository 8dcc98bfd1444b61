"""From memory to candidates to the KG policy's action: which items are left, ask or recommend.

The agent keeps its own candidate rule (hard constraints from the memory) and hands the policy a
``DialogueState`` over those candidates, so every built-in policy decides for a person exactly as
it does in the CPR benchmark. Per-turn evidence the state cannot hold (items the user liked, an LLM
plan's tool ranking) enters as a log-score shift (``ShiftedModel``).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from crsagent.agent.config import AgentConfig
from crsagent.agent.memory import Memory
from crsagent.data.candidates import Candidates
from crsagent.knowledge_graph.belief import Belief, binary_entropy
from crsagent.knowledge_graph.belief_model import BeliefModel, ShiftedModel
from crsagent.knowledge_graph.graph import KnowledgeGraph
from crsagent.knowledge_graph.pagerank import personalized_pagerank
from crsagent.knowledge_graph.policies import make_policy
from crsagent.knowledge_graph.policies.learned_store import StoredSwitch
from crsagent.knowledge_graph.state import Ask, DialogueState, Recommend
from crsagent.understanding.surfaces import PERSON_TYPES


@dataclass
class AgentDialogueState(DialogueState):
    """A ``DialogueState`` that also treats skipped and never-asked values as asked."""

    skipped: list[int] = field(default_factory=list)

    @property
    def asked(self) -> set[int]:
        return {*self.accepted, *self.rejected, *self.skipped}


@dataclass(frozen=True)
class Constraints:
    """The hard constraints of a turn, as graph value ids and item indices."""

    accepted: list[int]
    accepted_groups: list[list[int]]
    """``accepted`` in groups: values of one type said in one turn ("action, comedy or thriller") are
    alternatives, so an item needs one of each group."""
    rejected: list[int]
    excluded_items: list[int]
    year_min: int | None
    year_max: int | None

    def key(self, *, prune_rejected: bool) -> tuple[object, ...]:
        """What ``filter_candidates`` reads, hashable (rejected values only when it prunes them)."""
        rejected = tuple(self.rejected) if prune_rejected else ()
        groups = tuple(tuple(group) for group in self.accepted_groups)
        return (groups, rejected, tuple(self.excluded_items), self.year_min, self.year_max)

    def describe(self, kg: KnowledgeGraph) -> dict[str, object]:
        """For the trace's tool log."""
        return {
            "accepted": [kg.values[v].key for v in self.accepted],
            "rejected": [kg.values[v].key for v in self.rejected],
            "excluded_items": len(self.excluded_items),
            "year_min": self.year_min,
            "year_max": self.year_max,
        }


def constraints_of(memory: Memory, kg: KnowledgeGraph) -> Constraints:
    """Memory -> ids (values the graph lacks were already dropped when the memory was updated)."""
    catalog = kg.catalog
    items = [*memory.rejected_items, *memory.accepted_items, *memory.liked_items]
    return Constraints(
        accepted=[kg.value_id(key) for key in memory.accepted],
        accepted_groups=_groups(memory, kg),
        rejected=[kg.value_id(key) for key in memory.rejected],
        excluded_items=sorted({catalog.index_of(item_id) for item_id in items}),
        year_min=memory.year_min,
        year_max=memory.year_max,
    )


def _groups(memory: Memory, kg: KnowledgeGraph) -> list[list[int]]:
    """Alternatives: values of one type from one turn ("action or comedy"), and the roles of one
    person ("something Nolan": directed or written by him)."""
    groups: dict[tuple[str, int], list[int]] = {}
    for key in memory.accepted:
        kind, value = key.split(":", 1)
        group = f"person:{value}" if kind in PERSON_TYPES else kind
        groups.setdefault((group, memory.since.get(key, 0)), []).append(kg.value_id(key))
    return list(groups.values())


def filter_candidates(
    kg: KnowledgeGraph, years: NDArray[np.float64], constraints: Constraints, *, prune_rejected: bool
) -> NDArray[np.int64]:
    """Items carrying one accepted value of every group, none of the rejected ones (under prune), in
    the years.

    The other constraints are checked on the items of the group with the fewest carriers only (on a
    million-item catalog, catalog-long passes cost ~7 ms a call).
    """
    groups = sorted(constraints.accepted_groups, key=lambda group: int(kg.value_counts[group].sum()))
    items = _carriers_of_any(kg, groups[0]) if groups else np.arange(kg.n_items, dtype=np.int64)
    keep = np.ones(items.size, dtype=bool)
    for group in groups[1:]:
        keep &= _marks(kg, group)[items]
    if prune_rejected and constraints.rejected:
        keep &= ~_marks(kg, constraints.rejected)[items]
    if constraints.year_min is not None:
        keep &= years[items] >= constraints.year_min  # unknown years (NaN) fail a year bound
    if constraints.year_max is not None:
        keep &= years[items] <= constraints.year_max
    if constraints.excluded_items:
        keep &= ~np.isin(items, constraints.excluded_items)
    return items[keep]


def _carriers_of_any(kg: KnowledgeGraph, values: list[int]) -> NDArray[np.int64]:
    """Items carrying at least one of ``values``, ascending."""
    if len(values) == 1:  # a value's items are already ascending and distinct
        return kg.items_with(values[0]).astype(np.int64)
    return np.flatnonzero(_marks(kg, values)).astype(np.int64)


def _marks(kg: KnowledgeGraph, values: list[int]) -> NDArray[np.bool_]:
    """Per catalog item, whether it carries at least one of ``values``."""
    carries = np.zeros(kg.n_items, dtype=bool)
    for value in values:
        carries[kg.items_with(value)] = True
    return carries


def liked_shift(kg: KnowledgeGraph, liked: list[int], weight: float) -> NDArray[np.float64] | None:
    """Graph proximity to the liked items (personalized PageRank), scaled to [0, weight].

    The walk restarts at the liked items, so they hold most of the mass themselves: they are left
    out of the scaling (they are never recommended back), or every other item would get almost 0.
    """
    if not liked or weight == 0:
        return None
    scores, _ = personalized_pagerank(kg, liked)
    scores = scores.copy()
    scores[liked] = 0.0
    top = scores.max()
    return weight * scores / top if top > 0 else None


@dataclass(frozen=True)
class PolicyOutcome:
    """The policy's action for a turn, with what the trace and the reply need."""

    action: Ask | Recommend
    offered: list[int]
    ranking: Candidates
    """The top of the belief with its log-scores (every shift applied), best first."""
    reason: str


def _seed(session_id: str, actions: int) -> int:
    digest = hashlib.sha256(f"{session_id}|{actions}".encode()).digest()
    return int.from_bytes(digest[:8], "little")


def _offer(
    belief: Belief, state: AgentDialogueState, kg: KnowledgeGraph, value: int, count: int
) -> list[int]:
    """The asked value plus up to ``count - 1`` other informative values of the same type."""
    if count <= 1:
        return [value]
    askable = belief.askable(state.asked) & (kg.value_types == kg.value_types[value])
    askable[value] = False
    entropy = np.where(askable, binary_entropy(belief.value_probability), -1.0)
    others = [int(v) for v in np.argsort(-entropy, kind="stable")[: count - 1] if entropy[v] > 0]
    return [value, *others]


def run_policy(
    model: BeliefModel,
    kg: KnowledgeGraph,
    candidates: NDArray[np.int64],
    constraints: Constraints,
    memory: Memory,
    config: AgentConfig,
    *,
    session_id: str,
    never_ask: list[int],
    shift: NDArray[np.float64] | None,
    show_now: bool = False,
    trained: StoredSwitch | None = None,
) -> PolicyOutcome:
    """Ask or recommend over ``candidates`` with the configured policy (a trained one from its
    stored weights, ``trained``)."""
    scored = ShiftedModel(model, shift)
    max_actions = config.max_turns - 1
    state = AgentDialogueState(
        user=memory.user,
        candidates=candidates,
        max_actions=max_actions,
        list_size=config.list_size,
        negative_answers="prune" if config.negative_answers == "prune" else "soft",
        accepted=list(constraints.accepted),
        rejected=list(constraints.rejected),
        rejected_items=list(constraints.excluded_items),
        turn=min(memory.actions, max_actions - 1),  # past the budget the policy keeps recommending
        rng=np.random.default_rng(_seed(session_id, memory.actions)),
        skipped=sorted({*never_ask, *(kg.value_id(key) for key in [*memory.skipped, *memory.soft])}),
    )
    policy = make_policy(config.policy, scored, trained=trained)
    action = policy.decide(state)
    belief = scored.belief(state)
    positions = belief.top_positions(config.ranked_list_size)
    ranking = Candidates(belief.candidates[positions], belief.log_scores[positions])
    limit = config.max_questions_in_a_row
    if isinstance(action, Ask) and (show_now or (limit is not None and memory.questions_in_a_row >= limit)):
        items = belief.top_items(config.list_size)
        why = "asked to see results now" if show_now else f"{limit} questions in a row"
        reason = f"{why}: showing the {len(items)} best of {candidates.size} candidates"
        return PolicyOutcome(Recommend(items), [], ranking, reason)
    if isinstance(action, Ask):
        offered = _offer(belief, state, kg, action.value, config.offer_values)
        p_yes = float(belief.value_probability[action.value])
        reason = (
            f"{policy.name}: asking about {kg.values[action.value].key} (P(yes) = {p_yes:.2f}) "
            f"splits {candidates.size} candidates; the top {config.list_size} hold "
            f"{belief.top_mass(config.list_size):.0%} of the belief"
        )
        return PolicyOutcome(action, offered, ranking, reason)
    reason = (
        f"{policy.name}: recommending; the top {len(action.items)} of {candidates.size} candidates "
        f"hold {belief.top_mass(len(action.items)):.0%} of the belief"
    )
    return PolicyOutcome(action, [], ranking, reason)
