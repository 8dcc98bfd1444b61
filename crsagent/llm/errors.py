"""Errors of the LLM layer. Each one says what failed, against which model or server, and why."""

from __future__ import annotations

from collections.abc import Sequence

from crsagent.errors import CrsAgentError


class LLMError(CrsAgentError):
    """Base class of every error the LLM layer raises on purpose."""


class ModelStringError(LLMError, ValueError):
    """A model string (``CRSAGENT_LLM_MODEL``) that does not parse; the message shows the syntax."""


class BackendNotInstalledError(LLMError, ImportError):
    """A backend's optional dependency (vllm, transformers) is not importable here."""


class LLMRequestError(LLMError):
    """The server refused the request (a 4xx other than 429): retrying the same request cannot help."""

    def __init__(self, message: str, *, status_code: int | None = None) -> None:
        self.status_code = status_code
        super().__init__(message)


class LLMUnavailableError(LLMError):
    """The server could not answer (connection failure, 429 or 5xx) after every allowed attempt."""

    def __init__(self, message: str, *, attempts: int, status_code: int | None = None) -> None:
        self.attempts = attempts
        self.status_code = status_code
        super().__init__(message)


class LLMTimeoutError(LLMUnavailableError):
    """No answer within the configured timeout, on every allowed attempt."""


class LLMResponseError(LLMError):
    """The server answered, but not with a usable chat completion (bad body, no choices, ...)."""


class ScriptExhaustedError(LLMError):
    """A scripted chat model was called more times than its script has replies."""


class StructuredOutputError(LLMError):
    """The model's answer did not validate against the requested output model, twice.

    ``raw_texts`` holds every answer in order (the first, then the answer to the re-ask), so the
    caller can log or inspect what the model actually said; ``raw_text`` is the last one.
    """

    def __init__(self, output_name: str, raw_texts: Sequence[str], errors: str) -> None:
        self.output_name = output_name
        self.raw_texts = tuple(raw_texts)
        self.errors = errors
        shown = self.raw_text if len(self.raw_text) <= 300 else self.raw_text[:300] + "..."
        # The message ends up in logs and in the session's state (a notice): bounded, whatever the model wrote.
        listed = errors if len(errors) <= 1000 else errors[:1000] + "..."
        super().__init__(
            f"the model's answer is not a valid {output_name} after {len(self.raw_texts)} attempt(s): "
            f"{listed}; last answer: {shown!r}"
        )

    @property
    def raw_text(self) -> str:
        """The model's last answer, verbatim."""
        return self.raw_texts[-1] if self.raw_texts else ""
