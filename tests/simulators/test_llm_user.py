"""The LLM user on a scripted chat model: what it is told (never the title), leaks caught before the
agent sees them, success by id whatever the model says, usage counted."""

from __future__ import annotations

import pytest

from crsagent.llm import Message, StructuredOutputError
from crsagent.llm.testing import ScriptedChatModel
from crsagent.simulators import (
    LLMUser,
    SimulatedUserMessage,
    Target,
    UserSimulator,
    make_simulator,
    run_dialogue,
)
from crsagent.simulators.llm_user import GREETING, LEAK_WARNING, LLMUserConfig, describe_reply
from tests.simulators.helpers import FakeAgent, ask, movie_dataset, show

TARGET = Target(item_id="m1", user=0)  # Toy Story (1995)


def say(text: str, signal: str = "request", position: int | None = None) -> SimulatedUserMessage:
    return SimulatedUserMessage.model_validate(
        {"text": text, "signal": signal, "accepted_position": position}
    )


def _user(*script: str | SimulatedUserMessage, **config: object) -> tuple[LLMUser, ScriptedChatModel]:
    model = ScriptedChatModel(script)
    return LLMUser(
        model, movie_dataset().catalog, movie_dataset(), config=LLMUserConfig.model_validate(config)
    ), model


def test_the_system_prompt_has_attributes_and_history_but_never_the_title() -> None:
    user, model = _user(say("Any good animated comedy?"))
    assert isinstance(user, UserSimulator)
    first = user.start(TARGET)
    prompt = user.system_prompt
    assert "Animation, Comedy" in prompt and "John Lasseter" in prompt and "pixar" in prompt
    # Train history of user 0: m2, m3, m4 and m6 — m6 is "Toy Story 2", which would name the target.
    assert "The Matrix (1999)" in prompt and "Heat (1995)" in prompt and "Alien (1979)" in prompt
    assert "Toy Story" not in prompt
    (request,) = model.requests
    assert [m.role for m in request.messages] == ["system", "user"]
    assert request.messages[1].content == GREETING
    assert request.output_name == "SimulatedUserMessage"
    assert first.text == "Any good animated comedy?" and first.signal == "request" and first.turn is None


def test_an_attribute_value_naming_the_title_is_left_out() -> None:
    user, _ = _user(say("something animated"))
    user.start(TARGET)  # tagged "pixar" and "toy story"
    assert "- tag: pixar\n" in user.system_prompt


def test_a_persona_is_included_with_the_title_masked() -> None:
    user, _ = _user(say("hello"), mask="[movie]")
    user.start(Target(item_id="m1", persona="I grew up with Toy Story and Pixar films."))
    assert "I grew up with [movie] and Pixar films." in user.system_prompt
    assert "Toy Story" not in user.system_prompt


def test_without_a_dataset_or_user_there_is_no_history() -> None:
    user = LLMUser(ScriptedChatModel([say("hi")]), movie_dataset().catalog)
    user.start(Target(item_id="m1"))
    assert "enjoyed before" not in user.system_prompt


def test_a_draft_naming_the_title_is_regenerated_and_counted() -> None:
    user, model = _user(say("I want Toy Story!"), say("I want a funny animated film"))
    turn = user.start(TARGET)
    assert turn.leaked and turn.text == "I want a funny animated film"
    assert turn.llm_calls == 2
    retry = model.requests[1].messages
    assert retry[-2] == Message.assistant("I want Toy Story!") and retry[-1].content == LEAK_WARNING
    # The warning exchange is not kept: the next request has only the clean message.
    model.add(say("yes", "answer"))
    user.reply(ask("genre", "Comedy"))
    history = [m.content for m in model.requests[2].messages]
    assert "I want Toy Story!" not in history and LEAK_WARNING not in history


def test_a_draft_that_leaks_twice_is_masked() -> None:
    user, _ = _user(say("toy story please"), say("OK fine: Toy Stroy (1995)"), mask="that one")
    turn = user.start(TARGET)
    assert turn.leaked and turn.text == "OK fine: that one"
    assert turn.llm_calls == 2


def test_a_clean_draft_is_sent_once_and_not_flagged() -> None:
    user, model = _user(say("something from Pixar"))
    turn = user.start(TARGET)
    assert not turn.leaked and turn.llm_calls == 1 and len(model.requests) == 1


def test_the_target_in_the_list_is_accepted_by_id_whatever_the_model_says() -> None:
    user, model = _user(say("animated comedy?"), say("none of these", "reject"))
    user.start(TARGET)
    turn = user.reply(show(("m6", "Toy Story 2 (1999)"), ("m1", "Toy Story (1995)")))
    assert turn.accepted_item == "m1" and turn.done
    assert turn.signal == "reject"  # recorded as the model gave it
    # Naming it after the agent did is no leak: the reply listed it, so no check ran.
    assert "Toy Story (1995)" in model.requests[1].messages[-1].content


def test_a_model_accepting_another_item_is_recorded_but_is_no_success() -> None:
    user, _ = _user(say("animated comedy?"), say("I'll take the first", "accept", 1))
    user.start(TARGET)
    turn = user.reply(show(("m6", "Toy Story 2 (1999)"), ("m5", "Amelie (2001)")))
    assert turn.signal == "accept" and turn.claimed_item == "m6"
    assert turn.accepted_item is None and not turn.done


def test_usage_sums_every_call() -> None:
    user, _ = _user(say("Toy Story"), say("a cartoon"))
    turn = user.start(TARGET)
    # The scripted model counts words: the second prompt holds the first draft and the warning too.
    assert turn.prompt_tokens > 0 and turn.completion_tokens == 2 + 2


def test_an_unusable_answer_fails_clearly_after_one_re_ask() -> None:
    user, _ = _user("not json", '{"text": "hi"}')
    with pytest.raises(StructuredOutputError):
        user.start(TARGET)


def test_the_agent_reply_is_shown_with_its_items() -> None:
    text = describe_reply(show(("m2", "Matrix, The (1999)")))
    assert text.splitlines()[-1] == "1. The Matrix (1999)"


def test_reply_before_start_is_a_clear_error() -> None:
    user, _ = _user()
    with pytest.raises(RuntimeError, match="before start"):
        user.reply(ask("genre", "Comedy"))


def test_a_leaking_user_never_reaches_the_agent_in_a_dialogue() -> None:
    script = [
        say("Toy Story, please"),  # leaks: regenerated
        say("toy story!!"),  # still leaks: masked
        say("I really want TOY STORY", "answer"),  # leaks: regenerated
        say("yes, comedy", "answer"),
        say("Toy Story 1995 is what I want", "reject"),  # leaks twice: masked
        say("Toy Story", "reject"),
    ]
    model = ScriptedChatModel(script)
    user = make_simulator("llm", dataset=movie_dataset(), chat_model=model)
    agent = FakeAgent([ask("genre", "Comedy"), show("m2", "m3"), show("m1")])
    episode = run_dialogue(agent, user, TARGET, episode=0, close=False)
    assert episode.success and episode.success_turn == 3 and episode.error is None
    told = [text for text, *_ in agent.calls]
    assert len(told) == 3 and all("toy" not in t.lower() for t in told)
    assert [t.leaked for t in episode.turns] == [True, True, True]
    assert [t.simulator_llm_calls for t in episode.turns] == [2, 2, 2]
    assert [t.user_signal for t in episode.turns] == ["request", "answer", "reject"]
    assert model.remaining == 0
