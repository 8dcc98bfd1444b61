"""Reflection helpers: which constraint to drop when nothing matches, and an LLM plan's ranking as evidence."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from crsagent.agent.memory import Memory
from crsagent.agent.state import TurnWork
from crsagent.data.catalog import Catalog
from crsagent.tools.bus import BusState

if TYPE_CHECKING:
    from crsagent.agent.runtime import AgentRuntime


def relax_once(memory: Memory) -> tuple[Memory, str] | None:
    """Drop the oldest hard constraint, or None when none is left.

    What the user asked for most recently goes last. Constraints are dropped by the turn they came
    from, oldest first; within a turn a year bound goes before a wanted value (it is usually the
    narrowest), and a refused value ("no horror") last. The dropped constraint leaves the memory for
    good; the reply says which it was.
    """
    relaxed = memory.model_copy(deep=True)
    options: list[tuple[int, int, str]] = []
    for order, bound in enumerate(("year_max", "year_min")):
        if getattr(relaxed, bound) is not None:
            options.append((relaxed.since.get(bound, 0), order, bound))
    options += [(relaxed.since.get(key, 0), 2, key) for key in relaxed.accepted]
    options += [(relaxed.since.get(key, 0), 3, key) for key in relaxed.rejected]
    if not options:
        return None
    _, _, key = min(options, key=lambda option: option[:2])
    relaxed.since.pop(key, None)
    if key == "year_max":
        description = f"'before {(relaxed.year_max or 0) + 1}'"
        relaxed.year_max = None
    elif key == "year_min":
        description = f"'from {relaxed.year_min}'"
        relaxed.year_min = None
    elif key in relaxed.accepted:
        relaxed.accepted.remove(key)
        description = f"'{key.split(':', 1)[1]}'"
    else:
        relaxed.rejected.remove(key)
        description = f"'no {key.split(':', 1)[1]}'"
    return relaxed, description


def set_aside_for_examples(memory: Memory, catalog: Catalog, examples: list[str]) -> tuple[Memory, list[str]]:
    """A film the user holds up as an example ("I loved Alien, something tense") that breaks a
    filter of an earlier turn means they moved on: those filters are set aside, and said.

    Only filters from before this turn go; a filter said in the same message stays ("a comedy like
    Alien" keeps Comedy).
    """
    if not examples:
        return memory, []
    items = [catalog.get(item_id) for item_id in examples]
    earlier = memory.turns
    kept = memory.model_copy(deep=True)
    dropped: list[str] = []
    for key in list(kept.accepted):
        if kept.since.get(key, 0) >= earlier:
            continue
        kind, value = key.split(":", 1)
        if not any(value in item.values(kind) for item in items):
            kept.accepted.remove(key)
            kept.since.pop(key, None)
            dropped.append(f"'{value}'")
    for bound in ("year_min", "year_max"):
        year = getattr(kept, bound)
        if year is None or kept.since.get(bound, 0) >= earlier:
            continue
        fits = [
            item.year is not None and (item.year >= year if bound == "year_min" else item.year <= year)
            for item in items
        ]
        if not any(fits):
            setattr(kept, bound, None)
            kept.since.pop(bound, None)
            dropped.append(f"'from {year}'" if bound == "year_min" else f"'up to {year}'")
    return kept, dropped


def tool_shift(rt: AgentRuntime, bus: BusState, work: TurnWork) -> NDArray[np.float64] | None:
    """Log-score bonus per item from an LLM plan: its tools' ranking and the items it suggested
    (None without either: an offline turn).

    A ranked bus gives ``tool_weight`` to its first item, falling linearly to 0 at its last; each
    grounded suggestion of the LLM's own gets ``tool_weight`` too.
    """
    ranked = bus.candidates if bus.scores is not None else None
    if not ranked and not work.suggested:
        return None
    shift = np.zeros(rt.kg.n_items)
    weight = rt.config.tool_weight
    if ranked:
        listed = np.asarray(ranked, dtype=np.int64)
        shift[listed] = weight * (1.0 - np.arange(listed.size) / max(listed.size, 1))
    catalog = rt.dataset.catalog
    for item_id in work.suggested:
        shift[catalog.index_of(item_id)] += weight
    return shift
