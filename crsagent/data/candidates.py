"""One candidate-list type: catalog indices, best first, with aligned scores when ranked.

The currency between the recommenders, the knowledge graph, the tools and the agent's ranking (the
LLM sees titles, the code passes these). It sits in the data layer, the lowest one that knows what a
catalog index is, so every layer above may take and return it. Boundaries that serialise (the tool
outputs, the reply's trace, the bus in LangGraph state) keep their pydantic shapes and convert with
``to_lists`` / ``from_lists`` / ``ids``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

if TYPE_CHECKING:
    from crsagent.data.catalog import Catalog


def _frozen(array: NDArray[Any]) -> NDArray[Any]:
    array.setflags(write=False)
    return array


@dataclass(frozen=True, eq=False)
class Candidates:
    """``indices`` (int64 catalog indices, best first once ranked) and ``scores`` aligned with them,
    or None while unranked. Both arrays are read-only copies, so a list can be shared freely."""

    indices: NDArray[np.int64]
    scores: NDArray[np.float64] | None = None

    def __post_init__(self) -> None:
        indices = np.array(self.indices, dtype=np.int64, copy=True)
        if indices.ndim != 1:
            raise ValueError(f"candidate indices must be one-dimensional, got shape {indices.shape}")
        object.__setattr__(self, "indices", _frozen(indices))
        if self.scores is not None:
            scores = np.array(self.scores, dtype=np.float64, copy=True)
            if scores.shape != indices.shape:
                raise ValueError(f"{scores.size} scores for {indices.size} candidates")
            object.__setattr__(self, "scores", _frozen(scores))

    @classmethod
    def everything(cls, n_items: int) -> Candidates:
        """The whole catalog, unranked, in index order."""
        return cls(np.arange(n_items, dtype=np.int64))

    @classmethod
    def ranked(cls, indices: ArrayLike, scores: ArrayLike, *, top: int | None = None) -> Candidates:
        """``indices`` ordered by ``scores`` (aligned with them), best first; ties keep their order.
        With ``top``, only the best ``top``."""
        indices = np.asarray(indices, dtype=np.int64)
        values = np.asarray(scores, dtype=np.float64)
        if values.shape != indices.shape:
            raise ValueError(f"{values.size} scores for {indices.size} candidates")
        order = np.argsort(-values, kind="stable")
        if top is not None:
            order = order[: max(top, 0)]
        return cls(indices[order], values[order])

    @classmethod
    def from_lists(cls, indices: Sequence[int], scores: Sequence[float] | None = None) -> Candidates:
        """From the serialisable form ``to_lists`` writes."""
        return cls(np.asarray(indices, dtype=np.int64), None if scores is None else np.asarray(scores))

    def __len__(self) -> int:
        return int(self.indices.size)

    @property
    def is_ranked(self) -> bool:
        return self.scores is not None

    def top(self, k: int) -> Candidates:
        """The first ``k`` (all of them when fewer)."""
        k = max(k, 0)
        return Candidates(self.indices[:k], None if self.scores is None else self.scores[:k])

    def where(self, keep: NDArray[np.bool_]) -> Candidates:
        """The candidates where ``keep`` (aligned with them) is True, in the current order."""
        if keep.shape != self.indices.shape:
            raise ValueError(f"a mask of {keep.size} for {self.indices.size} candidates")
        return Candidates(self.indices[keep], None if self.scores is None else self.scores[keep])

    def restricted_to(self, allowed: ArrayLike, n_items: int) -> Candidates:
        """Only the candidates also in ``allowed`` (catalog indices), in the current order."""
        mask = np.zeros(n_items, dtype=bool)
        mask[np.asarray(allowed, dtype=np.int64)] = True
        return self.where(mask[self.indices])

    def ids(self, catalog: Catalog) -> list[str]:
        """The catalog ids, in order (what leaves the process)."""
        return [catalog.at(int(i)).id for i in self.indices]

    def to_lists(self) -> tuple[list[int], list[float] | None]:
        """Plain lists (indices, scores or None) for JSON and pydantic state."""
        return self.indices.tolist(), None if self.scores is None else self.scores.tolist()

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Candidates):
            return NotImplemented
        if not np.array_equal(self.indices, other.indices) or (self.scores is None) != (other.scores is None):
            return False
        return self.scores is None or other.scores is None or np.array_equal(self.scores, other.scores)

    __hash__ = None  # type: ignore[assignment]  # equal by content, mutable-looking arrays: unhashable

    def __repr__(self) -> str:
        shown = ", ".join(str(i) for i in self.indices[:5].tolist())
        more = f", ... {len(self) - 5} more" if len(self) > 5 else ""
        return f"Candidates([{shown}{more}], ranked={self.is_ranked})"
