"""Model strings: the documented syntax parses, everything else fails with the syntax shown."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from crsagent.config import Settings
from crsagent.llm import (
    ModelSpec,
    ModelStringError,
    chat_model_from_settings,
    load_chat_model,
    parse_model_string,
)
from crsagent.llm.hf_backend import TransformersChatModel
from crsagent.llm.openai_backend import OpenAICompatibleChatModel
from crsagent.llm.testing import ScriptedChatModel
from crsagent.llm.vllm_backend import VLLMChatModel


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("openai:gpt-4o-mini", ModelSpec(backend="openai", model="gpt-4o-mini")),
        (
            "vllm-server:http://gpu-box:8000/v1#Qwen/Qwen2.5-7B-Instruct",
            ModelSpec(
                backend="vllm-server", model="Qwen/Qwen2.5-7B-Instruct", base_url="http://gpu-box:8000/v1"
            ),
        ),
        # No path: vLLM's /v1 is assumed; a trailing slash is dropped.
        (
            "vllm-server:http://localhost:8000#tiny",
            ModelSpec(backend="vllm-server", model="tiny", base_url="http://localhost:8000/v1"),
        ),
        (
            "vllm-server:https://h/api/v1/#m",
            ModelSpec(backend="vllm-server", model="m", base_url="https://h/api/v1"),
        ),
        ("vllm:/models/qwen", ModelSpec(backend="vllm", model="/models/qwen")),
        ("hf:/models/tiny", ModelSpec(backend="hf", model="/models/tiny")),
        (" scripted:replies.json ", ModelSpec(backend="scripted", model="replies.json")),
    ],
)
def test_documented_model_strings_parse(text: str, expected: ModelSpec) -> None:
    assert parse_model_string(text) == expected
    assert parse_model_string(str(expected)) == expected  # str() is the canonical form


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("gpt-4o-mini", "no backend prefix"),
        ("anthropic:claude", "unknown backend 'anthropic'"),
        ("openai:", "nothing after 'openai:'"),
        ("vllm-server:http://localhost:8000/v1", "needs '<base-url>#<model>'"),
        ("vllm-server:http://localhost:8000/v1#", "model name after '#' is empty"),
        ("vllm-server:localhost:8000#m", "is not an http(s) URL"),
    ],
)
def test_bad_model_strings_say_what_is_wrong_and_show_the_syntax(text: str, problem: str) -> None:
    with pytest.raises(ModelStringError) as caught:
        parse_model_string(text)
    assert problem in str(caught.value)
    assert "vllm-server:<base-url>#<model>" in str(caught.value)


def test_each_backend_resolves_without_loading_anything(tmp_path: Path) -> None:
    settings = Settings(llm_timeout_s=7, llm_max_retries=1, llm_base_url=None)
    server = load_chat_model("vllm-server:http://127.0.0.1:9/v1#tiny", settings)
    assert isinstance(server, OpenAICompatibleChatModel)
    assert (server.config.base_url, server.config.wire.model) == ("http://127.0.0.1:9/v1", "tiny")
    assert (server.config.timeout_s, server.config.max_retries) == (7, 1)
    assert server.name == "vllm-server:http://127.0.0.1:9/v1#tiny"

    openai_model = load_chat_model("openai:gpt-4o-mini", settings)
    assert isinstance(openai_model, OpenAICompatibleChatModel)
    assert openai_model.config.base_url is None

    in_process = load_chat_model("vllm:/nowhere/model", settings)
    assert isinstance(in_process, VLLMChatModel)  # vllm is not imported until the first chat

    (tmp_path / "config.json").write_text("{}")
    local = load_chat_model(f"hf:{tmp_path}", Settings(llm_device="cpu"))
    assert isinstance(local, TransformersChatModel)
    assert local.config.device == "cpu"

    script = tmp_path / "s.json"
    script.write_text(json.dumps(["hi"]))
    assert isinstance(load_chat_model(f"scripted:{script}"), ScriptedChatModel)


def test_settings_choose_the_structured_output_form() -> None:
    model = load_chat_model(
        "vllm-server:http://h:1/v1#m", Settings(llm_structured_output="structured_outputs")
    )
    assert isinstance(model, OpenAICompatibleChatModel)
    assert model.config.wire.structured_mode == "structured_outputs"


def test_missing_local_things_fail_at_resolution(tmp_path: Path) -> None:
    with pytest.raises(ModelStringError, match="is not a folder"):
        load_chat_model(f"hf:{tmp_path / 'absent'}")
    with pytest.raises(ModelStringError, match=r"has no config\.json"):
        load_chat_model(f"hf:{tmp_path}")
    with pytest.raises(ModelStringError, match="cannot read the script"):
        load_chat_model(f"scripted:{tmp_path / 'absent.json'}")


def test_no_model_is_the_offline_mode(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("CRSAGENT_LLM_MODEL", raising=False)
    assert chat_model_from_settings(Settings()) is None
    assert chat_model_from_settings(Settings(llm_model="  ")) is None  # set but empty = unset
    script = tmp_path / "s.json"
    script.write_text("[]")
    monkeypatch.setenv("CRSAGENT_LLM_MODEL", f"scripted:{script}")
    assert isinstance(chat_model_from_settings(), ScriptedChatModel)
