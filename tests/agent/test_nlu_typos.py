"""Typos in answer words are forgiven; short real words and catalog values are not rewritten."""

from __future__ import annotations

import pytest

from crsagent.agent.offline_nlu import OfflineNLU
from crsagent.agent.turns import TurnContext
from crsagent.data.registry import load_dataset
from crsagent.understanding.polarity import correct_answer_typos

QUESTION = TurnContext(asked_type="genre", asked_values=["Comedy"])


@pytest.fixture(scope="module")
def nlu() -> OfflineNLU:
    return OfflineNLU(load_dataset("demo").catalog)


@pytest.mark.parametrize(
    ("text", "answer"),
    [("not rally", "no"), ("Noen of those", "no"), ("definately", "yes"), ("shure", "yes"), ("nopee", "no")],
)
def test_misspelt_answers(nlu: OfflineNLU, text: str, answer: str) -> None:
    assert nlu.understand(text, QUESTION).answer == answer


def test_short_and_known_words_are_left_alone() -> None:
    assert correct_answer_typos(["yet", "now", "not", "rock", "western"]) == [
        "yet",
        "now",
        "not",
        "rock",
        "western",
    ]


def test_words_far_from_every_answer_word_stay() -> None:
    assert correct_answer_typos(["xyzzy", "noir", "sure"]) == ["xyzzy", "noir", "sure"]


SHOWN = TurnContext(shown_items=["demo-001", "demo-002"])


def test_dont_care_for_is_a_dislike_but_dont_care_is_no_preference(nlu: OfflineNLU) -> None:
    dislike = nlu.understand("I don't care for comedy", QUESTION)
    assert dislike.answer == "no" and [r.value for r in dislike.rejected] == ["Comedy"]
    indifferent = nlu.understand("I don't care", QUESTION)
    assert indifferent.answer is None and not indifferent.rejected and not indifferent.accepted


@pytest.mark.parametrize(
    "text", ["hmm, not quite, other suggestions?", "any other options?", "show me others"]
)
def test_asking_for_other_suggestions_turns_the_list_down(nlu: OfflineNLU, text: str) -> None:
    assert nlu.understand(text, SHOWN).rejected_items == ["demo-001", "demo-002"]
