"""Personalized PageRank over the item-value graph (the G-CRS idea) as a retrieval function.

A walk restarts at the liked items and values; items that many short paths reach from them score
high. The walk runs on the sparse bipartite adjacency (items first, then values), so one query
costs a few sparse mat-vecs; ``networkx.pagerank`` gives the same numbers on ``kg.graph``.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray
from pydantic import BaseModel, ConfigDict, Field

from crsagent.errors import CrsAgentError
from crsagent.knowledge_graph.graph import KnowledgeGraph


class PageRankQuery(BaseModel):
    """What to start the walk from, and how many items to return (a tool's input model)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    liked_item_ids: list[str] = Field(
        default_factory=list, description="Catalog ids of items the user liked."
    )
    liked_values: list[str] = Field(
        default_factory=list,
        description="Attribute values the user wants, as 'type:value' (e.g. 'genre:Comedy').",
    )
    k: int = Field(default=10, ge=1, le=1000, description="How many items to return.")
    damping: float = Field(
        default=0.85, gt=0.0, lt=1.0, description="Probability of following an edge rather than restarting."
    )
    exclude_liked: bool = Field(
        default=True, description="Leave the liked items themselves out of the result."
    )


class ScoredItem(BaseModel):
    """One retrieved item."""

    model_config = ConfigDict(frozen=True)

    item_id: str = Field(description="Catalog id.")
    title: str = Field(description="Display title.")
    score: float = Field(description="Stationary probability of the walk at this item.")


@lru_cache(maxsize=4)
def _transition(kg: KnowledgeGraph) -> tuple[sp.csr_matrix, NDArray[np.bool_]]:
    """Column-stochastic transition matrix of the bipartite graph, and which nodes have no edge."""
    incidence = kg.incidence.astype(np.float64)
    adjacency = sp.bmat([[None, incidence], [incidence.T, None]], format="csr")
    degree = np.asarray(adjacency.sum(axis=0)).ravel()
    dangling = degree == 0
    inverse = np.divide(1.0, degree, out=np.zeros_like(degree), where=~dangling)
    return sp.csr_matrix(adjacency @ sp.diags(inverse)), dangling


def personalized_pagerank(
    kg: KnowledgeGraph,
    seed_items: Sequence[int] | NDArray[np.int64],
    seed_values: Sequence[int] | NDArray[np.int64] | None = None,
    *,
    damping: float = 0.85,
    tolerance: float = 1e-10,
    max_iterations: int = 200,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Stationary (item scores, value scores) of a walk restarting uniformly at the seeds.

    Mass that reaches a node without edges (an item with no attribute) restarts, as in networkx.
    """
    items = np.asarray(seed_items, dtype=np.int64)
    values = np.asarray([] if seed_values is None else seed_values, dtype=np.int64)
    if items.size + values.size == 0:
        raise CrsAgentError("personalized PageRank needs at least one liked item or value to start from")
    n = kg.n_items + kg.n_values
    restart = np.zeros(n)
    restart[items] += 1.0
    restart[kg.n_items + values] += 1.0
    restart /= restart.sum()
    transition, dangling = _transition(kg)
    rank = restart.copy()
    for _ in range(max_iterations):
        following = transition @ rank
        lost = rank[dangling].sum()
        updated = damping * (following + lost * restart) + (1.0 - damping) * restart
        change = np.abs(updated - rank).sum()
        rank = updated
        if change < tolerance:
            break
    return rank[: kg.n_items], rank[kg.n_items :]


def retrieve_by_pagerank(kg: KnowledgeGraph, query: PageRankQuery) -> list[ScoredItem]:
    """The ``query.k`` items a walk from the liked items and values reaches most often."""
    catalog = kg.catalog
    liked = [catalog.index_of(item_id) for item_id in query.liked_item_ids]
    values = [kg.value_id(key) for key in query.liked_values]
    scores, _ = personalized_pagerank(kg, liked, values, damping=query.damping)
    if query.exclude_liked and liked:
        scores = scores.copy()
        scores[liked] = -np.inf
    order = np.lexsort((np.arange(len(scores)), -scores))[: query.k]
    return [
        ScoredItem(item_id=catalog.at(int(i)).id, title=catalog.at(int(i)).title, score=float(scores[i]))
        for i in order
        if np.isfinite(scores[i]) and scores[i] > 0
    ]
