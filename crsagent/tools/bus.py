"""The candidate bus: the current candidate items that tools read and narrow, and a log of each call.

Tools pass ``Candidates`` (catalog indices and scores) between each other; only titles go to the LLM. The bus's
state is small and serialisable (``BusState``), so the agent keeps it in its LangGraph state.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray
from pydantic import BaseModel, Field

from crsagent.data.candidates import Candidates


class ToolCallRecord(BaseModel):
    """One tool call as the trace shows it."""

    tool: str
    arguments: dict[str, Any]
    ok: bool
    error: str | None = None
    size_before: int = Field(description="Candidates before the call.")
    size_after: int = Field(description="Candidates after the call.")
    elapsed_ms: float = 0.0
    notices: list[str] = Field(default_factory=list)


class BusState(BaseModel):
    """Serialisable bus content: ``candidates`` None means the whole catalog (or, ``filtered``, the
    graph filter's candidates)."""

    candidates: list[int] | None = None
    filtered: bool = Field(
        default=False,
        description=(
            "The candidates are the graph filter's for the session's memory: recomputed from it, not "
            "stored (on a million-item catalog a filter keeps hundreds of thousands, stored every turn)."
        ),
    )
    scores: list[float] | None = None
    log: list[ToolCallRecord] = Field(default_factory=list)


class CandidateBus:
    """The current ``Candidates`` (ordered, best first once ranked), replaced as tools narrow and
    rank them, and the log of calls."""

    def __init__(self, n_items: int, state: BusState | None = None) -> None:
        self.n_items = n_items
        state = state or BusState()
        self.current = (
            Candidates.everything(n_items)
            if state.candidates is None
            else Candidates.from_lists(state.candidates, state.scores)
        )
        self.log: list[ToolCallRecord] = list(state.log)

    def __len__(self) -> int:
        return len(self.current)

    @property
    def candidates(self) -> NDArray[np.int64]:
        """The candidates' catalog indices, in order (read-only)."""
        return self.current.indices

    @property
    def scores(self) -> NDArray[np.float64] | None:
        """Scores aligned with ``candidates``; None until a tool ranked them (read-only)."""
        return self.current.scores

    @property
    def is_everything(self) -> bool:
        """True while no tool has narrowed the catalog."""
        return len(self.current) == self.n_items and not self.current.is_ranked

    def narrow(self, keep: NDArray[np.int64] | list[int]) -> None:
        """Keep only candidates that are also in ``keep``, in the current order."""
        self.current = self.current.restricted_to(keep, self.n_items)

    def rank(self, scores: NDArray[np.floating[Any]], *, top: int | None = None) -> None:
        """Order the candidates by ``scores`` (aligned with the current candidates), best first."""
        self.current = Candidates.ranked(self.current.indices, scores, top=top)

    def state(self) -> BusState:
        """A serialisable copy (the whole catalog is stored as None, not as every index)."""
        # The whole catalog (unranked: every turn's common case) builds no lists.
        indices, scores = (None, None) if self.is_everything else self.current.to_lists()
        return BusState(candidates=indices, scores=scores, log=list(self.log))
