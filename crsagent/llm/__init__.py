"""Chat models: one protocol, backends for OpenAI-compatible servers, in-process vLLM and transformers.

    from crsagent.llm import Message, load_chat_model
    model = load_chat_model("vllm-server:http://localhost:8000/v1#Qwen/Qwen2.5-7B-Instruct")
    answer = model.chat([Message.user("Recommend a jazz album")])
    answer.usage, answer.latency_s  # tokens and seconds of this call (re-asks included)

Backends live in their own modules (``openai_backend``, ``vllm_backend``, ``hf_backend``) and are
imported only when a model string asks for them; see docs/llm.md.
"""

from crsagent.llm.errors import (
    BackendNotInstalledError,
    LLMError,
    LLMRequestError,
    LLMResponseError,
    LLMTimeoutError,
    LLMUnavailableError,
    ModelStringError,
    ScriptExhaustedError,
    StructuredOutputError,
)
from crsagent.llm.messages import Message, ToolCall, ToolSpec
from crsagent.llm.model_string import ModelSpec, chat_model_from_settings, load_chat_model, parse_model_string
from crsagent.llm.protocol import ChatModel, ChatOptions, ChatRequest
from crsagent.llm.results import StreamEnd, TextDelta

__all__ = [
    "BackendNotInstalledError",
    "ChatModel",
    "ChatOptions",
    "ChatRequest",
    "LLMError",
    "LLMRequestError",
    "LLMResponseError",
    "LLMTimeoutError",
    "LLMUnavailableError",
    "Message",
    "ModelSpec",
    "ModelStringError",
    "ScriptExhaustedError",
    "StreamEnd",
    "StructuredOutputError",
    "TextDelta",
    "ToolCall",
    "ToolSpec",
    "chat_model_from_settings",
    "load_chat_model",
    "parse_model_string",
]
