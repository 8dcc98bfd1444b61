"""Reply templates: titles in reading order, reasons that prefer telling relations."""

from __future__ import annotations

from crsagent.agent.templates import reading_title, reasons_for
from crsagent.data.catalog import Catalog
from crsagent.data.item import Item
from crsagent.knowledge_graph.graph import KnowledgeGraph


def test_titles_read_with_the_article_first_and_keep_their_year() -> None:
    assert reading_title("Shawshank Redemption, The (1994)") == "The Shawshank Redemption (1994)"
    assert reading_title("Matrix, The") == "The Matrix"
    assert reading_title("Heat (1995)") == "Heat (1995)"
    # Alternate names are for matching, not for reading.
    assert reading_title("Léon: The Professional (a.k.a. The Professional) (Léon) (1994)") == (
        "Léon: The Professional (1994)"
    )
    # Brackets that touch the name are part of it, not an alternate (crs-lastfm's "f(x)").
    assert reading_title("f(x)") == "f(x)"
    assert reading_title("Frontière(s) (2007)") == "Frontière(s) (2007)"


def test_a_shared_year_is_a_reason_only_when_nothing_better_links_the_items() -> None:
    items = [
        Item(id="liked", title="Heat", attributes={"year": ["1995"], "cast": ["Al Pacino"]}),
        Item(id="both", title="B", attributes={"year": ["1995"], "cast": ["Al Pacino"]}),
        Item(id="year", title="C", attributes={"year": ["1995"]}),
    ]
    kg = KnowledgeGraph(Catalog(items, name="tiny"))
    assert reasons_for(kg, 1, [0], []) == ["shares cast Al Pacino with Heat, which you liked"]
    assert reasons_for(kg, 2, [0], []) == ["shares year 1995 with Heat, which you liked"]


def test_items_are_named_by_what_the_catalog_holds() -> None:
    from crsagent.agent.templates import item_noun

    assert [item_noun(n) for n in ("ml-latest-small", "crs-lastfm", "demo", "shoes")] == [
        "film",
        "artist",
        "film",
        "item",
    ]
