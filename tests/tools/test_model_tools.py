from __future__ import annotations

from pathlib import Path

import pytest

from crsagent.data import Dataset
from crsagent.data.candidates import Candidates
from crsagent.knowledge_graph.graph import KnowledgeGraph
from crsagent.recommenders.ease import EASE
from crsagent.tools.context import ToolContext
from crsagent.tools.embeddings import HashingEmbedder
from crsagent.tools.toolbox import Toolbox
from crsagent.tools.vector_index import VectorIndex
from tests.tools.toy import dataset


@pytest.fixture
def toolbox(tmp_path: Path) -> Toolbox:
    data = dataset()
    vectors = VectorIndex.open(data.catalog, HashingEmbedder(), cache_dir=tmp_path)
    recommender = EASE().fit(data.splits["train"], len(data.catalog))
    graph = KnowledgeGraph.from_dataset(data)
    return Toolbox(ToolContext.create(data, tmp_path, vectors=vectors, recommender=recommender, graph=graph))


def test_model_tools_are_offered_when_their_models_exist(toolbox: Toolbox, tmp_path: Path) -> None:
    assert list(toolbox.tools) == [
        "search_catalog",
        "sql_query",
        "item_info",
        "semantic_search",
        "rank_candidates",
        "similar_items",
    ]
    bare = Toolbox(ToolContext.create(dataset(), tmp_path))
    assert list(bare.tools) == ["search_catalog", "sql_query", "item_info"]


def test_semantic_search_orders_by_description(toolbox: Toolbox) -> None:
    out = toolbox.call("semantic_search", {"text": "astronauts in space", "k": 2, "keep": 3})
    assert out.ok, out.error
    assert out.item_ids == ["a", "b"]
    assert len(toolbox.context.bus) == 3
    assert out.scores[0] >= out.scores[1]


def test_rank_candidates_uses_collaborative_signal_and_skips_liked(toolbox: Toolbox) -> None:
    out = toolbox.call("rank_candidates", {"liked_titles": ["Wedding Plans"], "k": 3})
    assert out.ok, out.error
    assert out.item_ids[0] == "d"  # co-liked with "c" in train
    assert "c" not in out.item_ids
    log = toolbox.context.bus.log[-1]
    assert (log.tool, log.size_before, log.size_after) == ("rank_candidates", 4, 3)


def test_rank_after_filter_only_ranks_what_is_left(toolbox: Toolbox) -> None:
    toolbox.call("search_catalog", {"include": [{"type": "genre", "value": "sci-fi"}]})
    out = toolbox.call("rank_candidates", {"liked_item_ids": ["c"], "liked_titles": ["Nonexistent Film"]})
    assert out.ok
    assert sorted(out.item_ids) == ["a", "b"]
    assert out.notices == ["not in catalog: Nonexistent Film"]


def test_similar_items_by_graph_and_by_users(toolbox: Toolbox) -> None:
    by_graph = toolbox.call("similar_items", {"titles": ["Space Station"], "k": 1})
    assert by_graph.ok, by_graph.error
    assert by_graph.item_ids == ["b"]  # the other Sci-Fi item shares the genre node
    toolbox.context.bus.current = Candidates.everything(len(toolbox.context.catalog))
    by_users = toolbox.call("similar_items", {"item_ids": ["c"], "method": "item-item", "k": 1})
    assert by_users.ok and by_users.item_ids == ["d"]
    nothing = toolbox.call("similar_items", {"titles": ["Unknown Thing"]})
    assert not nothing.ok and nothing.error == "no seed item could be placed in the catalog"


def test_model_tool_bad_input(toolbox: Toolbox) -> None:
    out = toolbox.call("semantic_search", {"text": ""})
    assert not out.ok and out.error is not None and "text" in out.error
    out = toolbox.call("rank_candidates", {"liked_item_ids": ["zzz"]})
    assert not out.ok and out.error is not None and "'zzz' is not in catalog" in out.error


@pytest.mark.real_data
def test_tools_run_on_lastfm(lastfm: Dataset, tmp_path: Path) -> None:
    recommender = EASE().fit(lastfm.splits["train"], len(lastfm.catalog))
    box = Toolbox(ToolContext.create(lastfm, tmp_path, recommender=recommender))
    out = box.call("search_catalog", {"include": [{"type": "tag", "value": "Electronic"}], "limit": 5})
    assert out.ok and len(out.item_ids) == 5
    assert all("electronic" in lastfm.catalog.get(i).values("tag") for i in out.item_ids)
    ranked = box.call("rank_candidates", {"liked_item_ids": out.item_ids[:2], "k": 5})
    assert ranked.ok and len(ranked.item_ids) == 5
    assert set(ranked.item_ids).isdisjoint(out.item_ids[:2])


@pytest.mark.real_data
def test_tools_run_on_movielens(movielens: Dataset, tmp_path: Path) -> None:
    box = Toolbox(ToolContext.create(movielens, tmp_path))
    out = box.call("search_catalog", {"include": [{"type": "director", "value": "nolan"}], "year_max": 2008})
    assert out.ok
    titles = [movielens.catalog.get(i).title for i in out.item_ids]
    assert "Memento (2000)" in titles and "Dark Knight, The (2008)" in titles
    info = box.call("item_info", {"titles": ["The Dark Knight"]})
    assert info.ok and "Heath Ledger" in info.summary
