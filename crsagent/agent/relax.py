"""Reflection helpers: which constraint to drop when nothing matches, and an LLM plan's ranking as evidence."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from crsagent.agent.memory import Memory
from crsagent.agent.state import TurnWork
from crsagent.tools.bus import BusState

if TYPE_CHECKING:
    from crsagent.agent.runtime import AgentRuntime


def relax_once(memory: Memory) -> tuple[Memory, str] | None:
    """Drop the oldest hard constraint, or None when none is left.

    What the user asked for most recently goes last: a year bound or a wanted value from an earlier
    turn goes first (a year bound before a value of the same turn: it is usually the narrowest),
    then a refused value ("no horror"), oldest first. The dropped constraint leaves the memory for
    good; the reply says which it was.
    """
    relaxed = memory.model_copy(deep=True)
    oldest = relaxed.turns + 1
    wanted: list[tuple[int, int, str]] = []
    for order, bound in enumerate(("year_max", "year_min")):
        if getattr(relaxed, bound) is not None:
            wanted.append((relaxed.since.get(bound, 0), order, bound))
    wanted += [(relaxed.since.get(key, 0), 2 + i, key) for i, key in enumerate(relaxed.accepted)]
    if wanted:
        _, _, key = min(wanted)
        if key == "year_max":
            description = f"dropped 'before {(relaxed.year_max or 0) + 1}'"
            relaxed.year_max = None
        elif key == "year_min":
            description = f"dropped 'from {relaxed.year_min}'"
            relaxed.year_min = None
        else:
            relaxed.accepted.remove(key)
            description = f"dropped '{key.split(':', 1)[1]}'"
        relaxed.since.pop(key, None)
        return relaxed, description
    if relaxed.rejected:
        key = min(relaxed.rejected, key=lambda k: relaxed.since.get(k, oldest))
        relaxed.rejected.remove(key)
        relaxed.since.pop(key, None)
        return relaxed, f"allowed '{key.split(':', 1)[1]}' again"
    return None


def tool_shift(rt: AgentRuntime, bus: BusState, work: TurnWork) -> NDArray[np.float64]:
    """Log-score bonus per item from an LLM plan: its tools' ranking and the items it suggested.

    A ranked bus gives ``tool_weight`` to its first item, falling linearly to 0 at its last; each
    grounded suggestion of the LLM's own gets ``tool_weight`` too.
    """
    shift = np.zeros(rt.kg.n_items)
    weight = rt.config.tool_weight
    if bus.scores is not None and bus.candidates:
        listed = np.asarray(bus.candidates, dtype=np.int64)
        shift[listed] = weight * (1.0 - np.arange(listed.size) / max(listed.size, 1))
    catalog = rt.dataset.catalog
    for item_id in work.suggested:
        shift[catalog.index_of(item_id)] += weight
    return shift
