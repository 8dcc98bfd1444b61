"""The candidate bus: the current candidate items that tools read and narrow, and a log of each call.

Tools pass catalog indices (numpy arrays) between each other; only titles go to the LLM. The bus's
state is small and serialisable (``BusState``), so the agent keeps it in its LangGraph state.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray
from pydantic import BaseModel, Field


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
    """Serialisable bus content: ``candidates`` None means the whole catalog."""

    candidates: list[int] | None = None
    scores: list[float] | None = None
    log: list[ToolCallRecord] = Field(default_factory=list)


class CandidateBus:
    """Candidates as catalog indices (ordered, best first once ranked) with optional scores."""

    def __init__(self, n_items: int, state: BusState | None = None) -> None:
        self.n_items = n_items
        state = state or BusState()
        if state.candidates is None:
            self.candidates: NDArray[np.int64] = np.arange(n_items, dtype=np.int64)
        else:
            self.candidates = np.asarray(state.candidates, dtype=np.int64)
        self.scores: NDArray[np.float64] | None = (
            None if state.scores is None else np.asarray(state.scores, dtype=np.float64)
        )
        self.log: list[ToolCallRecord] = list(state.log)

    def __len__(self) -> int:
        return len(self.candidates)

    @property
    def is_everything(self) -> bool:
        """True while no tool has narrowed the catalog."""
        return len(self.candidates) == self.n_items and self.scores is None

    def mask(self) -> NDArray[np.bool_]:
        """Boolean mask over the catalog of the current candidates."""
        mask = np.zeros(self.n_items, dtype=bool)
        mask[self.candidates] = True
        return mask

    def narrow(self, keep: NDArray[np.int64] | list[int]) -> None:
        """Keep only candidates that are also in ``keep``, in the current order."""
        keep_mask = np.zeros(self.n_items, dtype=bool)
        keep_mask[np.asarray(keep, dtype=np.int64)] = True
        selected = keep_mask[self.candidates]
        self.candidates = self.candidates[selected]
        if self.scores is not None:
            self.scores = self.scores[selected]

    def rank(self, scores: NDArray[np.floating[Any]], *, top: int | None = None) -> None:
        """Order the candidates by ``scores`` (aligned with the current candidates), best first."""
        if len(scores) != len(self.candidates):
            raise ValueError(f"{len(scores)} scores for {len(self.candidates)} candidates")
        order = np.argsort(-np.asarray(scores, dtype=np.float64), kind="stable")
        if top is not None:
            order = order[:top]
        self.candidates = self.candidates[order]
        self.scores = np.asarray(scores, dtype=np.float64)[order]

    def replace(self, indices: NDArray[np.int64] | list[int], scores: list[float] | None = None) -> None:
        """Set the candidates outright (a retrieval that starts a new list)."""
        self.candidates = np.asarray(indices, dtype=np.int64)
        self.scores = None if scores is None else np.asarray(scores, dtype=np.float64)

    def reset(self) -> None:
        """Back to the whole catalog; the log is kept."""
        self.candidates = np.arange(self.n_items, dtype=np.int64)
        self.scores = None

    def top(self, k: int) -> NDArray[np.int64]:
        """The first ``k`` candidates."""
        return self.candidates[:k]

    def state(self) -> BusState:
        """A serialisable copy (the whole catalog is stored as None, not as every index)."""
        return BusState(
            candidates=None if self.is_everything else self.candidates.tolist(),
            scores=None if self.scores is None else self.scores.tolist(),
            log=list(self.log),
        )
