"""Session handles: only handles this server issued open a session; ids alone, edits and other
servers' handles are refused with a clear error. And the offer: only what the operator offers."""

from __future__ import annotations

import pytest

from crsagent.ui.binding import SessionKey, SessionRefusedError, SessionSigner
from crsagent.ui.choices import ChoiceRefusedError, Offer
from crsagent.ui.settings import UISettings

KEY = SessionKey(session_id="a" * 32, dataset="demo", llm=None)


def test_a_handle_opens_its_session_across_restarts_with_the_same_secret() -> None:
    handle = SessionSigner("secret").handle(KEY)
    assert SessionSigner("secret").open(handle) == KEY
    assert SessionSigner("secret").check(handle, KEY)


@pytest.mark.parametrize(
    "forged",
    [
        KEY.session_id,  # the bare id
        "",
        None,
        42,
        "x" * 5000,
        "a.b.c",
    ],
)
def test_anything_but_an_issued_handle_is_refused(forged: object) -> None:
    with pytest.raises(SessionRefusedError):
        SessionSigner("secret").open(forged)


def test_a_handle_of_another_server_or_an_edited_one_is_refused() -> None:
    signer = SessionSigner("secret")
    with pytest.raises(SessionRefusedError, match="not issued by this server"):
        signer.open(SessionSigner("other secret").handle(KEY))
    _, mac = signer.handle(KEY).split(".")
    other = signer.handle(KEY.model_copy(update={"llm": "openai:gpt-4o"}))
    with pytest.raises(SessionRefusedError, match="not issued by this server"):
        signer.open(f"{other.split('.')[0]}.{mac}")  # another LLM under this session's mac
    assert not signer.check(signer.handle(KEY), KEY.model_copy(update={"dataset": "ml-latest-small"}))


def test_without_a_secret_each_server_has_its_own_key() -> None:
    assert not SessionSigner().check(SessionSigner().handle(KEY), KEY)


OFFER = Offer(datasets=["demo", "demo", "crs-lastfm"], llms=[None, "openai:gpt-4o-mini"])


def test_the_offer_lists_the_defaults_first_and_always_offline() -> None:
    offer = Offer(datasets=["crs-lastfm", "demo"], llms=["scripted:a.json", "scripted:b.json"])
    assert offer.datasets == ["crs-lastfm", "demo"] and offer.llms == [
        "scripted:a.json",
        None,
        "scripted:b.json",
    ]
    assert (offer.dataset, offer.llm) == ("crs-lastfm", "scripted:a.json")
    assert offer.llm_labels() == ["scripted:a.json", "offline", "scripted:b.json"]


def test_only_offered_llms_are_accepted_unless_the_operator_allows_any() -> None:
    assert OFFER.check_llm("openai:gpt-4o-mini") == "openai:gpt-4o-mini"
    assert OFFER.check_llm("offline") is None and OFFER.check_llm("") is None
    with pytest.raises(
        ChoiceRefusedError, match=r"LLM 'vllm-server:http://10.0.0.1/v1#m' is not offered.*offline, openai"
    ):
        OFFER.check_llm("vllm-server:http://10.0.0.1/v1#m")
    with pytest.raises(ChoiceRefusedError, match="must be a model string"):
        OFFER.check_llm(["openai:gpt-4o-mini"])
    anything = OFFER.model_copy(update={"allow_any_llm": True, "max_llm_chars": 40})
    assert anything.check_llm("vllm-server:http://10.0.0.1/v1#m") == "vllm-server:http://10.0.0.1/v1#m"
    with pytest.raises(ChoiceRefusedError, match="model string of 41 characters; at most 40"):
        anything.check_llm("x" * 41)


def test_only_offered_datasets_are_accepted() -> None:
    assert OFFER.check_dataset("crs-lastfm") == "crs-lastfm"
    with pytest.raises(
        ChoiceRefusedError, match=r"dataset '/etc' is not offered here; choose one of: demo, crs-lastfm"
    ):
        OFFER.check_dataset("/etc")


def test_ui_settings_have_safe_defaults_and_read_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    defaults = UISettings()
    assert (defaults.allow_any_llm, defaults.max_agents, defaults.llms) == (False, 3, [])
    monkeypatch.setenv("CRSAGENT_UI_LLMS", '["openai:gpt-4o-mini", " "]')
    monkeypatch.setenv("CRSAGENT_UI_MAX_AGENTS", "5")
    configured = UISettings()
    assert (configured.llms, configured.max_agents) == (["openai:gpt-4o-mini"], 5)
    monkeypatch.setenv("CRSAGENT_UI_MAX_AGENTS", "0")
    with pytest.raises(ValueError, match="max_agents"):
        UISettings()
