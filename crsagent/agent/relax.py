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
    """Drop the constraint most likely to be the over-specific one, or None when none is left.

    Year bounds go first (the narrowest filters in practice), then the most recently accepted value,
    then the most recently rejected one. The dropped constraint leaves the memory for good; the
    reply says which it was.
    """
    relaxed = memory.model_copy(deep=True)
    if relaxed.year_max is not None:
        description = f"dropped 'before {relaxed.year_max + 1}'"
        relaxed.year_max = None
    elif relaxed.year_min is not None:
        description = f"dropped 'from {relaxed.year_min}'"
        relaxed.year_min = None
    elif relaxed.accepted:
        key = relaxed.accepted.pop()
        description = f"dropped '{key.split(':', 1)[1]}'"
    elif relaxed.rejected:
        key = relaxed.rejected.pop()
        description = f"allowed '{key.split(':', 1)[1]}' again"
    else:
        return None
    return relaxed, description


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
