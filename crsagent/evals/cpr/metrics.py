"""SR@k, AT and hDCG exactly as the published evaluation computes them."""

from __future__ import annotations

import math
from collections.abc import Sequence

from pydantic import BaseModel, ConfigDict, Field

from crsagent.evals.cpr.protocol import EpisodeResult


def hdcg(turns: int, rank: int) -> float:
    """Hierarchical DCG of a success at turn T = t + 1 with the target at 1-based rank k.

    ``1/log2(T+2) + (1/log2(T+1) - 1/log2(T+2)) / log2(k+1)`` (UNICORN's ``Rank`` term).
    """
    if turns < 1 or rank < 1:
        raise ValueError(f"hDCG needs turns >= 1 and rank >= 1, got turns={turns}, rank={rank}")
    later = 1.0 / math.log2(turns + 2)
    return later + (1.0 / math.log2(turns + 1) - later) / math.log2(rank + 1)


class CprMetrics(BaseModel):
    """Aggregate metrics of a set of episodes."""

    model_config = ConfigDict(frozen=True, populate_by_name=True)

    sr5: float = Field(alias="SR@5", description="Success with t < 5.")
    sr10: float = Field(alias="SR@10", description="Success with t < 10.")
    sr15: float = Field(alias="SR@15", description="Success within the budget.")
    at: float = Field(alias="AT", description="Mean t + 1; a failure counts max_turns.")
    hdcg: float = Field(alias="hDCG", description="Mean hierarchical DCG; 0 for a failure.")
    n_episodes: int = Field(description="Episodes aggregated.")
    sr_by_turn: list[float] = Field(description="sr_by_turn[k-1] = fraction succeeded with t + 1 <= k.")
    mean_questions: float = Field(description="Questions per episode.")
    mean_lists: float = Field(description="Recommended lists per episode.")
    no_candidates: int = Field(description="Episodes that ended because the candidates ran out.")


def compute_metrics(episodes: Sequence[EpisodeResult], max_turns: int = 15) -> CprMetrics:
    """Aggregate ``episodes`` (``max_turns`` sets the length of the SR-by-turn curve)."""
    if not episodes:
        raise ValueError("no episodes to aggregate")
    n = len(episodes)
    succeeded = [e for e in episodes if e.success]

    def rate(limit: int) -> float:
        return sum(1 for e in succeeded if e.turns <= limit) / n

    return CprMetrics.model_validate(
        {
            "SR@5": rate(5),
            "SR@10": rate(10),
            "SR@15": len(succeeded) / n,
            "AT": sum(e.turns for e in episodes) / n,
            "hDCG": sum(hdcg(e.turns, e.rank or 1) for e in succeeded) / n,
            "n_episodes": n,
            "sr_by_turn": [rate(k) for k in range(1, max_turns + 1)],
            "mean_questions": sum(sum(a.kind == "ask" for a in e.actions) for e in episodes) / n,
            "mean_lists": sum(sum(a.kind == "recommend" for a in e.actions) for e in episodes) / n,
            "no_candidates": sum(e.end == "no_candidates" for e in episodes),
        }
    )
