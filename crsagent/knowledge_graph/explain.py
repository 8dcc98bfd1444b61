"""Explanations as graph paths: "shares director Z with X, which you liked".

Paths are read off the sparse incidence (an item's values are a slice of a CSR row), never off a
networkx graph of the whole catalog: building that takes seconds and gigabytes at 100k items.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray
from pydantic import BaseModel, ConfigDict, Field

from crsagent.data.titles import reading_title
from crsagent.knowledge_graph.graph import KnowledgeGraph


class Explanation(BaseModel):
    """One reason to recommend an item, read off a path of the knowledge graph."""

    model_config = ConfigDict(frozen=True)

    item_id: str = Field(description="The recommended item's catalog id.")
    value: str = Field(description="The attribute value on the path, as 'type:value'.")
    relation: str = Field(description="The attribute type of that value ('director', 'tag').")
    liked_item_id: str | None = Field(
        default=None,
        description="The liked item at the path's other end; None for a value the user asked for.",
    )
    weight: float = Field(
        description="How telling the path is: rarer shared values weigh more (log inverse frequency)."
    )
    text: str = Field(description="The reason as a sentence fragment.")


def _specificity(kg: KnowledgeGraph, value_id: int) -> float:
    # A value most items share (a genre) says little; one few items share (a director) says much.
    return math.log((kg.n_items + 1) / (int(kg.value_counts[value_id]) + 1))


def explain(
    kg: KnowledgeGraph,
    item: int,
    *,
    liked_items: Sequence[int] = (),
    accepted_values: Sequence[int] = (),
    limit: int = 3,
) -> list[Explanation]:
    """Up to ``limit`` reasons for recommending ``item``, most telling first.

    Paths item - value - liked item are the values the two items share (their common neighbours);
    a value the user accepted that the item carries is a path of length one.
    """
    target = kg.catalog.at(item)

    def reason(value_id: int, verb: str, tail: str, liked_id: str | None = None) -> Explanation:
        value = kg.values[value_id]
        return Explanation(
            item_id=target.id,
            value=value.key,
            relation=value.type,
            liked_item_id=liked_id,
            # Asked-for values (no liked item) come first.
            weight=_specificity(kg, value_id) + (1.0 if liked_id is None else 0.0),
            text=f"{verb} {value.type} {value.value}{tail}",
        )

    item_values = set(kg.item_values(item).tolist())
    reasons = [reason(v, "has", ", which you asked for") for v in accepted_values if v in item_values]
    for liked in liked_items:
        if liked != item:
            liked_item = kg.catalog.at(liked)
            tail = f" with {reading_title(liked_item.title)}, which you liked"
            reasons += [reason(v, "shares", tail, liked_item.id) for v in kg.shared_values(item, liked)]
    reasons.sort(key=lambda r: (-r.weight, r.value, r.liked_item_id or ""))
    return reasons[:limit]


def connecting_path(kg: KnowledgeGraph, source: int, target: int, *, max_hops: int = 4) -> list[str] | None:
    """A shortest item-value-...-item path between two items as labels, or None beyond ``max_hops``.

    Breadth-first over the sparse incidence, one item layer (two hops) per step, each step a few
    vectorised slices: a value shared by 100k items is one slice, not 100k node visits. Of several
    shortest paths, the one through the lowest ids is returned.
    """
    if source == target:
        return [kg.catalog.at(source).title]
    value_parent = np.full(kg.n_values, -1, dtype=np.int64)  # the item a value was reached from
    item_parent = np.full(kg.n_items, -1, dtype=np.int64)  # the value an item was reached through
    item_parent[source] = -2  # seen: the start
    frontier = np.array([source], dtype=np.int64)
    for _ in range(max_hops // 2):
        rows = kg.incidence[frontier].tocoo()
        values, first = np.unique(rows.col, return_index=True)
        fresh = value_parent[values] == -1
        values = values[fresh]
        value_parent[values] = frontier[rows.row[first[fresh]]]
        if values.size == 0:
            return None
        columns = kg.incidence_csc[:, values].tocoo()
        items, first = np.unique(columns.row, return_index=True)
        fresh = item_parent[items] == -1
        items = items[fresh].astype(np.int64)
        item_parent[items] = values[columns.col[first[fresh]]]
        if item_parent[target] != -1:
            return _labels(kg, value_parent, item_parent, target)
        if items.size == 0:
            return None
        frontier = items
    return None


def _labels(
    kg: KnowledgeGraph, value_parent: NDArray[np.int64], item_parent: NDArray[np.int64], target: int
) -> list[str]:
    labels = [kg.catalog.at(target).title]
    item = target
    while item_parent[item] >= 0:
        value = int(item_parent[item])
        item = int(value_parent[value])
        labels += [kg.values[value].key, kg.catalog.at(item).title]
    return labels[::-1]
