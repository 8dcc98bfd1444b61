"""The transformers backend on a tiny Llama built in the test (no download): chat template,
generation, token counts, stop strings, streaming, and tool calls / JSON parsed from real tokens."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from crsagent.llm import (
    BackendNotInstalledError,
    ChatOptions,
    LLMError,
    Message,
    StreamEnd,
    StructuredOutputError,
    TextDelta,
)
from crsagent.llm.hf_backend import TransformersChatModel, TransformersConfig
from crsagent.llm.protocol import ChatRequest
from tests.llm.conftest import JSON_ANSWER, JSON_QUESTION, SEARCH, TOOL_QUESTION, Taste

pytest.importorskip("transformers")


@pytest.fixture(scope="module")
def random_model(tiny_model_dir: Path) -> TransformersChatModel:
    return TransformersChatModel(TransformersConfig(path=tiny_model_dir, device="cpu"))


def test_generation_counts_tokens_and_honours_max_tokens(random_model: TransformersChatModel) -> None:
    result = random_model.chat([Message.user("hello")], options=ChatOptions(max_tokens=8))
    tokenizer = random_model.load().tokenizer
    prompt = random_model.render_prompt(ChatRequest(messages=(Message.user("hello"),)))
    assert result.usage.prompt_tokens == len(tokenizer(prompt, add_special_tokens=False)["input_ids"])
    assert 1 <= result.usage.completion_tokens <= 8
    assert result.finish_reason == ("length" if result.usage.completion_tokens == 8 else "stop")
    assert result.model == random_model.name


def test_the_chat_template_receives_tools_and_the_schema_instruction(
    random_model: TransformersChatModel,
) -> None:
    request = ChatRequest(
        messages=(Message.system("You recommend music."), Message.user("jazz?")),
        tools=(SEARCH,),
        output_name="Taste",
        output_schema=Taste.model_json_schema(),
    )
    prompt = random_model.render_prompt(request)
    assert prompt.startswith("<|im_start|>system\nYou recommend music.")
    assert '"name": "search_items"' in prompt  # the template rendered the tool list
    assert "Answer with only a JSON object" in prompt
    assert prompt.endswith("<|im_start|>assistant\n")
    no_tools = random_model.render_prompt(
        request.model_copy(update={"options": ChatOptions(tool_choice="none")})
    )
    assert "search_items" not in no_tools


def test_a_tool_call_generated_by_the_model_is_parsed(taught_model: TransformersChatModel) -> None:
    result = taught_model.chat([Message.user(TOOL_QUESTION)], tools=[SEARCH])
    (call,) = result.tool_calls
    assert (call.name, call.parsed_arguments()) == ("search_items", {"genre": "jazz"})
    assert result.text == ""
    assert result.finish_reason == "tool_calls"


def test_json_generated_by_the_model_is_validated(taught_model: TransformersChatModel) -> None:
    result = taught_model.chat([Message.user(JSON_QUESTION)], output=Taste)
    assert result.parsed == Taste(genre="jazz", liked=True)
    assert result.text == JSON_ANSWER
    assert result.attempts == 1


def test_stop_strings_end_the_answer_and_are_not_part_of_it(taught_model: TransformersChatModel) -> None:
    # The taught request (its prompt holds the schema instruction), with a stop string inside the answer.
    request = ChatRequest(
        messages=(Message.user(JSON_QUESTION),),
        output_name="Taste",
        output_schema=Taste.model_json_schema(),
        options=ChatOptions(stop=('"jazz"',)),
    )
    completion = taught_model._complete(request)
    assert completion.text == '{"genre": '
    assert completion.usage.completion_tokens < len(taught_model.load().tokenizer(JSON_ANSWER)["input_ids"])


def test_random_answers_fail_validation_twice_and_keep_the_text(random_model: TransformersChatModel) -> None:
    with pytest.raises(StructuredOutputError) as caught:
        random_model.chat([Message.user("what do I like?")], output=Taste, options=ChatOptions(max_tokens=6))
    assert len(caught.value.raw_texts) == 2


def test_streaming_gives_the_same_text_as_chat(taught_model: TransformersChatModel) -> None:
    options = ChatOptions(max_tokens=12)
    expected = taught_model.chat([Message.user("stream this")], options=options).text
    events = list(taught_model.stream([Message.user("stream this")], options=options))
    assert "".join(e.text for e in events if isinstance(e, TextDelta)) == expected
    end = events[-1]
    assert isinstance(end, StreamEnd)
    assert end.result.text == expected
    assert end.result.usage.completion_tokens <= 12


def test_a_folder_without_chat_template_is_refused(tiny_model_dir: Path, tmp_path: Path) -> None:
    import json
    import shutil

    folder = tmp_path / "no-template"
    shutil.copytree(tiny_model_dir, folder)
    (folder / "chat_template.jinja").unlink(missing_ok=True)
    config_file = folder / "tokenizer_config.json"
    tokenizer_config = json.loads(config_file.read_text())
    tokenizer_config.pop("chat_template", None)
    config_file.write_text(json.dumps(tokenizer_config))
    with pytest.raises(LLMError, match="has no chat template"):
        TransformersChatModel(TransformersConfig(path=folder, device="cpu")).chat([Message.user("x")])


def test_missing_transformers_is_a_clear_error(tiny_model_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "transformers", None)  # import transformers -> ImportError
    model = TransformersChatModel(TransformersConfig(path=tiny_model_dir, device="cpu"))
    with pytest.raises(BackendNotInstalledError, match=r"pip install 'crsagent\[ml\]'"):
        model.chat([Message.user("x")])
