"""Explanations as graph paths: "shares director Z with X, which you liked"."""

from __future__ import annotations

import math
from collections.abc import Sequence

import networkx as nx
from pydantic import BaseModel, ConfigDict, Field

from crsagent.knowledge_graph.graph import KnowledgeGraph, item_node


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

    Paths item - value - liked item come from the networkx graph (common neighbours of the two item
    nodes); a value the user accepted that the item carries is a path of length one.
    """
    graph = kg.graph
    catalog = kg.catalog
    target = catalog.at(item)
    reasons: list[Explanation] = []
    item_values = set(kg.item_values(item).tolist())
    for value_id in accepted_values:
        if value_id in item_values:
            value = kg.values[value_id]
            reasons.append(
                Explanation(
                    item_id=target.id,
                    value=value.key,
                    relation=value.type,
                    weight=_specificity(kg, value_id) + 1.0,  # asked-for values come first
                    text=f"has {value.type} {value.value}, which you asked for",
                )
            )
    for liked in liked_items:
        if liked == item:
            continue
        liked_item = catalog.at(liked)
        for node in nx.common_neighbors(graph, item_node(item), item_node(liked)):
            value_id = int(node[1])
            value = kg.values[value_id]
            reasons.append(
                Explanation(
                    item_id=target.id,
                    value=value.key,
                    relation=value.type,
                    liked_item_id=liked_item.id,
                    weight=_specificity(kg, value_id),
                    text=f"shares {value.type} {value.value} with {liked_item.title}, which you liked",
                )
            )
    reasons.sort(key=lambda r: (-r.weight, r.value, r.liked_item_id or ""))
    return reasons[:limit]


def connecting_path(kg: KnowledgeGraph, source: int, target: int, *, max_hops: int = 4) -> list[str] | None:
    """The shortest item-value-...-item path between two items as labels, or None beyond ``max_hops``."""
    try:
        nodes = nx.shortest_path(kg.graph, item_node(source), item_node(target))
    except nx.NetworkXNoPath:
        return None
    if len(nodes) - 1 > max_hops:
        return None
    labels = []
    for kind, index in nodes:
        labels.append(kg.catalog.at(index).title if kind == "item" else kg.values[index].key)
    return labels
