"""The rule user's decisions (the CPR rule user's truth) on the tiny tag catalog, as structured turns."""

from __future__ import annotations

import pytest

from crsagent.agent.turns import Intent
from crsagent.knowledge_graph.graph import KnowledgeGraph
from crsagent.simulators import RuleUser, Target, UserSimulator, make_simulator
from crsagent.simulators.decisions import CprDecider, Nudge, RuleTruth
from crsagent.simulators.rule import episode_rng
from tests.knowledge_graph.tiny_data import TAGS, tiny_dataset
from tests.simulators.helpers import ask, greet, show


@pytest.fixture(scope="module")
def kg() -> KnowledgeGraph:
    return KnowledgeGraph.from_dataset(tiny_dataset())


def _tags(kg: KnowledgeGraph, item_id: str) -> set[str]:
    return set(kg.catalog.get(item_id).attributes["tag"])


def test_it_is_a_user_simulator(kg: KnowledgeGraph) -> None:
    assert isinstance(RuleUser(kg), UserSimulator)
    assert isinstance(make_simulator("rule", kg=kg), RuleUser)


def test_the_opening_names_one_value_of_the_target_as_data(kg: KnowledgeGraph) -> None:
    user = RuleUser(kg, seed=3)
    for item in kg.catalog.items:
        first = user.start(Target(item_id=item.id))
        assert first.turn is not None and first.turn.intent == Intent.REQUEST
        (value,) = first.turn.accepted
        assert value.type == "tag" and value.value in item.attributes["tag"]
        assert value.value in first.text  # the plain log text says it too
        assert first.signal == "request"


def test_the_opening_is_the_cpr_rule_simulators(kg: KnowledgeGraph) -> None:
    """Same generator, same draw: the dialogue user opens exactly as the structured benchmark's."""
    target = Target(item_id="i4", user=2)
    index = kg.catalog.index_of("i4")
    expected = RuleTruth(kg, index).opening(episode_rng(9, target, 0))
    first = RuleUser(kg, seed=9).start(target)
    assert first.turn is not None
    assert [f"{v.type}:{v.value}" for v in first.turn.accepted] == [kg.values[v].key for v in expected]


def test_openings_are_reproducible_per_episode_and_vary_with_the_seed(kg: KnowledgeGraph) -> None:
    targets = [Target(item_id=item.id, user=n % 3) for n, item in enumerate(kg.catalog.items)]

    def openings(seed: int, order: list[Target]) -> dict[str, str]:
        user = RuleUser(kg, seed=seed)
        return {t.item_id: user.start(t).text for t in order}

    first = openings(1, targets)
    assert openings(1, list(reversed(targets))) == first  # independent of what ran before
    assert openings(2, targets) != first


@pytest.mark.parametrize("value", TAGS)
def test_a_yes_no_answer_is_yes_iff_the_target_carries_the_value(kg: KnowledgeGraph, value: str) -> None:
    user = RuleUser(kg)
    for item_id in ("i0", "i4", "i5"):
        user.start(Target(item_id=item_id))
        answer = user.reply(ask("tag", value))
        assert answer.turn is not None and answer.turn.intent == Intent.ANSWER
        carried = value in _tags(kg, item_id)
        assert answer.turn.answer == ("yes" if carried else "no")
        refs = answer.turn.accepted if carried else answer.turn.rejected
        assert [(r.type, r.value) for r in refs] == [("tag", value)]
        assert answer.signal == "answer" and not answer.done


def test_several_values_offered_accepts_those_carried_and_rejects_the_others(kg: KnowledgeGraph) -> None:
    user = RuleUser(kg)
    user.start(Target(item_id="i4"))  # metal, pop, soul
    answer = user.reply(ask("tag", "rock", "pop", "soul"))
    assert answer.turn is not None
    assert [r.value for r in answer.turn.accepted] == ["pop", "soul"]
    assert [r.value for r in answer.turn.rejected] == ["rock"]
    assert answer.turn.answer is None
    none = user.reply(ask("tag", "rock", "jazz"))
    assert none.turn is not None and none.turn.answer == "no"
    assert not none.turn.accepted and [r.value for r in none.turn.rejected] == ["rock", "jazz"]


def test_a_value_the_graph_lacks_is_answered_no(kg: KnowledgeGraph) -> None:
    user = RuleUser(kg)
    user.start(Target(item_id="i0"))
    answer = user.reply(ask("director", "Nobody At All"))
    assert answer.turn is not None and answer.turn.answer == "no"


def test_a_list_is_accepted_iff_it_holds_the_target_id(kg: KnowledgeGraph) -> None:
    user = RuleUser(kg)
    user.start(Target(item_id="i5"))
    miss = user.reply(show("i1", "i2", "i3"))
    assert miss.turn is not None and miss.turn.rejected_items == ["i1", "i2", "i3"]
    assert miss.accepted_item is None and not miss.done and miss.signal == "reject"
    # By id: an item titled like the target is not the target.
    lookalike = user.reply(show(("i9", "Artist 5")))
    assert lookalike.accepted_item is None
    hit = user.reply(show("i1", "i5"))
    assert hit.turn is not None and hit.turn.accepted_items == ["i5"]
    assert hit.accepted_item == "i5" and hit.done and hit.signal == "accept"


def test_a_question_with_a_list_answers_it_and_turns_the_list_down(kg: KnowledgeGraph) -> None:
    user = RuleUser(kg)
    user.start(Target(item_id="i5"))
    both = user.reply(show("i1", "i2", question=ask("tag", "rock").question))
    assert both.turn is not None
    assert both.turn.answer == "yes" and both.turn.rejected_items == ["i1", "i2"]


def test_when_the_agent_does_neither_the_user_names_new_target_values_then_asks_for_anything(
    kg: KnowledgeGraph,
) -> None:
    user = RuleUser(kg, seed=4)
    opening = user.start(Target(item_id="i4"))  # three tags
    assert opening.turn is not None
    named = {opening.turn.accepted[0].value}
    for _ in range(2):
        nudge = user.reply(greet())
        assert nudge.turn is not None and nudge.turn.intent == Intent.REQUEST
        (value,) = nudge.turn.accepted
        assert value.value not in named
        named.add(value.value)
    assert named == _tags(kg, "i4")
    last = user.reply(greet())
    assert last.turn is not None and not last.turn.accepted


def test_values_accepted_in_answers_are_not_nudged_again(kg: KnowledgeGraph) -> None:
    decider = CprDecider(kg, "i5", episode_rng(0, Target(item_id="i5"), 0))
    decider.opening()
    decider.react(ask("tag", "rock", "soul"))  # both carried: both named now
    nudge = decider.react(greet())
    assert isinstance(nudge, Nudge) and nudge.value is None


def test_reply_before_start_is_a_clear_error(kg: KnowledgeGraph) -> None:
    with pytest.raises(RuntimeError, match="before start"):
        RuleUser(kg).reply(greet())


def test_an_unknown_target_is_a_clear_error(kg: KnowledgeGraph) -> None:
    with pytest.raises(KeyError, match="nope"):
        RuleUser(kg).start(Target(item_id="nope"))
