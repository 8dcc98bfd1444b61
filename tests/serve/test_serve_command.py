"""`crsagent serve` as a user starts it: a subprocess on a loopback port, the key from the environment."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import openai
import pytest

from crsagent.cli import main

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_the_command_serves_the_dataset_behind_the_key_from_the_environment(tmp_path: Path) -> None:
    port = _free_port()
    env = {
        **os.environ,
        "CRSAGENT_API_KEY": "from-the-env",
        "CRSAGENT_CACHE_DIR": str(tmp_path),
        "PYTHONPATH": str(ROOT),
    }
    argv = [
        sys.executable,
        "-m",
        "crsagent.cli",
        "serve",
        "--dataset",
        "demo",
        "--llm",
        "offline",
        "--port",
        str(port),
    ]
    server = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        assert server.stdout is not None
        banner = server.stdout.readline()
        assert f"models demo at http://127.0.0.1:{port}/v1 (an API key" in banner
        deadline = time.monotonic() + 30
        while True:  # the banner comes just before uvicorn binds the port
            try:
                httpx.get(f"http://127.0.0.1:{port}/health")
                break
            except httpx.ConnectError:
                assert time.monotonic() < deadline, "the server never answered"
                time.sleep(0.1)
        client = openai.OpenAI(base_url=f"http://127.0.0.1:{port}/v1", api_key="from-the-env", max_retries=0)
        reply = client.chat.completions.create(
            model="demo", messages=[{"role": "user", "content": "a western"}]
        )
        assert reply.choices[0].message.content
        with pytest.raises(openai.AuthenticationError):
            openai.OpenAI(
                base_url=f"http://127.0.0.1:{port}/v1", api_key="guess", max_retries=0
            ).models.list()
    finally:
        server.terminate()
        server.wait(timeout=10)


@pytest.mark.parametrize("argv", [["--port", "-1"], ["--rate-per-minute", "many"]])
def test_bad_command_lines_are_refused(argv: list[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["serve", *argv])
    assert exit_info.value.code == 2


def test_a_negative_rate_is_refused_clearly(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["serve", "--rate-per-minute", "-5"]) == 2
    assert "rate_per_minute" in capsys.readouterr().err


def test_an_unknown_dataset_fails_before_serving(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["serve", "--dataset", str(tmp_path / "missing"), "--cache-dir", str(tmp_path)]) == 2
    assert "missing" in capsys.readouterr().err
