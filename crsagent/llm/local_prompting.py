"""Tools and JSON output for local models (transformers, in-process vLLM) by prompting + parsing.

A local model has no server to enforce a schema or parse tool calls, so:
- the output schema goes into the system message ("answer with only a JSON object matching ..."),
  and the answer is validated by the same path as every backend (one re-ask, then an error);
- tools go to the chat template when it renders them (Qwen2.5, Llama 3.1, Hermes-style templates
  take ``tools=``), otherwise into the system message; calls are read back from the Hermes
  ``<tool_call>{"name": ..., "arguments": {...}}</tool_call>`` blocks those models write.
"""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from crsagent.llm.messages import Message, ToolCall
from crsagent.llm.protocol import ChatRequest
from crsagent.llm.results import Completion, Usage

_TOOL_CALL = re.compile(r"<tool_call>\s*(.*?)\s*(?:</tool_call>|$)", re.DOTALL)


class LocalPrompt(BaseModel):
    """What to hand to a chat template: messages (and tools, when the template renders them)."""

    model_config = ConfigDict(frozen=True)

    messages: list[dict[str, Any]] = Field(description="OpenAI-style message dicts, HF conventions.")
    tools: list[dict[str, Any]] | None = Field(default=None, description="Tool schemas for the template.")


def template_supports_tools(chat_template: str | None) -> bool:
    """Whether a Jinja chat template reads the ``tools`` variable."""
    return bool(chat_template) and re.search(r"\btools\b", chat_template or "") is not None


def _template_message(message: Message) -> dict[str, Any]:
    rendered = message.to_openai()
    # HF templates expect arguments as a mapping (they serialise it themselves).
    for call in rendered.get("tool_calls", ()):
        call["function"]["arguments"] = _arguments(call["function"]["arguments"])
    return rendered


def _arguments(text: str) -> dict[str, Any] | str:
    try:
        value = json.loads(text)
    except json.JSONDecodeError:
        return text  # shown to the model as it wrote it
    return value if isinstance(value, dict) else text


def _tools_instruction(request: ChatRequest) -> str:
    listing = "\n".join(json.dumps(tool.to_openai()["function"]) for tool in request.tools)
    return (
        "You can call these functions:\n"
        f"<tools>\n{listing}\n</tools>\n"
        'To call one, write <tool_call>{"name": "<function name>", "arguments": {...}}</tool_call>.'
    )


def _output_instruction(request: ChatRequest) -> str:
    schema = json.dumps(request.output_schema, separators=(",", ":"))
    return f"Answer with only a JSON object (no other text) that matches this JSON schema:\n{schema}"


def build_prompt(request: ChatRequest, *, tools_in_template: bool) -> LocalPrompt:
    """Messages (with our instructions folded into the system message) and template tools."""
    offer_tools = bool(request.tools) and request.options.tool_choice != "none"
    instructions: list[str] = []
    if offer_tools and not tools_in_template:
        instructions.append(_tools_instruction(request))
    if offer_tools and request.options.tool_choice == "required":
        instructions.append("You must call one of the functions now.")
    if request.output_schema is not None:
        instructions.append(_output_instruction(request))
    messages = [_template_message(message) for message in request.messages]
    if instructions:
        addition = "\n\n".join(instructions)
        if messages[0]["role"] == "system":
            messages[0] = {**messages[0], "content": f"{messages[0]['content']}\n\n{addition}".strip()}
        else:
            messages.insert(0, {"role": "system", "content": addition})
    tools = [tool.to_openai() for tool in request.tools] if offer_tools and tools_in_template else None
    return LocalPrompt(messages=messages, tools=tools)


def parse_tool_calls(text: str, offered: set[str]) -> tuple[str, tuple[ToolCall, ...]]:
    """``(text without the call blocks, calls)``. Blocks that are not JSON calls of an offered tool
    stay in the text, so nothing the model wrote is lost."""
    calls: list[ToolCall] = []
    kept: list[str] = []
    position = 0
    for match in _TOOL_CALL.finditer(text):
        call = _parse_call(match.group(1), offered)
        if call is None:
            continue
        kept.append(text[position : match.start()])
        position = match.end()
        calls.append(call)
    kept.append(text[position:])
    return "".join(kept).strip() if calls else text, tuple(calls)


def _parse_call(block: str, offered: set[str]) -> ToolCall | None:
    try:
        value = json.loads(block)
    except json.JSONDecodeError:
        return None
    if not isinstance(value, dict) or value.get("name") not in offered:
        return None
    arguments = value.get("arguments", value.get("parameters", {}))
    arguments_json = arguments if isinstance(arguments, str) else json.dumps(arguments)
    return ToolCall(id=f"call_{uuid.uuid4().hex[:16]}", name=str(value["name"]), arguments=arguments_json)


def completion_from_text(
    text: str,
    request: ChatRequest,
    *,
    prompt_tokens: int,
    completion_tokens: int,
    finish_reason: str | None,
    model: str,
) -> Completion:
    """A ``Completion`` for generated text, with tool calls parsed out when tools were offered."""
    calls: tuple[ToolCall, ...] = ()
    if request.tools and request.options.tool_choice != "none":
        text, calls = parse_tool_calls(text, {tool.name for tool in request.tools})
    return Completion(
        text=text,
        tool_calls=calls,
        usage=Usage(prompt_tokens=prompt_tokens, completion_tokens=completion_tokens),
        finish_reason="tool_calls" if calls else finish_reason,
        model=model,
    )
