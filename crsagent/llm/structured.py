"""Structured output: the JSON schema sent for an output model, and validating the model's answer.

Every backend shares this, so an answer is judged the same way whether it came from OpenAI, vLLM or
a local model: find the JSON object in the text, validate it with pydantic, and on failure build the
one re-ask message that quotes the validation errors.
"""

from __future__ import annotations

import copy
import functools
import json
import re
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from crsagent.validation import describe_validation_error

ModelT = TypeVar("ModelT", bound=BaseModel)

_FENCE = re.compile(r"```(?:json)?\s*(.*?)```", re.DOTALL)
# Validation errors quoted back to the model (and kept in error messages) are cut here.
MAX_ERRORS_CHARS = 1000
_TOO_DEEP = "the JSON is nested too deeply to read; answer with a flat object that matches the schema"


@functools.cache
def output_schema(output: type[BaseModel]) -> dict[str, Any]:
    """The model's JSON schema, as pydantic writes it. Cached per class: generating it costs more
    than the rest of a call's client-side work together. Treat the result as read-only."""
    return output.model_json_schema()


def strict_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """A copy that OpenAI's strict structured-output mode accepts.

    Strict mode wants every object closed (``additionalProperties: false``) and every property
    listed in ``required``; it rejects ``default``. A field with a default thus becomes one the model
    must always write — pydantic still validates it the same way.
    """
    result = copy.deepcopy(schema)
    _make_strict(result)
    return result


def _make_strict(node: Any) -> None:
    if isinstance(node, dict):
        node.pop("default", None)
        if node.get("type") == "object" or "properties" in node:
            properties = node.get("properties", {})
            node["additionalProperties"] = False
            node["required"] = list(properties)
        for value in node.values():
            _make_strict(value)
    elif isinstance(node, list):
        for value in node:
            _make_strict(value)


def extract_json(text: str) -> str:
    """The JSON object in an answer: the whole text, a fenced block, or the first balanced object.

    Servers that enforce the schema return bare JSON; prompted local models often wrap it in prose or
    a ```json fence. When nothing parses the text is returned unchanged, so the validation error
    shows what the model wrote.
    """
    stripped = text.strip()
    if stripped.startswith(("{", "[")):
        return stripped
    fenced = _FENCE.search(stripped)
    if fenced:
        return fenced.group(1).strip()
    decoder = json.JSONDecoder()
    for match in re.finditer(r"\{", stripped):
        try:
            _, end = decoder.raw_decode(stripped, match.start())
        except (ValueError, RecursionError):  # JSONDecodeError, a number too long, nesting too deep
            continue
        return stripped[match.start() : end]
    return stripped


def validate_output(output: type[ModelT], text: str) -> tuple[ModelT | None, str]:
    """``(instance, "")`` when ``text`` holds a valid ``output``; ``(None, errors)`` otherwise.

    Deeply nested JSON (``[[[[...]]]]`` a hundred thousand deep) is an invalid answer like any other,
    never a ``RecursionError``: the re-ask (and then the caller's fallback) handles it.
    """
    try:
        parsed, errors = _validate(output, text)
    except RecursionError:
        return None, _TOO_DEEP
    return parsed, errors[:MAX_ERRORS_CHARS]


def _validate(output: type[ModelT], text: str) -> tuple[ModelT | None, str]:
    candidate = extract_json(text)
    if not candidate:
        return None, "the answer is empty; a JSON object was expected"
    try:
        return output.model_validate_json(candidate), ""
    except ValidationError as error:
        if any("recursion" in str(item["msg"]).lower() for item in error.errors()):
            return None, _TOO_DEEP
        if not any(item["type"] == "json_invalid" for item in error.errors()):
            return None, describe_validation_error(error)
        first_error = error
    # Raw control characters inside strings are invalid JSON, yet guided decoding lets them through
    # (seen with vLLM 0.32's xgrammar backend): accept them rather than re-ask for a valid answer.
    try:
        value = json.loads(candidate, strict=False)
    except ValueError:  # JSONDecodeError, or a number too long to convert
        return None, describe_validation_error(first_error)
    try:
        return output.model_validate(value), ""
    except ValidationError as error:
        return None, describe_validation_error(error)


def reask_message(output: type[BaseModel], errors: str) -> str:
    """The user message that asks once more, quoting what was wrong."""
    return (
        f"Your previous answer is not a valid {output.__name__}: {errors}. "
        "Answer again with only a JSON object that matches this JSON schema, and nothing else:\n"
        f"{json.dumps(output_schema(output), separators=(',', ':'))}"
    )
