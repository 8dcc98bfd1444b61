"""Personalized PageRank over the item-value graph (the G-CRS idea): per-item and per-value scores.

A walk restarts at the liked items and values; items that many short paths reach from them score
high. On a graph of up to ``EXACT_MAX_ENTRIES`` item-value edges the walk is iterated to its
stationary vector on the sparse bipartite adjacency (``networkx.pagerank`` gives the same numbers
on ``kg.graph``). A larger graph would need ~140 passes over every edge per query (seconds at a
million items), so there the vector comes from the local forward push of Andersen, Chung and Lang:
only nodes holding residual mass above ``push_threshold`` times their degree spread it, which
touches the neighbourhood of the seeds rather than the catalog; each score is then within
``push_threshold`` x degree of the stationary one.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from crsagent.errors import CrsAgentError
from crsagent.knowledge_graph.graph import KnowledgeGraph

# Item-value edges up to which the exact power iteration runs (the local push beyond).
EXACT_MAX_ENTRIES = 2_000_000
# Residual per unit of degree below which the push leaves mass where it is (large graphs).
DEFAULT_PUSH_THRESHOLD = 1e-6


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
    push_threshold: float | None = None,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Stationary (item scores, value scores) of a walk restarting uniformly at the seeds.

    Mass that reaches a node without edges (an item with no attribute) restarts, as in networkx.
    ``push_threshold``: use the local push with this threshold; None: the exact iteration up to
    ``EXACT_MAX_ENTRIES`` edges, the push with ``DEFAULT_PUSH_THRESHOLD`` beyond.
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
    if push_threshold is None and kg.incidence.nnz > EXACT_MAX_ENTRIES:
        push_threshold = DEFAULT_PUSH_THRESHOLD
    if push_threshold is not None:
        return _forward_push(kg, restart, damping, push_threshold, max_rounds=max_iterations * 5)
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


def _forward_push(
    kg: KnowledgeGraph, restart: NDArray[np.float64], damping: float, threshold: float, *, max_rounds: int
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Personalized PageRank by synchronous forward push on the bipartite incidence.

    Invariant: scores + PPR(residual) = the stationary vector. Each round, every node whose residual
    exceeds ``threshold`` x its degree keeps (1 - damping) of it and spreads the rest evenly over its
    edges (items to their values through CSR rows, values to their items through CSC columns).
    """
    if threshold <= 0:
        raise CrsAgentError(f"the push threshold must be positive, got {threshold}")
    n_items = kg.n_items
    item_degree = kg.values_per_item.astype(np.float64)
    value_degree = kg.value_counts.astype(np.float64)
    residual = restart.copy()
    scores = np.zeros_like(restart)
    for _ in range(max_rounds):
        items = np.flatnonzero(residual[:n_items] > threshold * np.maximum(item_degree, 1.0))
        values = np.flatnonzero(residual[n_items:] > threshold * np.maximum(value_degree, 1.0))
        if items.size + values.size == 0:
            break
        item_mass = residual[items]
        value_mass = residual[n_items + values]
        residual[items] = 0.0
        residual[n_items + values] = 0.0
        scores[items] += (1.0 - damping) * item_mass
        scores[n_items + values] += (1.0 - damping) * value_mass
        # A node without edges sends its walk back to the seeds.
        stranded = float(
            item_mass[item_degree[items] == 0].sum() + value_mass[value_degree[values] == 0].sum()
        )
        if stranded:
            residual += damping * stranded * restart
        with np.errstate(divide="ignore", invalid="ignore"):
            item_share = np.where(item_degree[items] > 0, damping * item_mass / item_degree[items], 0.0)
            value_share = np.where(value_degree[values] > 0, damping * value_mass / value_degree[values], 0.0)
        if items.size:
            residual[n_items:] += np.asarray(kg.incidence[items].T @ item_share).ravel()
        if values.size:
            residual[:n_items] += np.asarray(kg.incidence_csc[:, values] @ value_share).ravel()
    return scores[:n_items], scores[n_items:]
