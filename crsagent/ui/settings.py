"""The web UI's limits and offers as a shared server: typed, with safe defaults, read from the
environment (``CRSAGENT_UI_<FIELD>``) and overridden by ``crsagent chat``'s flags."""

from __future__ import annotations

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class UISettings(BaseSettings):
    """What visitors may choose, and how much of the machine they may take."""

    model_config = SettingsConfigDict(env_prefix="CRSAGENT_UI_", extra="ignore")

    llms: list[str] = Field(
        default_factory=list,
        description="Model strings visitors may pick (besides offline and the one the UI opens with).",
    )
    allow_any_llm: bool = Field(
        default=False,
        description="Let visitors type any model string. Off: a typed URL would make the server a proxy "
        "into its own network, and every new string builds an agent.",
    )
    max_llm_chars: int = Field(default=500, ge=1, le=4000, description="Longest model string accepted.")
    max_agents: int = Field(
        default=3,
        ge=1,
        le=64,
        description="Agents kept built (one per dataset and LLM, ~600 MB each on ml-latest-small); "
        "the least recently used one is dropped past this (its sessions stay in SQLite).",
    )
    concurrent_turns: int = Field(
        default=8, ge=1, le=64, description="Turns served at once, over all sessions (Gradio's limit)."
    )
    max_queue: int = Field(
        default=256, ge=1, le=10_000, description="Events waiting in Gradio's queue; past it, 'queue full'."
    )
    max_waiting_turns: int = Field(
        default=3,
        ge=0,
        le=32,
        description="Messages one session may have waiting behind its running turn; more are refused.",
    )
    max_live_sessions: int = Field(
        default=10_000,
        ge=1,
        le=1_000_000,
        description="Sessions whose latest chat the server keeps in memory to queue turns on it.",
    )

    @field_validator("llms")
    @classmethod
    def _no_blank_llms(cls, values: list[str]) -> list[str]:
        return [v.strip() for v in values if v.strip()]
