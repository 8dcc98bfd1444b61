"""Hand-made episodes and specs for the evaluation-framework tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from crsagent.simulators.base import Episode, Target, TurnRecord


def turn(
    decision: str = "ask",
    *,
    shown: list[str] | None = None,
    ranked: list[str] | None = None,
    **fields: Any,
) -> TurnRecord:
    """One logged exchange."""
    return TurnRecord(
        user_text="u",
        agent_text="a",
        decision=decision,
        shown_ids=shown or [],
        ranked_ids=ranked or [],
        **fields,
    )


def episode(
    index: int,
    item: str = "t",
    *,
    hit_at: int | None = None,
    rank: int = 1,
    turns: list[TurnRecord] | None = None,
    played: int | None = None,
    error: str | None = None,
) -> Episode:
    """An episode that hits at turn ``hit_at`` (rank ``rank``), or misses after ``played`` turns."""
    if turns is None:
        count = hit_at if hit_at is not None else (played or 3)
        turns = [turn() for _ in range(count)]
    return Episode(
        episode=index,
        target=Target(item_id=item),
        success=hit_at is not None,
        success_turn=hit_at,
        hit_rank=rank if hit_at is not None else None,
        turns=turns,
        error=error,
    )


SPEC_TOML = """
name = "tiny"
dataset = "{dataset}"
episodes = {episodes}
max_turns = 6
list_size = 3
seed = 1

[targets]
from = "{targets}"

[agent.config]
offer_values = 1

[simulator]
kind = "rule"
"""


def write_spec(
    folder: Path, *, dataset: str, episodes: int = 4, targets: str = "split", extra: str = ""
) -> Path:
    """A spec file for a tiny offline run."""
    path = folder / "tiny.toml"
    path.write_text(
        SPEC_TOML.format(dataset=dataset, episodes=episodes, targets=targets) + extra, encoding="utf-8"
    )
    return path
