"""Typed settings, read from the environment (prefix ``CRSAGENT_``) at the edges, never at import."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Where data lives and which LLM to talk to. Every field can be set as ``CRSAGENT_<FIELD>``."""

    model_config = SettingsConfigDict(env_prefix="CRSAGENT_", extra="ignore")

    data_dir: Path | None = Field(
        default=None,
        description="Folder holding dataset folders (ml-latest-small/, crs-lastfm/, ...).",
    )
    cache_dir: Path = Field(
        default_factory=lambda: Path.home() / ".cache" / "crsagent",
        description="Downloads, parsed-dataset caches and catalog databases go here.",
    )
    default_dataset: str = Field(
        default="ml-latest-small",
        description="Dataset the chat and CLI open when none is named; the demo catalog if absent.",
    )
    llm_model: str | None = Field(
        default=None,
        description="Model string (see docs/llm.md); None means the offline mode.",
    )
    llm_base_url: str | None = Field(default=None, description="OpenAI-compatible endpoint URL.")
    llm_api_key: SecretStr | None = Field(default=None, description="Key for the endpoint, if it needs one.")
    llm_timeout_s: float = Field(
        default=60.0, gt=0, description="Longest wait for the next bytes of an answer, in seconds."
    )
    llm_connect_timeout_s: float = Field(
        default=5.0, gt=0, description="Longest wait to connect, in seconds."
    )
    llm_deadline_s: float = Field(
        default=60.0,
        gt=0,
        description="Budget of one LLM call in seconds: connecting, reading, retries and their waits together.",
    )
    llm_max_response_bytes: int = Field(
        default=262_144, ge=1024, description="Largest LLM answer read, in bytes; a larger one is an error."
    )
    llm_max_retries: int = Field(
        default=3,
        ge=0,
        le=10,
        description="Retries the openai client makes on 429 / 5xx, timeouts and dropped connections (within the call budget).",
    )
    llm_structured_output: Literal["response_format", "structured_outputs", "guided_json"] = Field(
        default="response_format",
        description=(
            "How an OpenAI-compatible server is asked for schema-valid JSON: response_format (OpenAI, "
            "vLLM, most servers), vLLM's structured_outputs field, or older vLLM's guided_json field."
        ),
    )
    llm_device: str = Field(default="auto", description="Device of the hf: backend: auto, cpu, cuda, cuda:1.")

    @field_validator("data_dir", "llm_model", "llm_base_url", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        """``CRSAGENT_DATA_DIR=`` (set but empty) means "not configured", not the current folder."""
        return None if isinstance(value, str) and not value.strip() else value

    @property
    def datasets_cache(self) -> Path:
        """Downloaded datasets live here, one folder per dataset name."""
        return self.cache_dir / "datasets"
