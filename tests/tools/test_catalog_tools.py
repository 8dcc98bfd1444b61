from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from crsagent.data import Catalog, Dataset, Interactions, Item
from crsagent.tools.bus import BusState, CandidateBus
from crsagent.tools.context import ToolContext
from crsagent.tools.toolbox import Toolbox
from crsagent.tools.vocabulary import UnknownValueError, Vocabulary


def tiny_dataset() -> Dataset:
    items = [
        Item(
            id="1",
            title="Inception (2010)",
            year=2010,
            popularity=9,
            attributes={"genre": ["Sci-Fi", "Action"], "director": ["Christopher Nolan"]},
        ),
        Item(
            id="2",
            title="Interstellar (2014)",
            year=2014,
            popularity=7,
            attributes={"genre": ["Sci-Fi", "Drama"], "director": ["Christopher Nolan"]},
        ),
        Item(
            id="3",
            title="Heat (1995)",
            year=1995,
            popularity=8,
            attributes={"genre": ["Action", "Crime"], "director": ["Michael Mann"]},
            text="A heist in LA.",
        ),
        Item(
            id="4",
            title="Amélie (2001)",
            year=2001,
            popularity=5,
            attributes={"genre": ["Comedy", "Romance"], "director": ["Jean-Pierre Jeunet"]},
        ),
        Item(
            id="5",
            title="Alien (1979)",
            year=1979,
            popularity=6,
            attributes={"genre": ["Horror", "Sci-Fi"], "director": ["Ridley Scott"]},
        ),
    ]
    empty = Interactions.from_pairs([], [])
    return Dataset(
        name="tiny",
        catalog=Catalog(items, name="tiny"),
        interactions=empty,
        positives=empty,
        splits={"train": empty},
    )


@pytest.fixture
def toolbox(tmp_path: Path) -> Toolbox:
    return Toolbox(ToolContext.create(tiny_dataset(), tmp_path))


def test_schemas_are_openai_function_tools(toolbox: Toolbox) -> None:
    schemas = toolbox.openai_schemas()
    assert [s["function"]["name"] for s in schemas] == ["search_catalog", "sql_query", "item_info"]
    search = schemas[0]["function"]["parameters"]
    assert "include" in search["properties"] and search["type"] == "object"


def test_search_narrows_the_bus_and_logs(toolbox: Toolbox) -> None:
    out = toolbox.call(
        "search_catalog", {"include": [{"type": "genre", "value": "sci-fi"}], "year_min": 2000}
    )
    assert out.ok, out.error
    assert out.item_ids == ["1", "2"]  # by popularity
    assert "2 candidates match" in out.summary and "Inception" in out.summary
    out = toolbox.call("search_catalog", {"exclude": [{"type": "director", "value": "nolan"}]})
    assert out.ok and out.item_ids == []  # narrowing is cumulative
    log = toolbox.context.bus.log
    assert [(r.tool, r.size_before, r.size_after) for r in log] == [
        ("search_catalog", 5, 2),
        ("search_catalog", 2, 0),
    ]


def test_bad_tool_input_is_a_structured_error(toolbox: Toolbox) -> None:
    out = toolbox.call("search_catalog", {"include": [{"type": "genre"}]})
    assert not out.ok
    assert out.error is not None and "include.0.value: Field required" in out.error
    out = toolbox.call("search_catalog", "{not json")
    assert not out.ok and out.error is not None and "not valid JSON" in out.error
    out = toolbox.call("search_catalog", {"include": [{"type": "genre", "value": "Polka"}]})
    assert not out.ok and out.error is not None and "'Polka' is not a known genre" in out.error
    out = toolbox.call("launch_rockets", {})
    assert not out.ok and out.error is not None and "unknown tool 'launch_rockets'" in out.error
    assert len(toolbox.context.bus) == 5  # failed calls change nothing
    assert [r.ok for r in toolbox.context.bus.log] == [False, False, False, False]


def test_limits_are_clamped_with_a_notice(toolbox: Toolbox) -> None:
    out = toolbox.call("search_catalog", {"limit": 5000})
    assert out.ok and len(out.item_ids) == 5
    assert out.notices == ["limit=5000 is outside 1..100; used 100"]


def test_sql_tool_is_read_only_and_can_narrow(toolbox: Toolbox) -> None:
    out = toolbox.call("sql_query", {"sql": "DROP TABLE items"})
    assert not out.ok and out.error is not None and "refused" in out.error
    out = toolbox.call("sql_query", {"sql": "SELECT id, title FROM items WHERE year < 2000", "narrow": True})
    assert out.ok and sorted(out.item_ids) == ["3", "5"]
    assert sorted(toolbox.context.bus.candidates.tolist()) == [2, 4]


def test_item_info_by_id_and_name(toolbox: Toolbox) -> None:
    out = toolbox.call("item_info", {"item_ids": ["3"], "titles": ["amelie", "Casablanca"]})
    assert out.ok
    assert out.item_ids == ["3", "4"]
    assert "Michael Mann" in out.summary and "A heist in LA." in out.summary
    assert out.data["not_in_catalog"] == ["Casablanca"]
    out = toolbox.call("item_info", {"item_ids": ["999"]})
    assert not out.ok and out.error is not None and "'999' is not in catalog" in out.error


def test_vocabulary_resolution() -> None:
    vocabulary = Vocabulary(tiny_dataset().catalog)
    assert vocabulary.resolve("genre", "SCI-FI") == "Sci-Fi"
    assert vocabulary.resolve("director", "Nolan") == "Christopher Nolan"
    assert vocabulary.resolve("director", "michael man") == "Michael Mann"  # typo
    with pytest.raises(UnknownValueError, match="unknown attribute type 'mood'"):
        vocabulary.resolve("mood", "dark")


def test_bus_state_round_trip() -> None:
    bus = CandidateBus(5)
    assert bus.state().candidates is None  # the whole catalog is not stored index by index
    bus.narrow([4, 1, 3])
    bus.rank(np.asarray([0.1, 0.9, 0.5]))
    restored = CandidateBus(5, BusState.model_validate(bus.state().model_dump()))
    assert restored.candidates.tolist() == [3, 4, 1] == bus.candidates.tolist()
    with pytest.raises(ValueError, match="2 scores for 3 candidates"):
        bus.rank(np.asarray([1.0, 2.0]))


@pytest.mark.parametrize(
    ("max_rows", "problem"),
    [
        ("9742", "max_rows: Input should be a valid integer"),
        (3.0, "max_rows: Input should be a valid integer"),
        ("0", "max_rows: Input should be a valid integer"),
        ("-5", "max_rows: Input should be a valid integer"),
        (True, "max_rows: Input should be a valid integer"),
    ],
)
def test_sql_arguments_are_validated_strictly(toolbox: Toolbox, max_rows: object, problem: str) -> None:
    out = toolbox.call("sql_query", {"sql": "SELECT id FROM items", "max_rows": max_rows})
    assert not out.ok and out.error is not None
    assert problem in out.error
    assert out.data == {}  # the query never ran


def test_sql_rows_out_of_range_are_clamped(toolbox: Toolbox) -> None:
    out = toolbox.call("sql_query", {"sql": "SELECT id FROM items", "max_rows": 0})
    assert out.ok and len(out.data["rows"]) == 1
    assert out.notices == ["max_rows=0 is outside 1..200; used 1"]
