"""Model strings (``CRSAGENT_LLM_MODEL``) -> a backend.

    openai:<model>                    OpenAI, e.g. openai:gpt-4o-mini (CRSAGENT_LLM_BASE_URL, when
                                      set, points it at another OpenAI-compatible server)
    vllm-server:<base-url>#<model>    an OpenAI-compatible server such as `vllm serve`, e.g.
                                      vllm-server:http://localhost:8000/v1#Qwen/Qwen2.5-7B-Instruct
                                      (a URL without a path gets /v1)
    vllm:<folder-or-hub-name>         vLLM inside this process (a CUDA GPU and the vllm extra)
    hf:<folder>                       a local transformers model folder (the ml extra)
    scripted:<file.json>              replies read from a JSON file, in order (tests, demos)

No model string (``llm_model`` unset) is the offline mode: ``chat_model_from_settings`` returns None.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit, urlunsplit

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from crsagent.config import Settings
from crsagent.llm.errors import ModelStringError
from crsagent.llm.protocol import ChatModel

Backend = Literal["openai", "vllm-server", "vllm", "hf", "scripted"]
BACKENDS: tuple[Backend, ...] = ("openai", "vllm-server", "vllm", "hf", "scripted")

SYNTAX = (
    "model strings: openai:<model> | vllm-server:<base-url>#<model> | vllm:<folder-or-hub-name> | "
    "hf:<folder> | scripted:<file.json> (see docs/llm.md)"
)


class ModelSpec(BaseModel):
    """A parsed model string."""

    model_config = ConfigDict(frozen=True)

    backend: Backend = Field(description="Which backend serves the model.")
    model: str = Field(description="Model name, folder or script file, as the backend needs it.")
    base_url: str | None = Field(default=None, description="Server endpoint (vllm-server only).")

    def __str__(self) -> str:
        if self.backend == "vllm-server":
            return f"vllm-server:{self.base_url}#{self.model}"
        return f"{self.backend}:{self.model}"


def _bad(text: str, problem: str) -> ModelStringError:
    return ModelStringError(f"model string {text!r}: {problem}. {SYNTAX}")


def _server_url(text: str, url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise _bad(text, f"{url!r} is not an http(s) URL such as http://localhost:8000/v1")
    path = parts.path if parts.path not in ("", "/") else "/v1"
    return urlunsplit((parts.scheme, parts.netloc, path.rstrip("/"), parts.query, ""))


def parse_model_string(text: str) -> ModelSpec:
    """Parse and check the syntax (not whether the model exists); errors show the syntax."""
    stripped = text.strip()
    prefix, colon, rest = stripped.partition(":")
    if not colon:
        raise _bad(text, "it has no backend prefix")
    if prefix not in BACKENDS:
        raise _bad(text, f"unknown backend {prefix!r} (known: {', '.join(BACKENDS)})")
    rest = rest.strip()
    if prefix == "vllm-server":
        url, hash_sign, model = rest.rpartition("#")
        if not hash_sign or not url:
            raise _bad(text, "vllm-server needs '<base-url>#<model>', the model name as the server serves it")
        if not model.strip():
            raise _bad(text, "the model name after '#' is empty")
        return ModelSpec(backend="vllm-server", model=model.strip(), base_url=_server_url(text, url.strip()))
    if not rest:
        raise _bad(text, f"nothing after '{prefix}:'")
    return ModelSpec(backend=prefix, model=rest)


def load_chat_model(spec: str | ModelSpec, settings: Settings | None = None) -> ChatModel:
    """The backend a model string names, configured from ``settings`` (timeouts, key, retries).

    Nothing is loaded or contacted yet: weights load and servers are called on the first chat.
    """
    parsed = parse_model_string(spec) if isinstance(spec, str) else spec
    settings = settings or Settings()
    name = str(parsed)
    if parsed.backend in ("openai", "vllm-server"):
        from crsagent.llm.openai_backend import OpenAICompatibleChatModel, OpenAICompatibleConfig
        from crsagent.llm.openai_wire import WireSettings

        wire = WireSettings(model=parsed.model, structured_mode=settings.llm_structured_output)
        config = OpenAICompatibleConfig.from_settings(settings, wire, parsed.base_url)
        return OpenAICompatibleChatModel(config, name=name)
    if parsed.backend == "vllm":
        from crsagent.llm.vllm_backend import VLLMChatModel, VLLMConfig

        return VLLMChatModel(VLLMConfig(model=parsed.model), name=name)
    if parsed.backend == "hf":
        from crsagent.llm.hf_backend import TransformersChatModel, TransformersConfig

        try:
            config = TransformersConfig(path=Path(parsed.model).expanduser(), device=settings.llm_device)
        except ValidationError as error:
            problem = "; ".join(str(item["msg"]) for item in error.errors(include_url=False))
            raise _bad(name, problem) from error
        return TransformersChatModel(config, name=name)
    from crsagent.llm.testing import ScriptedChatModel

    try:
        return ScriptedChatModel.from_file(Path(parsed.model).expanduser())
    except ValueError as error:
        raise _bad(name, str(error)) from error


def chat_model_from_settings(settings: Settings | None = None) -> ChatModel | None:
    """The configured chat model, or None for the offline mode (no ``CRSAGENT_LLM_MODEL``)."""
    settings = settings or Settings()
    if settings.llm_model is None:
        return None
    return load_chat_model(settings.llm_model, settings)
