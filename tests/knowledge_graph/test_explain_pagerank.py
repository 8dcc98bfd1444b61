from __future__ import annotations

import networkx as nx
import numpy as np
import pytest

from crsagent.errors import CrsAgentError
from crsagent.knowledge_graph.explain import connecting_path, explain
from crsagent.knowledge_graph.graph import KnowledgeGraph, item_node, value_node
from crsagent.knowledge_graph.pagerank import personalized_pagerank
from tests.knowledge_graph.test_graph import movies
from tests.knowledge_graph.tiny_data import tiny_dataset


def test_explanation_names_the_shared_value_and_the_liked_item() -> None:
    kg = movies()
    reasons = explain(kg, 1, liked_items=[0])
    # The director is rarer than the genre (both shared), so it comes first.
    assert reasons[0].text == "shares director Nora Ephron with Sleepless in Seattle, which you liked"
    assert reasons[0].liked_item_id == "m1"
    assert reasons[1].value == "genre:Romance"
    assert reasons[0].weight > reasons[1].weight


def test_asked_for_values_come_first_and_unrelated_items_give_nothing() -> None:
    kg = movies()
    comedy = kg.value_id("genre:Comedy")
    reasons = explain(kg, 1, liked_items=[0], accepted_values=[comedy], limit=5)
    assert reasons[0].text == "has genre Comedy, which you asked for"
    assert len(reasons) == 3
    assert explain(kg, 2, liked_items=[0]) == []


def test_connecting_path_walks_item_value_item() -> None:
    kg = movies()
    assert connecting_path(kg, 0, 1) in (
        ["Sleepless in Seattle", "director:Nora Ephron", "You've Got Mail"],
        ["Sleepless in Seattle", "genre:Romance", "You've Got Mail"],
    )
    assert connecting_path(kg, 0, 2) is None  # no shared value anywhere


def test_personalized_pagerank_equals_networkx() -> None:
    kg = KnowledgeGraph(tiny_dataset().catalog)
    seeds_items, seeds_values = [0, 7], [2]
    items, values = personalized_pagerank(kg, seeds_items, seeds_values, damping=0.85)
    personalization = {item_node(i): 1.0 for i in seeds_items} | {value_node(v): 1.0 for v in seeds_values}
    reference = nx.pagerank(kg.graph, alpha=0.85, personalization=personalization, tol=1e-12, max_iter=500)
    expected_items = np.array([reference[item_node(i)] for i in range(kg.n_items)])
    expected_values = np.array([reference[value_node(v)] for v in range(kg.n_values)])
    assert np.allclose(items, expected_items, atol=1e-8)
    assert np.allclose(values, expected_values, atol=1e-8)
    assert items.sum() + values.sum() == pytest.approx(1.0)


def test_the_walk_scores_items_near_the_liked_ones_higher() -> None:
    kg = movies()
    scores, _ = personalized_pagerank(kg, [0])
    # You've Got Mail shares two values with the liked film, Notting Hill one; Heat and the
    # untitled item are unreachable.
    assert scores[1] > scores[4] > 0 and scores[2] == scores[3] == 0
    by_value, _ = personalized_pagerank(kg, [], [kg.value_id("director:Michael Mann")])
    assert int(np.argmax(by_value)) == 2
    with pytest.raises(CrsAgentError, match="at least one liked item or value"):
        personalized_pagerank(kg, [])


def test_the_local_push_approximates_the_stationary_vector() -> None:
    # Large catalogs use the push (a per-query cost near the seeds, not the catalog): it must
    # agree with the exact iteration within its threshold x degree.
    kg = KnowledgeGraph(tiny_dataset().catalog)
    exact_items, exact_values = personalized_pagerank(kg, [0, 7], [2])
    items, values = personalized_pagerank(kg, [0, 7], [2], push_threshold=1e-9)
    assert np.allclose(items, exact_items, atol=1e-6)
    assert np.allclose(values, exact_values, atol=1e-6)
    # A coarse push leaves mass unspread: never above the stationary scores, same top item.
    alone, _ = personalized_pagerank(kg, [0])
    coarse, _ = personalized_pagerank(kg, [0], push_threshold=1e-3)
    assert (coarse <= alone + 1e-12).all() and int(np.argmax(coarse)) == int(np.argmax(alone)) == 0
    with pytest.raises(CrsAgentError, match="push threshold"):
        personalized_pagerank(kg, [0], push_threshold=0.0)
