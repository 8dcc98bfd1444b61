"""The in-process vLLM backend. vllm itself cannot be installed beside the CPU torch, so these tests
check the import guard for real and drive everything else through a fake ``vllm`` module that
records what the backend hands to ``vllm.LLM`` / ``LLM.chat`` / ``SamplingParams``. (A real vLLM
engine runs in tests/llm/test_vllm_server.py, behind the OpenAI-compatible server.)"""

from __future__ import annotations

import importlib.util
import sys
import types
from collections.abc import Callable
from typing import Any, ClassVar

import pytest
from pydantic import BaseModel

from crsagent.llm import BackendNotInstalledError, ChatOptions, Message, ToolSpec
from crsagent.llm.vllm_backend import VLLMChatModel, VLLMConfig

SEARCH = ToolSpec(name="search_items", description="Search the catalog by genre")


class Taste(BaseModel):
    genre: str


class FakeParams:
    """Stands for SamplingParams / StructuredOutputsParams / GuidedDecodingParams: keeps its kwargs."""

    def __init__(self, **kwargs: Any) -> None:
        self.kwargs = kwargs


Responder = Callable[[list[dict[str, Any]], FakeParams], str]


def fake_vllm(
    responder: Responder, *, modern: bool = True, template: str = "{{ messages }}{{ tools }}"
) -> types.ModuleType:
    module = types.ModuleType("vllm")
    sampling = types.ModuleType("vllm.sampling_params")
    if modern:
        sampling.StructuredOutputsParams = type("StructuredOutputsParams", (FakeParams,), {})  # type: ignore[attr-defined]
    else:
        sampling.GuidedDecodingParams = type("GuidedDecodingParams", (FakeParams,), {})  # type: ignore[attr-defined]

    class LLM:
        instances: ClassVar[list[LLM]] = []

        def __init__(self, **kwargs: Any) -> None:
            self.kwargs = kwargs
            self.chats: list[dict[str, Any]] = []
            LLM.instances.append(self)

        def get_tokenizer(self) -> Any:
            return types.SimpleNamespace(chat_template=template)

        def chat(
            self, messages: Any, sampling_params: Any, tools: Any = None, use_tqdm: bool = True
        ) -> list[Any]:
            self.chats.append({"messages": messages, "sampling_params": sampling_params, "tools": tools})
            outputs = []
            for conversation, params in zip(messages, sampling_params, strict=True):
                text = responder(conversation, params)
                prompt_tokens = sum(len(str(m["content"]).split()) for m in conversation)
                generated = types.SimpleNamespace(
                    text=text, token_ids=list(range(len(text.split()))), finish_reason="stop"
                )
                outputs.append(
                    types.SimpleNamespace(prompt_token_ids=list(range(prompt_tokens)), outputs=[generated])
                )
            return outputs

    module.LLM = LLM  # type: ignore[attr-defined]
    module.SamplingParams = FakeParams  # type: ignore[attr-defined]
    module.sampling_params = sampling  # type: ignore[attr-defined]
    return module


def install(monkeypatch: pytest.MonkeyPatch, responder: Responder, **kwargs: Any) -> Any:
    module = fake_vllm(responder, **kwargs)
    monkeypatch.setitem(sys.modules, "vllm", module)
    return module.LLM


def last_user(conversation: list[dict[str, Any]]) -> str:
    return next(m["content"] for m in reversed(conversation) if m["role"] == "user")


def test_without_vllm_the_error_says_how_to_get_it(monkeypatch: pytest.MonkeyPatch) -> None:
    if importlib.util.find_spec("vllm") is None:  # the real situation here: not installed
        with pytest.raises(BackendNotInstalledError) as caught:
            VLLMChatModel(VLLMConfig(model="/m")).chat([Message.user("x")])
        assert "pip install 'crsagent[vllm]'" in str(caught.value)
    monkeypatch.setitem(sys.modules, "vllm", None)
    with pytest.raises(BackendNotInstalledError) as caught:
        VLLMChatModel(VLLMConfig(model="/m")).chat([Message.user("x")])
    message = str(caught.value)
    assert "CUDA GPU" in message
    assert "scripts/vllm_cpu_env.sh" in message
    assert "vllm-server" in message


def test_engine_and_sampling_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    llm_class = install(monkeypatch, lambda conversation, params: "Kind of Blue")
    config = VLLMConfig(
        model="/models/qwen", max_model_len=4096, max_tokens=128, engine_kwargs={"enforce_eager": True}
    )
    model = VLLMChatModel(config)
    result = model.chat([Message.user("a jazz album")], options=ChatOptions(seed=7, stop=("\n",)))
    assert result.text == "Kind of Blue"
    (engine,) = llm_class.instances
    assert engine.kwargs == {
        "model": "/models/qwen",
        "dtype": "auto",
        "gpu_memory_utilization": 0.9,
        "tensor_parallel_size": 1,
        "max_model_len": 4096,
        "enforce_eager": True,
    }
    (params,) = engine.chats[0]["sampling_params"]
    assert params.kwargs == {"temperature": 0.0, "max_tokens": 128, "seed": 7, "stop": ["\n"]}
    assert engine.chats[0]["tools"] is None
    assert (result.usage.prompt_tokens, result.usage.completion_tokens) == (3, 3)


@pytest.mark.parametrize(("modern", "field"), [(True, "structured_outputs"), (False, "guided_decoding")])
def test_the_output_schema_becomes_guided_decoding(
    monkeypatch: pytest.MonkeyPatch, modern: bool, field: str
) -> None:
    llm_class = install(monkeypatch, lambda conversation, params: '{"genre": "jazz"}', modern=modern)
    result = VLLMChatModel(VLLMConfig(model="/m")).chat([Message.user("taste?")], output=Taste)
    assert result.parsed == Taste(genre="jazz")
    (params,) = llm_class.instances[0].chats[0]["sampling_params"]
    assert params.kwargs[field].kwargs == {"json": Taste.model_json_schema()}
    # The schema is also stated in the prompt, so the model knows what it is writing.
    assert "Answer with only a JSON object" in llm_class.instances[0].chats[0]["messages"][0][0]["content"]


def test_a_batch_is_one_engine_call_per_tool_set_and_reasks_go_together(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    answers = {"a": ['{"genre": "jazz"}'], "b": ["not json", '{"genre": "soul"}'], "c": ['{"genre": "funk"}']}

    def responder(conversation: list[dict[str, Any]], params: FakeParams) -> str:
        question = (
            conversation[1]["content"] if conversation[0]["role"] == "system" else conversation[0]["content"]
        )
        return answers[question].pop(0)

    llm_class = install(monkeypatch, responder)
    model = VLLMChatModel(VLLMConfig(model="/m"))
    results = model.chat_batch([[Message.user("a")], [Message.user("b")], [Message.user("c")]], output=Taste)
    assert [r.output.genre for r in results] == ["jazz", "soul", "funk"]
    assert [r.attempts for r in results] == [1, 2, 1]
    engine = llm_class.instances[0]
    assert [len(chat["messages"]) for chat in engine.chats] == [3, 1]  # the batch, then the one re-ask
    assert "not a valid Taste" in engine.chats[1]["messages"][0][-1]["content"]


def test_tools_go_to_the_template_and_calls_are_parsed(monkeypatch: pytest.MonkeyPatch) -> None:
    def responder(conversation: list[dict[str, Any]], params: FakeParams) -> str:
        if last_user(conversation) == "jazz?":
            return (
                'Searching. <tool_call>{"name": "search_items", "arguments": {"genre": "jazz"}}</tool_call>'
            )
        return "plain answer"

    llm_class = install(monkeypatch, responder)
    model = VLLMChatModel(VLLMConfig(model="/m"))
    with_tools, without = model.chat_batch([[Message.user("jazz?")], [Message.user("hello")]], tools=[SEARCH])
    (call,) = with_tools.tool_calls
    assert (call.name, call.parsed_arguments(), with_tools.text) == (
        "search_items",
        {"genre": "jazz"},
        "Searching.",
    )
    assert without.tool_calls == () and without.text == "plain answer"
    (chat,) = llm_class.instances[0].chats  # same tools: one engine call
    assert chat["tools"] == [SEARCH.to_openai()]


def test_a_template_without_tools_gets_them_in_the_system_message(monkeypatch: pytest.MonkeyPatch) -> None:
    llm_class = install(monkeypatch, lambda conversation, params: "ok", template="{{ messages }}")
    VLLMChatModel(VLLMConfig(model="/m")).chat(
        [Message.system("Be brief."), Message.user("x")], tools=[SEARCH]
    )
    chat = llm_class.instances[0].chats[0]
    assert chat["tools"] is None
    system = chat["messages"][0][0]
    assert system["role"] == "system"
    assert system["content"].startswith("Be brief.")
    assert '"name": "search_items"' in system["content"]
    assert "<tool_call>" in system["content"]
