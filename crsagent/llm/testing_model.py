"""A tiny random-weight Llama chat model written to a folder, for plumbing tests and benchmarks.

Nothing is downloaded: the tokenizer is a byte-level BPE trained in-process on a few sentences, the
weights are random. The model says nothing useful; it exercises everything around a real model —
chat template, tokenization, generation, token counting, tool-call and JSON parsing, and serving by
vLLM (whose CPU attention needs ``head_dim >= 64``, hence 2 heads of 64 in a 128-wide model).

Needs the ``ml`` extra (transformers, tokenizers, torch).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

# ChatML with Hermes-style tool calls: the format Qwen2.5 uses and vLLM's ``hermes`` parser reads.
# The first system message and the tool list go in one system block; tool results come back as
# <tool_response> blocks in a user turn.
CHAT_TEMPLATE = """\
{%- set first_is_system = messages and messages[0].role == 'system' -%}
{%- if tools -%}
<|im_start|>system
{% if first_is_system %}{{ messages[0].content }}

{% endif %}You may call one or more functions. The functions:
<tools>
{% for tool in tools %}{{ tool | tojson }}
{% endfor %}</tools>
For each call reply with <tool_call>{"name": <function-name>, "arguments": <args-json-object>}</tool_call><|im_end|>
{% elif first_is_system -%}
<|im_start|>system
{{ messages[0].content }}<|im_end|>
{% endif -%}
{%- for message in messages -%}
{%- if message.role == 'system' and loop.first -%}
{%- elif message.role == 'assistant' -%}
<|im_start|>assistant
{{ message.content or '' }}{% for call in message.tool_calls or [] %}<tool_call>{{ {'name': call.function.name, 'arguments': call.function.arguments} | tojson }}</tool_call>{% endfor %}<|im_end|>
{% elif message.role == 'tool' -%}
<|im_start|>user
<tool_response>{{ message.content }}</tool_response><|im_end|>
{% else -%}
<|im_start|>{{ message.role }}
{{ message.content }}<|im_end|>
{% endif -%}
{%- endfor -%}
{%- if add_generation_prompt -%}
<|im_start|>assistant
{% endif -%}
"""

SPECIAL_TOKENS = ("<|endoftext|>", "<|im_start|>", "<|im_end|>")

# Enough text for the BPE to learn English-ish merges and the JSON / tool-call punctuation.
_CORPUS = (
    "You are a helpful movie and music recommender. Ask about genres, directors and decades.",
    "I would like a science fiction film from the 1990s directed by someone famous.",
    'The answer is {"intent": "recommend", "genres": ["drama", "comedy"], "liked": true}.',
    '<tool_call>{"name": "search_items", "arguments": {"genre": "jazz", "limit": 10}}</tool_call>',
    "<tool_response>[1, 2, 3]</tool_response> Here are three albums you might enjoy.",
    "Reply with only a JSON object that matches the schema: properties, required, type, string.",
    "0123456789 true false null { } [ ] : , \" ' - _ . ? !",
)


class TinyModelConfig(BaseModel):
    """Shape of the tiny model; the defaults are the smallest vLLM's CPU backend accepts."""

    vocab_size: int = Field(default=1024, ge=300, description="BPE vocabulary size to train.")
    hidden_size: int = Field(default=128, description="Model width (heads x head_dim).")
    num_attention_heads: int = Field(default=2, ge=1, description="Attention heads.")
    num_hidden_layers: int = Field(default=2, ge=1, description="Decoder layers.")
    intermediate_size: int = Field(default=256, description="MLP width.")
    max_position_embeddings: int = Field(default=4096, description="Longest sequence.")
    seed: int = Field(default=0, description="Seed of the random weights.")


def train_tokenizer(vocab_size: int) -> object:
    """A byte-level BPE tokenizer (every byte encodable) wrapped as a transformers fast tokenizer."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    bpe = Tokenizer(models.BPE())
    bpe.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    bpe.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=list(SPECIAL_TOKENS),
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    bpe.train_from_iterator(list(_CORPUS) * 4, trainer=trainer)
    return PreTrainedTokenizerFast(
        tokenizer_object=bpe,
        bos_token="<|endoftext|>",
        eos_token="<|im_end|>",
        pad_token="<|endoftext|>",
        chat_template=CHAT_TEMPLATE,
    )


def _token_id(tokenizer: Any, token: str) -> int:
    token_id = tokenizer.convert_tokens_to_ids(token)
    if not isinstance(token_id, int):
        raise ValueError(f"the tokenizer has no single id for {token!r}")
    return token_id


def write_tiny_chat_model(folder: Path, config: TinyModelConfig | None = None) -> Path:
    """Write tokenizer + random-weight Llama (safetensors) + generation config to ``folder``."""
    import torch
    from transformers import GenerationConfig, LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    config = config or TinyModelConfig()
    folder.mkdir(parents=True, exist_ok=True)
    tokenizer = train_tokenizer(config.vocab_size)
    assert isinstance(tokenizer, PreTrainedTokenizerFast)
    tokenizer.save_pretrained(folder)
    eos_id = _token_id(tokenizer, "<|im_end|>")
    bos_id = _token_id(tokenizer, "<|endoftext|>")
    llama_config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=config.hidden_size,
        intermediate_size=config.intermediate_size,
        num_hidden_layers=config.num_hidden_layers,
        num_attention_heads=config.num_attention_heads,
        num_key_value_heads=config.num_attention_heads,
        head_dim=config.hidden_size // config.num_attention_heads,
        max_position_embeddings=config.max_position_embeddings,
        bos_token_id=bos_id,
        eos_token_id=eos_id,
        pad_token_id=bos_id,
        tie_word_embeddings=True,
    )
    torch.manual_seed(config.seed)
    model = LlamaForCausalLM(llama_config)
    model.save_pretrained(folder)
    GenerationConfig(bos_token_id=bos_id, eos_token_id=eos_id, pad_token_id=bos_id).save_pretrained(folder)
    return folder
