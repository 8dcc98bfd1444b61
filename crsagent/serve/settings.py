"""Limits and options of the servers, typed, with defaults safe for a machine shared on a network."""

from __future__ import annotations

from pydantic import BaseModel, Field, SecretStr


class ServeLimits(BaseModel):
    """What one server accepts and how much work it takes on at once."""

    max_request_bytes: int = Field(
        default=256 * 1024,
        ge=1024,
        le=64 * 1024 * 1024,
        description="Largest request body; more is refused with 413 before it is parsed.",
    )
    max_messages: int = Field(
        default=200, ge=1, le=10_000, description="Most messages in one chat request (400 beyond)."
    )
    max_message_chars: int = Field(
        default=8000, ge=1, le=1_000_000, description="Longest single message, in characters (400 beyond)."
    )
    rate_per_minute: float = Field(
        default=120.0,
        ge=0.0,
        description="Requests a client may make per minute on average; 0 turns the limit off.",
    )
    rate_burst: int = Field(
        default=20, ge=1, description="Requests a client may make at once above the rate."
    )
    max_clients_tracked: int = Field(
        default=10_000, ge=1, description="Clients the rate limiter remembers (oldest forgotten first)."
    )
    max_concurrent_turns: int = Field(
        default=8,
        ge=1,
        le=1024,
        description="Agent turns computed at once; more requests wait their turn (the work is CPU-bound).",
    )
    turn_timeout_s: float = Field(
        default=120.0, gt=0, description="Deadline of one turn, waiting included (504 after it)."
    )


class ServeOptions(BaseModel):
    """What ``crsagent serve`` serves and where."""

    datasets: list[str] = Field(min_length=1, description="Datasets served; each is one model name.")
    llm: str | None = Field(default=None, description="Model string of the agent's LLM; None: offline.")
    host: str = Field(default="127.0.0.1", description="Address to bind: this machine only by default.")
    port: int = Field(default=8000, ge=0, le=65535, description="Port; 0 picks a free one.")
    api_key: SecretStr | None = Field(
        default=None, description="When set, every /v1 request needs `Authorization: Bearer KEY`."
    )
    limits: ServeLimits = Field(default_factory=ServeLimits)
