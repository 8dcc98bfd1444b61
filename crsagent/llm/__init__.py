"""Chat models: one protocol, backends for OpenAI-compatible servers, in-process vLLM and transformers.

    from crsagent.llm import Message, load_chat_model, UsageMeter
    meter = UsageMeter()
    model = load_chat_model("vllm-server:http://localhost:8000/v1#Qwen/Qwen2.5-7B-Instruct", meter=meter)
    answer = model.chat([Message.user("Recommend a jazz album")])

Backends live in their own modules (``openai_backend``, ``vllm_backend``, ``hf_backend``) and are
imported only when a model string asks for them; see docs/llm.md.
"""

from crsagent.llm.base import BaseChatModel
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
from crsagent.llm.results import ChatResult, Completion, StreamEnd, StreamEvent, TextDelta, Usage
from crsagent.llm.usage import CallRecord, UsageMeter, UsageSummary

__all__ = [
    "BackendNotInstalledError",
    "BaseChatModel",
    "CallRecord",
    "ChatModel",
    "ChatOptions",
    "ChatRequest",
    "ChatResult",
    "Completion",
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
    "StreamEvent",
    "StructuredOutputError",
    "TextDelta",
    "ToolCall",
    "ToolSpec",
    "Usage",
    "UsageMeter",
    "UsageSummary",
    "chat_model_from_settings",
    "load_chat_model",
    "parse_model_string",
]
