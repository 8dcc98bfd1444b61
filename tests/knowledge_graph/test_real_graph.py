from __future__ import annotations

import numpy as np
import pytest

from crsagent.data.dataset import Dataset
from crsagent.knowledge_graph.explain import explain
from crsagent.knowledge_graph.graph import KnowledgeGraph
from crsagent.knowledge_graph.pagerank import personalized_pagerank


@pytest.mark.real_data
def test_lastfm_graph_has_the_33_tags(lastfm: Dataset) -> None:
    kg = KnowledgeGraph.from_dataset(lastfm)
    assert kg.n_items == 7432
    assert kg.n_values == 33
    assert {v.type for v in kg.values} == {"tag"}
    assert kg.value_counts[kg.value_id("tag:rock")] == 3671
    assert kg.values_per_item.min() >= 2


@pytest.mark.real_data
def test_movielens_graph_explains_with_typed_values(movielens: Dataset) -> None:
    kg = KnowledgeGraph.from_dataset(movielens)
    assert {"genre", "director", "cast", "decade"} <= {v.type for v in kg.values}
    toy_story, toy_story_2 = movielens.catalog.index_of("1"), movielens.catalog.index_of("3114")
    reasons = explain(kg, toy_story_2, liked_items=[toy_story])
    assert reasons and all("Toy Story (1995), which you liked" in r.text for r in reasons)
    # A rare shared value (a person, the "pixar" tag) says more than a shared genre: it comes first.
    assert reasons[0].relation not in {"genre", "decade", "year"}
    scores, _ = personalized_pagerank(kg, [toy_story])
    assert toy_story_2 in np.argsort(-scores)[:21]  # the liked film itself holds the top score
