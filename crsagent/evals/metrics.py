"""The metrics of every evaluation: CPR's SR@k / AT / hDCG, iEvaLM's Recall@k, and costs.

SR@k, AT and hDCG exactly as the published CPR evaluation computes them: an episode's
``success_turn`` is t + 1 for a hit at the agent's t-th action (0-based), and a failure counts
``max_turns`` in AT. Episodes that could not run (``error`` set) are not misses: they are counted
apart and left out of every rate. Structured runs (``crsagent eval cpr``) log no ranked lists, so
they ask for no Recall@k.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from crsagent.simulators.base import Episode


def hdcg(turns: int, rank: int) -> float:
    """Hierarchical DCG of a success at turn T = t + 1 with the target at 1-based rank k.

    ``1/log2(T+2) + (1/log2(T+1) - 1/log2(T+2)) / log2(k+1)`` (UNICORN's ``Rank`` term).
    """
    if turns < 1 or rank < 1:
        raise ValueError(f"hDCG needs turns >= 1 and rank >= 1, got turns={turns}, rank={rank}")
    later = 1.0 / math.log2(turns + 2)
    return later + (1.0 / math.log2(turns + 1) - later) / math.log2(rank + 1)


# Fields that ``record()`` flattens into SR@k / AT / hDCG / Recall@k keys, and the plots' lists.
HEADLINE_FIELDS = ("sr", "at", "hdcg", "recall", "recall_first_turn")
CURVE_FIELDS = ("sr_by_turn", "turns_success", "turns_failure")


class EvalMetrics(BaseModel):
    """Aggregates of one run; ``record()`` flattens them into metrics.json's keys."""

    model_config = ConfigDict(frozen=True)

    sr: dict[int, float] = Field(description="k -> SR@k: success within k turns.")
    at: float = Field(description="Mean turns to success; a failure counts max_turns.")
    hdcg: float = Field(description="Mean hierarchical DCG; 0 for a failure.")
    recall: dict[int, float] = Field(description="k -> target in the top k of the ranked list at any turn.")
    recall_first_turn: dict[int, float] = Field(description="k -> target in the top k after the opening.")
    sr_by_turn: list[float] = Field(description="sr_by_turn[k-1] = fraction succeeded within k turns.")
    turns_success: list[int] = Field(description="turns_success[k-1] = episodes that succeeded at turn k.")
    turns_failure: list[int] = Field(description="turns_failure[k-1] = failed episodes that lasted k turns.")
    # The scalars below are the report's rows after the headline metrics, in this order (COST_KEYS).
    out_of_catalog_rate: float = Field(description="Titles grounding dropped / (dropped + items shown).")
    leak_rate: float = Field(description="Simulated-user turns whose draft named the target.")
    episodes_with_leak: float = Field(description="Fraction of episodes with at least one leaked turn.")
    mean_turns: float = Field(description="Exchanges per episode, as played.")
    mean_questions: float = Field(description="Questions the agent asked per episode.")
    mean_lists: float = Field(description="Recommendation lists per episode.")
    user_ended: float = Field(description="Fraction of episodes the simulated user ended before a hit.")
    no_candidates: int = Field(description="Episodes that ended because the candidates ran out (structured).")
    accept_understood: float | None = Field(
        description="Of the hits followed by a closing message, the fraction whose acceptance the agent "
        "understood (None when no closing message was sent)."
    )
    agent_llm_calls_per_turn: float
    simulator_llm_calls_per_turn: float
    prompt_tokens_per_turn: float = Field(description="The agent's prompt tokens per turn.")
    completion_tokens_per_turn: float = Field(description="The agent's completion tokens per turn.")
    simulator_prompt_tokens_per_turn: float
    simulator_completion_tokens_per_turn: float
    latency_ms_mean: float = Field(description="The agent's wall time per turn.")
    latency_ms_p50: float
    latency_ms_p95: float
    n_episodes: int = Field(
        description="Episodes that ran to an end (a hit, the turn limit, or the user quitting)."
    )
    n_errors: int = Field(description="Episodes that failed to run; not in any rate.")

    def record(self) -> dict[str, Any]:
        """Flat keys: SR@5 ..., AT, hDCG, Recall@1 ..., then the rest (the compare table reads them)."""
        flat: dict[str, Any] = {f"SR@{k}": v for k, v in self.sr.items()}
        flat |= {"AT": self.at, "hDCG": self.hdcg}
        flat |= {f"Recall@{k}": v for k, v in self.recall.items()}
        flat |= {f"Recall@{k} (first turn)": v for k, v in self.recall_first_turn.items()}
        return flat | self.model_dump(exclude=set(HEADLINE_FIELDS))


def _mean(values: Sequence[float]) -> float:
    return sum(values) / len(values) if values else 0.0


def _percentile(values: Sequence[float], q: int) -> float:
    if len(values) < 2:
        return float(values[0]) if values else 0.0
    return float(statistics.quantiles(values, n=100, method="inclusive")[q - 1])


def compute_metrics(
    episodes: Sequence[Episode], *, max_turns: int, sr_at: Sequence[int], recall_at: Sequence[int]
) -> EvalMetrics:
    """Aggregate ``episodes`` (failed-to-run ones apart) under a ``max_turns`` budget."""
    ran = [e for e in episodes if e.error is None]
    n = len(ran)
    if n == 0:
        raise ValueError(
            f"no episode ran to an end ({len(episodes) - n} failed to run): nothing to aggregate"
        )
    # Turn of the hit per episode, None for a miss (a success without a turn cannot be placed).
    hit_turn = [e.success_turn if e.success else None for e in ran]

    def sr(k: int) -> float:
        return sum(1 for t in hit_turn if t is not None and t <= k) / n

    def recall(k: int, first_only: bool) -> float:
        hits = 0
        for e in ran:
            turns = e.turns[:1] if first_only else e.turns
            hits += any(e.target.item_id in t.ranked_ids[:k] for t in turns)
        return hits / n

    turns = [t for e in ran for t in e.turns]
    n_turns = max(len(turns), 1)
    shown = sum(len(t.shown_ids) for t in turns)
    dropped = sum(t.dropped_titles for t in turns)
    latencies = [t.latency_ms for t in turns]
    understood = [e.accept_understood for e in ran if e.accept_understood is not None]
    success_hist = [0] * max_turns
    failure_hist = [0] * max_turns
    for e, hit in zip(ran, hit_turn, strict=True):
        if hit is not None:
            success_hist[min(hit, max_turns) - 1] += 1
        else:
            failure_hist[min(max(len(e.turns), 1), max_turns) - 1] += 1
    return EvalMetrics(
        n_episodes=n,
        n_errors=len(episodes) - n,
        sr={k: sr(k) for k in sr_at},
        at=sum(max_turns if hit is None else hit for hit in hit_turn) / n,
        hdcg=sum(hdcg(hit, e.hit_rank or 1) for e, hit in zip(ran, hit_turn, strict=True) if hit) / n,
        recall={k: recall(k, False) for k in recall_at},
        recall_first_turn={k: recall(k, True) for k in recall_at},
        sr_by_turn=[sr(k) for k in range(1, max_turns + 1)],
        turns_success=success_hist,
        turns_failure=failure_hist,
        mean_turns=len(turns) / n,
        mean_questions=sum(t.decision == "ask" for t in turns) / n,
        mean_lists=sum(t.decision == "recommend" for t in turns) / n,
        out_of_catalog_rate=dropped / (dropped + shown) if dropped + shown else 0.0,
        leak_rate=sum(t.leaked for t in turns) / n_turns,
        episodes_with_leak=sum(any(t.leaked for t in e.turns) for e in ran) / n,
        user_ended=sum(e.end == "user_done" for e in ran) / n,
        no_candidates=sum(e.end == "no_candidates" for e in ran),
        accept_understood=sum(understood) / len(understood) if understood else None,
        agent_llm_calls_per_turn=sum(t.llm_calls for t in turns) / n_turns,
        simulator_llm_calls_per_turn=sum(t.simulator_llm_calls for t in turns) / n_turns,
        prompt_tokens_per_turn=sum(t.prompt_tokens for t in turns) / n_turns,
        completion_tokens_per_turn=sum(t.completion_tokens for t in turns) / n_turns,
        simulator_prompt_tokens_per_turn=sum(t.simulator_prompt_tokens for t in turns) / n_turns,
        simulator_completion_tokens_per_turn=sum(t.simulator_completion_tokens for t in turns) / n_turns,
        latency_ms_mean=_mean(latencies),
        latency_ms_p50=_percentile(latencies, 50),
        latency_ms_p95=_percentile(latencies, 95),
    )
