"""Validation errors as one readable line: shared by the tools (bad arguments from a planner) and the
LLM layer (a structured answer that failed its schema), so it sits below both."""

from __future__ import annotations

import json

from pydantic import ValidationError


def describe_validation_error(error: ValidationError) -> str:
    """One line per problem: ``field.path: message (got value)``."""
    problems = []
    for detail in error.errors(include_url=False):
        where = ".".join(str(part) for part in detail["loc"]) or "input"
        got = detail.get("input")
        shown = json.dumps(got, default=str)[:80] if got is not None else "nothing"
        problems.append(f"{where}: {detail['msg']} (got {shown})")
    return "; ".join(problems)
