"""Tools over models: free-text semantic retrieval and recommender ranking of the current candidates."""

from __future__ import annotations

from typing import Literal

import numpy as np
from numpy.typing import NDArray
from pydantic import BaseModel, Field

from crsagent.data.candidates import Candidates
from crsagent.tools.base import Tool, ToolOutput
from crsagent.tools.context import ToolContext, describe_item

SHOW = (1, 50)
KEEP = (1, 2000)


def _shown(context: ToolContext, tool: str, header: str, k: int) -> ToolOutput:
    """The top ``k`` of the bus as a tool output."""
    bus = context.bus
    top = bus.current.top(k)
    items = [context.catalog.at(int(i)) for i in top.indices]
    scores = [] if top.scores is None else [round(float(s), 4) for s in top.scores]
    return ToolOutput(
        tool=tool,
        summary="\n".join([header, *(describe_item(item) for item in items)]),
        item_ids=[item.id for item in items],
        scores=scores,
        data={"candidates": len(bus)},
    )


class SemanticSearchInput(BaseModel):
    """Free-text wishes, matched against item descriptions."""

    text: str = Field(min_length=1, max_length=2000, description="What the user wants, in their words.")
    k: int = Field(default=10, description="How many of the best matches to show.")
    keep: int = Field(default=200, description="How many best matches stay candidates.")


def semantic_search_tool(context: ToolContext) -> Tool[SemanticSearchInput]:
    """``semantic_search``: rank the candidates by similarity of their description to the text."""
    vectors = context.vectors
    if vectors is None:
        raise ValueError("semantic_search needs a vector index in the tool context")

    def run(request: SemanticSearchInput) -> ToolOutput:
        query = vectors.embed_queries([request.text])[0]
        bus = context.bus
        similarity = vectors.matrix()[bus.candidates] @ query
        bus.rank(similarity, top=request.keep)
        return _shown(
            context, "semantic_search", f"{len(bus)} candidates kept, most similar first:", request.k
        )

    return Tool(
        name="semantic_search",
        description=(
            "Order the current candidates by how well their description (title, attributes, plot) matches "
            "free-text wishes, keeping the best ones. Use for moods, themes and plots, not hard conditions."
        ),
        input_model=SemanticSearchInput,
        function=run,
        clamp={"k": SHOW, "keep": KEEP},
    )


def _ranked_for(
    context: ToolContext,
    tool: str,
    seeds: list[int],
    unplaced: list[str],
    scores: NDArray[np.floating],
    k: int,
    keep: int | None = None,
) -> ToolOutput:
    """Rank the bus by ``scores`` (aligned with it), leaving out the seed items themselves: the liked
    items are not recommendations."""
    bus = context.bus
    is_seed = np.isin(bus.candidates, seeds)
    bus.current = Candidates.ranked(bus.candidates[~is_seed], scores[~is_seed], top=keep)
    output = _shown(context, tool, f"{len(bus)} candidates ranked for {len(seeds)} liked items:", k)
    if unplaced:
        output.notices.append(f"not in catalog: {', '.join(unplaced)}")
    return output


class RankInput(BaseModel):
    """Whose taste to rank for: liked items by id or by name."""

    liked_item_ids: list[str] = Field(default_factory=list, max_length=200, description="Catalog ids liked.")
    liked_titles: list[str] = Field(
        default_factory=list, max_length=50, description="Names of liked items, grounded to the catalog."
    )
    k: int = Field(default=10, description="How many of the best-ranked candidates to show.")


def rank_candidates_tool(context: ToolContext) -> Tool[RankInput]:
    """``rank_candidates``: the recommender scores the current candidates for a history."""
    recommender = context.recommender
    if recommender is None:
        raise ValueError("rank_candidates needs a fitted recommender in the tool context")

    def run(request: RankInput) -> ToolOutput:
        history, unplaced = context.ids_for(request.liked_item_ids, request.liked_titles)
        scores = recommender.score(np.asarray(history, dtype=np.int64), context.bus.candidates)
        return _ranked_for(context, "rank_candidates", history, unplaced, scores, request.k)

    return Tool(
        name="rank_candidates",
        description=(
            "Rank the current candidates with the collaborative recommender for the items the user liked "
            "(by id or by name). Use after filtering, to order what is left."
        ),
        input_model=RankInput,
        function=run,
        clamp={"k": SHOW},
    )


class SimilarInput(BaseModel):
    """Seed items to find similar ones for."""

    item_ids: list[str] = Field(default_factory=list, max_length=50, description="Catalog ids of seed items.")
    titles: list[str] = Field(default_factory=list, max_length=20, description="Names of seed items.")
    method: Literal["graph", "item-item"] = Field(
        default="graph",
        description="graph: shared attributes (personalized PageRank); item-item: co-liked by users.",
    )
    k: int = Field(default=10, description="How many similar items to show.")
    keep: int = Field(default=200, description="How many most similar items stay candidates.")


def similar_items_tool(context: ToolContext) -> Tool[SimilarInput]:
    """``similar_items``: "more like X" by graph walk or by the collaborative model."""
    graph = context.graph
    if graph is None:
        raise ValueError("similar_items needs the knowledge graph in the tool context")

    def run(request: SimilarInput) -> ToolOutput:
        from crsagent.knowledge_graph.pagerank import personalized_pagerank

        seeds, unplaced = context.ids_for(request.item_ids, request.titles)
        if not seeds:
            return ToolOutput.failure("similar_items", "no seed item could be placed in the catalog")
        candidates = context.bus.candidates
        if request.method == "item-item":
            if context.recommender is None:
                return ToolOutput.failure("similar_items", "item-item similarity needs a fitted recommender")
            scores = context.recommender.score(np.asarray(seeds, dtype=np.int64), candidates)
        else:
            item_scores, _ = personalized_pagerank(graph, seeds)
            scores = item_scores[candidates]
        return _ranked_for(context, "similar_items", seeds, unplaced, scores, request.k, request.keep)

    return Tool(
        name="similar_items",
        description=(
            "Order the current candidates by similarity to seed items ('more like X'): through shared "
            "attributes in the knowledge graph, or through users who liked both (item-item)."
        ),
        input_model=SimilarInput,
        function=run,
        clamp={"k": SHOW, "keep": KEEP},
    )
