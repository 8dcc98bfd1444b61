"""The agent's memory update, candidate filter, relaxation and the catalog-prior belief, on tiny data."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from crsagent.agent.config import AgentConfig
from crsagent.agent.decision import constraints_of, filter_candidates, run_policy
from crsagent.agent.memory import Memory, apply_turn
from crsagent.agent.relax import relax_once
from crsagent.agent.reply import Question
from crsagent.agent.turns import Intent, UserTurn, ValueRef
from crsagent.data.catalog import Catalog
from crsagent.data.item import Item
from crsagent.knowledge_graph.belief_model import CatalogPriorModel, ShiftedModel
from crsagent.knowledge_graph.graph import KnowledgeGraph
from crsagent.knowledge_graph.state import Ask, DialogueState, Recommend


def _kg() -> KnowledgeGraph:
    items = [
        Item(
            id="a", title="A", year=1990, attributes={"genre": ["Comedy"], "decade": ["1990s"]}, popularity=5
        ),
        Item(id="b", title="B", year=2005, attributes={"genre": ["Comedy", "Drama"], "decade": ["2000s"]}),
        Item(
            id="c", title="C", year=2010, attributes={"genre": ["Drama"], "decade": ["2010s"]}, popularity=9
        ),
        Item(id="d", title="D", year=None, attributes={"genre": ["Horror"]}),
    ]
    return KnowledgeGraph(Catalog(items, name="tiny"))


def test_yes_and_no_to_a_yes_no_question() -> None:
    kg = _kg()
    asked = Memory(question=Question(attribute="genre", values=["Comedy"], text="?"))
    yes, _ = apply_turn(asked, UserTurn(intent=Intent.ANSWER, answer="yes"), kg)
    no, _ = apply_turn(asked, UserTurn(intent=Intent.ANSWER, answer="no"), kg)
    assert yes.accepted == ["genre:Comedy"] and no.rejected == ["genre:Comedy"]


def test_no_to_a_choice_rejects_every_offered_value_and_silence_skips_them() -> None:
    kg = _kg()
    asked = Memory(question=Question(attribute="genre", values=["Comedy", "Drama"], text="?"))
    no, _ = apply_turn(asked, UserTurn(intent=Intent.ANSWER, answer="no"), kg)
    assert no.rejected == ["genre:Comedy", "genre:Drama"]
    ignored, _ = apply_turn(asked, UserTurn(intent=Intent.OTHER), kg)
    assert ignored.skipped == ["genre:Comedy", "genre:Drama"] and not ignored.rejected


def test_a_changed_mind_moves_the_value_and_unknown_values_are_noted() -> None:
    kg = _kg()
    memory, _ = apply_turn(
        Memory(), UserTurn(intent=Intent.REQUEST, rejected=[ValueRef(type="genre", value="Drama")]), kg
    )
    memory, notes = apply_turn(
        memory,
        UserTurn(
            intent=Intent.REQUEST,
            accepted=[ValueRef(type="genre", value="Drama"), ValueRef(type="genre", value="Polka")],
        ),
        kg,
    )
    assert memory.accepted == ["genre:Drama"] and memory.rejected == []
    assert notes == ["ignored unknown value genre:Polka"]


def test_restart_keeps_only_the_user() -> None:
    memory = Memory(user=3, accepted=["genre:Drama"], year_min=2000, turns=4)
    restarted, _ = apply_turn(memory, UserTurn(intent=Intent.RESTART), _kg())
    assert restarted.user == 3 and restarted.accepted == [] and restarted.year_min is None


def test_filter_applies_values_years_and_exclusions() -> None:
    kg = _kg()
    years = kg.catalog.years
    memory = Memory(accepted=["genre:Comedy"], year_min=2000)
    kept = filter_candidates(kg, years, constraints_of(memory, kg), prune_rejected=True)
    assert [kg.catalog.at(i).id for i in kept] == ["b"]
    memory = Memory(rejected=["genre:Drama"], rejected_items=["a"])
    kept = filter_candidates(kg, years, constraints_of(memory, kg), prune_rejected=True)
    assert [kg.catalog.at(i).id for i in kept] == ["d"]
    soft = filter_candidates(kg, years, constraints_of(memory, kg), prune_rejected=False)
    assert [kg.catalog.at(i).id for i in soft] == ["b", "c", "d"]


def test_filter_matches_the_constraints_item_by_item() -> None:
    """Random constraints on a random catalog: the filter keeps exactly the items that satisfy them."""
    rng = np.random.default_rng(7)
    genres, moods = [f"g{i}" for i in range(6)], [f"m{i}" for i in range(4)]
    items = [
        Item(
            id=f"x{i}",
            title=f"Film {i}",
            year=None if i % 9 == 0 else int(rng.integers(1950, 2020)),
            attributes={
                "genre": sorted(set(rng.choice(genres, size=int(rng.integers(1, 4))).tolist())),
                "mood": [str(rng.choice(moods))],
            },
        )
        for i in range(300)
    ]
    kg = KnowledgeGraph(Catalog(items, name="random"))
    years = kg.catalog.years
    for trial in range(200):
        picked = rng.choice(
            [*(f"genre:{g}" for g in genres), *(f"mood:{m}" for m in moods)], size=4, replace=False
        )
        accepted, rejected = picked[: int(rng.integers(0, 4))].tolist(), picked[3:].tolist()
        low = int(rng.integers(1950, 2000)) if trial % 3 == 0 else None
        excluded = [f"x{i}" for i in rng.choice(300, size=int(rng.integers(0, 20)), replace=False)]
        memory = Memory(accepted=accepted, rejected=rejected, rejected_items=excluded, year_min=low)
        constraints = constraints_of(memory, kg)
        for prune in (True, False):
            kept = filter_candidates(kg, years, constraints, prune_rejected=prune).tolist()
            expected = [
                i
                for i, item in enumerate(items)
                if all(any(kg.has_value([i], v)[0] for v in group) for group in constraints.accepted_groups)
                and not (prune and any(kg.has_value([i], v)[0] for v in constraints.rejected))
                and (low is None or (item.year is not None and item.year >= low))
                and item.id not in excluded
            ]
            assert kept == expected, (memory, prune)


def _relax_all(memory: Memory) -> list[str]:
    steps = []
    while (relaxed := relax_once(memory)) is not None:
        memory, description = relaxed
        steps.append(description)
    return steps


def test_relaxation_drops_the_oldest_request_first_and_refusals_last() -> None:
    memory = Memory(
        accepted=["genre:Comedy", "genre:Drama"],
        rejected=["genre:Horror"],
        year_min=2000,
        year_max=2001,
        since={"genre:Comedy": 1, "year_min": 2, "year_max": 2, "genre:Drama": 3, "genre:Horror": 1},
    )
    assert _relax_all(memory) == [
        "'Comedy'",  # turn 1: the oldest; a wanted value before a refusal of the same turn
        "'no Horror'",
        "'before 2002'",  # turn 2: year bounds
        "'from 2000'",
        "'Drama'",  # the newest request goes last
    ]


def test_the_newest_request_survives_relaxation_through_the_agent_memory() -> None:
    kg = _kg()
    memory = Memory()
    first = UserTurn(intent=Intent.REQUEST, accepted=[ValueRef(type="genre", value="Comedy")])
    memory, _ = apply_turn(memory, first, kg)
    second = UserTurn(intent=Intent.REQUEST, accepted=[ValueRef(type="decade", value="2000s")])
    memory, _ = apply_turn(memory, second, kg)
    relaxed = relax_once(memory)
    assert relaxed is not None and relaxed[0].accepted == ["decade:2000s"]


def test_a_new_genre_request_replaces_the_old_one_but_answers_add_up() -> None:
    kg = _kg()
    memory, _ = apply_turn(
        Memory(), UserTurn(intent=Intent.REQUEST, accepted=[ValueRef(type="genre", value="Comedy")]), kg
    )
    memory, _ = apply_turn(
        memory, UserTurn(intent=Intent.REQUEST, accepted=[ValueRef(type="genre", value="Drama")]), kg
    )
    assert memory.accepted == ["genre:Drama"]
    memory.question = Question(attribute="genre", values=["Comedy", "Horror"], text="Which genre?")
    memory, _ = apply_turn(
        memory, UserTurn(intent=Intent.ANSWER, accepted=[ValueRef(type="genre", value="Comedy")]), kg
    )
    assert memory.accepted == ["genre:Drama", "genre:Comedy"]


def test_catalog_prior_prefers_popular_items_and_accepted_values() -> None:
    kg = _kg()
    model = CatalogPriorModel(kg)
    state = DialogueState(user=None, candidates=np.arange(4))
    assert model.belief(state).top_items(1) == (2,)  # c is the most popular
    state.accepted.append(kg.value_id("genre:Comedy"))
    assert model.belief(state).top_items(1) == (0,)  # a: popular and a comedy
    shifted = ShiftedModel(model, np.array([0.0, 50.0, 0.0, 0.0]))
    assert shifted.belief(state).top_items(1) == (1,)
    assert shifted.belief(state) is shifted.belief(state)  # a turn's policy and reply share it
    assert ShiftedModel(model, None).belief(state).top_items(1) == (0,)


def test_run_policy_asks_then_recommends_after_the_question_limit() -> None:
    genres = ("Comedy", "Drama", "Horror", "Western")
    flat = [
        Item(
            id=f"x{i}",
            title=f"X{i}",
            attributes={"genre": [genres[i % 4]], "decade": [f"{1950 + 10 * (i // 4)}s"]},
        )
        for i in range(8)
    ]
    kg = KnowledgeGraph(Catalog(flat, name="flat"))
    config = AgentConfig(list_size=1, offer_values=2, max_questions_in_a_row=2)
    memory = Memory()
    candidates = np.arange(8)
    args = {"session_id": "s", "never_ask": [], "shift": None}
    first = run_policy(
        CatalogPriorModel(kg), kg, candidates, constraints_of(memory, kg), memory, config, **args
    )
    assert isinstance(first.action, Ask) and len(first.offered) == 2
    assert {kg.values[v].type for v in first.offered} == {kg.values[first.action.value].type}
    tired = Memory(questions_in_a_row=2)
    second = run_policy(
        CatalogPriorModel(kg), kg, candidates, constraints_of(tired, kg), tired, config, **args
    )
    assert isinstance(second.action, Recommend) and second.ranking.indices[0] == second.action.items[0]


def test_langgraph_json_points_at_the_compiled_graph() -> None:
    import importlib

    from langgraph.graph.state import CompiledStateGraph

    root = Path(__file__).resolve().parents[2]
    spec_text = json.loads((root / "langgraph.json").read_text())["graphs"]["crsagent"]
    module_name, attribute = spec_text.split(":")  # module syntax: found from any working folder
    graph = getattr(importlib.import_module(module_name), attribute)
    assert isinstance(graph, CompiledStateGraph)
    assert {"understand", "decide", "tools", "reflect", "respond"} <= set(graph.nodes)
