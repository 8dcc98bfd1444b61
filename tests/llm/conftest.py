"""Fixtures of the LLM tests: a tiny random-weight Llama on disk, and one taught two fixed answers."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import BaseModel

from crsagent.llm import ChatRequest, Message, ToolSpec
from crsagent.llm.hf_backend import TransformersChatModel
from crsagent.llm.protocol import ChatOptions


class Taste(BaseModel):
    """The output model the taught model answers with."""

    genre: str
    liked: bool


SEARCH = ToolSpec(
    name="search_items",
    description="Search the catalog by genre",
    parameters={"type": "object", "properties": {"genre": {"type": "string"}}, "required": ["genre"]},
)
TOOL_QUESTION = "Find me some jazz"
TOOL_ANSWER = '<tool_call>{"name": "search_items", "arguments": {"genre": "jazz"}}</tool_call>'
JSON_QUESTION = "What do I like?"
JSON_ANSWER = '{"genre": "jazz", "liked": true}'


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A random-weight 2-layer Llama with an in-process-trained tokenizer and a ChatML template."""
    pytest.importorskip("transformers")
    from crsagent.llm.testing_model import write_tiny_chat_model

    return write_tiny_chat_model(tmp_path_factory.mktemp("tiny-llama"))


@pytest.fixture(scope="session")
def taught_model(tiny_model_dir: Path) -> TransformersChatModel:
    """The tiny model, fine-tuned in memory until greedy decoding reproduces two answers exactly:
    a Hermes tool call for TOOL_QUESTION (with SEARCH offered) and JSON_ANSWER for JSON_QUESTION
    (with Taste as the output model). A real model whose output we know, so the parsing of real
    generated tokens can be asserted."""
    import torch

    from crsagent.llm.hf_backend import TransformersConfig

    model = TransformersChatModel(TransformersConfig(path=tiny_model_dir, device="cpu"), name="hf:taught")
    loaded = model.load()
    tokenizer, network = loaded.tokenizer, loaded.model
    requests = [
        (ChatRequest(messages=(Message.user(TOOL_QUESTION),), tools=(SEARCH,)), TOOL_ANSWER),
        (
            ChatRequest(
                messages=(Message.user(JSON_QUESTION),),
                output_name="Taste",
                output_schema=Taste.model_json_schema(),
                options=ChatOptions(),
            ),
            JSON_ANSWER,
        ),
    ]
    batches = []
    for request, answer in requests:
        prompt = tokenizer(model.render_prompt(request), add_special_tokens=False)["input_ids"]
        target = tokenizer(answer + "<|im_end|>", add_special_tokens=False)["input_ids"]
        batches.append((torch.tensor([prompt + target]), torch.tensor([[-100] * len(prompt) + target])))
    total = float("inf")
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny matrices: threads only add overhead (and contend with other jobs)
    try:
        torch.manual_seed(0)
        network.train()
        optimizer = torch.optim.Adam(network.parameters(), lr=5e-3)
        for _ in range(300):
            total = 0.0
            for input_ids, labels in batches:
                loss = network(input_ids=input_ids, labels=labels).loss
                loss.backward()
                total += loss.item()
            optimizer.step()
            optimizer.zero_grad()
            if total < 0.01:
                break
        network.eval()
    finally:
        torch.set_num_threads(threads)
    assert total < 0.01, f"the tiny model did not learn its two answers (loss {total:.3f})"
    return model
