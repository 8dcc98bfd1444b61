"""LLM-callable tools: a pydantic input model plus a function, exported as OpenAI tool schemas.

A tool never raises into the planner for bad input: validation failures, unknown ids and refused
queries come back as a ``ToolOutput`` with ``ok=False`` and an error that says what was wrong, so the
planner (an LLM or the offline policy) can correct itself. Limits the LLM may overshoot are clamped.

Arguments are validated strictly, as JSON: ``"9742"`` is not an integer and ``5.0`` is not one
either. Lax coercion would let a string slip past the clamp (which only sees integers) and reach the
tool unbounded; the strict error goes back to the planner like any other invalid input.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, Field, ValidationError

from crsagent.errors import CrsAgentError
from crsagent.validation import describe_validation_error

InputT = TypeVar("InputT", bound=BaseModel)


class ToolOutput(BaseModel):
    """What a tool returns: ids for the code, a short text with titles for the LLM."""

    tool: str
    ok: bool = True
    summary: str = Field(default="", description="Human / LLM readable result: titles, facts or the error.")
    item_ids: list[str] = Field(default_factory=list, description="Catalog ids, best first.")
    scores: list[float] = Field(default_factory=list, description="Scores aligned with item_ids, if any.")
    data: dict[str, Any] = Field(default_factory=dict, description="Structured extras (rows, facts).")
    error: str | None = Field(default=None, description="What was wrong, when ok is False.")
    notices: list[str] = Field(default_factory=list, description="Adjustments made, e.g. a clamped limit.")
    elapsed_ms: float = 0.0

    @classmethod
    def failure(cls, tool: str, error: str) -> ToolOutput:
        """A structured error the planner can act on."""
        return cls(tool=tool, ok=False, error=error, summary=f"error: {error}")


@dataclass(frozen=True)
class Tool(Generic[InputT]):
    """A named function over a validated input model.

    ``clamp`` maps an integer argument name to its (min, max): values outside are brought inside
    before validation and a notice is added, rather than failing the call.
    """

    name: str
    description: str
    input_model: type[InputT]
    function: Callable[[InputT], ToolOutput]
    clamp: dict[str, tuple[int, int]] = field(default_factory=dict)

    def openai_schema(self) -> dict[str, Any]:
        """The tool as an OpenAI ``tools=[...]`` entry (function calling)."""
        return {
            "type": "function",
            "function": {
                "name": self.name,
                "description": self.description,
                "parameters": self.input_model.model_json_schema(),
            },
        }

    def _clamped(self, arguments: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
        notices = []
        fixed = dict(arguments)
        for key, (low, high) in self.clamp.items():
            value = fixed.get(key)
            if isinstance(value, int) and not isinstance(value, bool) and not low <= value <= high:
                fixed[key] = min(max(value, low), high)
                notices.append(f"{key}={value} is outside {low}..{high}; used {fixed[key]}")
        return fixed, notices

    def parse(self, arguments: dict[str, Any] | str | InputT) -> tuple[InputT, list[str]]:
        """Validated input (JSON text, a dict or a ready model); raises ``ValidationError``/``ValueError``."""
        if isinstance(arguments, self.input_model):
            return arguments, []
        if isinstance(arguments, str):
            try:
                arguments = json.loads(arguments or "{}")
            except json.JSONDecodeError as error:
                raise ValueError(
                    f"arguments are not valid JSON ({error.msg} at column {error.colno})"
                ) from None
        if not isinstance(arguments, dict):
            raise ValueError(f"arguments must be a JSON object, got {type(arguments).__name__}")
        fixed, notices = self._clamped(arguments)
        try:
            text = json.dumps(fixed, ensure_ascii=False, allow_nan=False)
        except (TypeError, ValueError) as error:  # a Python caller passed something JSON cannot hold
            raise ValueError(f"arguments must be plain JSON values ({error})") from None
        return self.input_model.model_validate_json(text, strict=True), notices

    def invoke(self, arguments: dict[str, Any] | str | InputT) -> ToolOutput:
        """Validate, run, and return a ``ToolOutput``; never raises for bad input or refused work."""
        start = time.perf_counter()
        try:
            parsed, notices = self.parse(arguments)
        except ValidationError as error:
            return ToolOutput.failure(self.name, f"invalid input: {describe_validation_error(error)}")
        except ValueError as error:
            return ToolOutput.failure(self.name, f"invalid input: {error}")
        try:
            output = self.function(parsed)
        except CrsAgentError as error:
            # Expected failures (unknown ids, refused SQL, timeouts) go back to the planner as data.
            output = ToolOutput.failure(self.name, str(error))
        output.notices = [*notices, *output.notices]
        output.elapsed_ms = (time.perf_counter() - start) * 1000
        return output
