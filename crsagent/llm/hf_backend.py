"""transformers backend: a chat model from a local folder (weights + tokenizer + chat template).

Loads on first use, never from a hub (``local_files_only``). Runs on CPU or a GPU. Tool calls and
JSON output work by prompting and parsing (``local_prompting.py``); the answer goes through the same
validation and re-ask as every backend. Needs the ``ml`` extra.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from crsagent.llm.errors import BackendNotInstalledError, LLMError
from crsagent.llm.local_prompting import build_prompt, completion_from_text, template_supports_tools
from crsagent.llm.protocol import ChatModel, ChatOptions, ChatRequest, merged_options
from crsagent.llm.results import Completion, TextDelta


class TransformersConfig(BaseModel):
    """Which folder, where to run it, how long to let it talk."""

    model_config = ConfigDict(frozen=True)

    path: Path = Field(description="Folder with config.json, weights, tokenizer and a chat template.")
    device: str = Field(
        default="auto", description="'auto' (a GPU when present), 'cpu', 'cuda', 'cuda:1', ..."
    )
    dtype: Literal["auto", "float32", "bfloat16", "float16"] = Field(
        default="auto", description="'auto': bfloat16 on a GPU, float32 on CPU."
    )
    max_new_tokens: int = Field(default=512, gt=0, description="Default generation length.")
    defaults: ChatOptions = Field(default_factory=ChatOptions, description="Options a call does not set.")

    @field_validator("path")
    @classmethod
    def _is_model_folder(cls, path: Path) -> Path:
        if not path.is_dir():
            raise ValueError(f"{path} is not a folder (expected a local model folder with config.json)")
        if not (path / "config.json").is_file():
            raise ValueError(f"{path} has no config.json; is it a transformers model folder?")
        return path


@dataclass(frozen=True)
class _Loaded:
    """The tokenizer, model and device once loaded."""

    tokenizer: Any
    model: Any
    device: Any
    tools_in_template: bool


class TransformersChatModel(ChatModel):
    """A ``ChatModel`` running a local transformers causal LM."""

    def __init__(self, config: TransformersConfig, name: str | None = None):
        super().__init__(name or f"hf:{config.path}")
        self.config = config
        self._loaded: _Loaded | None = None
        # One generation at a time: a model's forward passes are not meant to interleave.
        self._lock = threading.Lock()

    def load(self) -> _Loaded:
        """Load tokenizer and weights (once); a clear error when transformers or torch is missing."""
        if self._loaded is not None:
            return self._loaded
        try:
            import torch
            from transformers import AutoModelForCausalLM, AutoTokenizer
        except ImportError as error:
            raise BackendNotInstalledError(
                f"{self.name}: the transformers backend needs torch and transformers "
                "(pip install 'crsagent[ml]')"
            ) from error
        auto = "cuda" if torch.cuda.is_available() else "cpu"
        device = torch.device(self.config.device if self.config.device != "auto" else auto)
        dtype_name = self.config.dtype
        if dtype_name == "auto":
            dtype_name = "bfloat16" if device.type == "cuda" else "float32"
        tokenizer = AutoTokenizer.from_pretrained(self.config.path, local_files_only=True)
        if not getattr(tokenizer, "chat_template", None):
            raise LLMError(
                f"{self.config.path}: the tokenizer has no chat template; use an instruct/chat model"
            )
        model: Any = AutoModelForCausalLM.from_pretrained(
            self.config.path, local_files_only=True, dtype=getattr(torch, dtype_name)
        )
        model.to(device)
        model.eval()
        self._loaded = _Loaded(tokenizer, model, device, template_supports_tools(tokenizer.chat_template))
        return self._loaded

    def render_prompt(self, request: ChatRequest) -> str:
        """The exact text the model reads for ``request`` (chat template applied)."""
        loaded = self.load()
        prompt = build_prompt(request, tools_in_template=loaded.tools_in_template)
        text = loaded.tokenizer.apply_chat_template(
            prompt.messages, tools=prompt.tools, tokenize=False, add_generation_prompt=True
        )
        if not isinstance(text, str):
            raise LLMError(f"{self.name}: the chat template did not render to text")
        return text

    def _inputs(self, request: ChatRequest) -> tuple[_Loaded, Any, dict[str, Any], ChatOptions]:
        loaded = self.load()
        text = self.render_prompt(request)
        inputs = loaded.tokenizer(text, return_tensors="pt", add_special_tokens=False).to(loaded.device)
        options = merged_options(self.config.defaults, request.options)
        generation: dict[str, Any] = {
            "max_new_tokens": options.max_tokens or self.config.max_new_tokens,
            "pad_token_id": loaded.tokenizer.pad_token_id or loaded.tokenizer.eos_token_id,
        }
        if options.temperature:
            generation.update(do_sample=True, temperature=options.temperature)
        else:
            generation.update(do_sample=False, temperature=None, top_p=None, top_k=None)
        if options.stop:
            generation.update(stop_strings=list(options.stop), tokenizer=loaded.tokenizer)
        return loaded, inputs, generation, options

    def _complete(self, request: ChatRequest, streamer: Any = None) -> Completion:
        loaded, inputs, generation, options = self._inputs(request)  # loads, or says what is missing
        import torch
        from transformers import set_seed

        with self._lock, torch.inference_mode():
            if options.seed is not None:
                set_seed(options.seed)
            output = loaded.model.generate(**inputs, **generation, streamer=streamer)
        new_tokens = output[0, inputs["input_ids"].shape[1] :]
        text = loaded.tokenizer.decode(new_tokens, skip_special_tokens=True)
        text = _cut_at_stop(text, options.stop)
        ended = len(new_tokens) > 0 and int(new_tokens[-1]) == loaded.tokenizer.eos_token_id
        hit_limit = len(new_tokens) >= generation["max_new_tokens"] and not ended
        return completion_from_text(
            text,
            request,
            prompt_tokens=int(inputs["input_ids"].shape[1]),
            completion_tokens=len(new_tokens),
            finish_reason="length" if hit_limit else "stop",
            model=self.name,
        )

    def _stream(self, request: ChatRequest) -> Iterator[TextDelta | Completion]:
        """Token-by-token text. With tools offered the text may hold call markup, so it is sent
        whole at the end instead (the default)."""
        if request.tools and request.options.tool_choice != "none":
            yield from super()._stream(request)
            return
        from transformers import TextIteratorStreamer

        tokenizer = self.load().tokenizer
        streamer = TextIteratorStreamer(tokenizer, skip_prompt=True, skip_special_tokens=True)
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="crsagent-hf-stream") as pool:
            future = pool.submit(self._complete, request, streamer)
            # generate() ends the streamer when it finishes, not when it raises: end it then, so the
            # loop below stops and future.result() re-raises the error here.
            future.add_done_callback(lambda done: streamer.end() if done.exception() else None)
            for piece in streamer:
                if piece:
                    yield TextDelta(text=piece)
            completion = future.result()
        yield completion


def _cut_at_stop(text: str, stops: tuple[str, ...]) -> str:
    """OpenAI semantics: the answer ends before the first stop string. Generation halts on the
    token that completes one, and that token may carry characters past it."""
    found = [index for index in (text.find(stop) for stop in stops) if index >= 0]
    return text[: min(found)] if found else text
