"""``crsagent chat``: options, clear errors before anything is served, and a real server."""

from __future__ import annotations

import json
import socket
import stat
import sys
import urllib.request
from pathlib import Path

import pytest

from crsagent.cli import build_parser, main
from crsagent.commands.chat import ChatOptions, browser_secret, options_from_args, serve
from crsagent.config import Settings
from crsagent.errors import CrsAgentError


def _settings(tmp_path: Path, **fields: object) -> Settings:
    return Settings.model_validate({"data_dir": tmp_path / "data", "cache_dir": tmp_path / "cache", **fields})


def test_without_configuration_it_opens_the_demo_offline(tmp_path: Path) -> None:
    args = build_parser().parse_args(["chat"])
    options = options_from_args(args, _settings(tmp_path))
    assert (options.dataset, options.llm, options.host, options.port) == ("demo", None, "127.0.0.1", 7860)


def test_configured_llm_is_used_unless_the_command_line_says_offline(tmp_path: Path) -> None:
    settings = _settings(tmp_path, llm_model="openai:gpt-4o-mini")
    assert options_from_args(build_parser().parse_args(["chat"]), settings).llm == "openai:gpt-4o-mini"
    args = build_parser().parse_args(["chat", "--llm", "offline", "--dataset", "crs-lastfm"])
    assert (options_from_args(args, settings).llm, options_from_args(args, settings).dataset) == (
        None,
        "crs-lastfm",
    )


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["chat", "--port", "70000"], "port 70000 is outside 0-65535"),
        (["chat", "--port", "http"], "--port: expected a whole number, got 'http'"),
        (["chat", "--list-size", "0"], "invalid choice"),
    ],
)
def test_bad_arguments_are_refused_by_the_parser(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        build_parser().parse_args(argv)
    assert exit_info.value.code == 2 and message in capsys.readouterr().err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["chat", "--dataset", "no-such-dataset"], "unknown dataset 'no-such-dataset'"),
        (["chat", "--dataset", "demo", "--llm", "bogus:model"], "unknown backend 'bogus'"),
    ],
)
def test_a_dataset_or_llm_that_cannot_open_fails_before_serving(
    argv: list[str], message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([*argv, "--cache-dir", str(tmp_path), "--port", "1"]) == 2
    assert message in capsys.readouterr().err


def test_a_port_in_use_gives_a_clear_error(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        options = ChatOptions(dataset="demo", llm=None, port=port)
        with pytest.raises(CrsAgentError, match=f"cannot serve on 127.0.0.1:{port}.*pass another --port"):
            serve(options, _settings(tmp_path))


def test_serves_the_page_on_localhost(tmp_path: Path) -> None:
    options = ChatOptions(dataset="demo", llm=None, port=0, sessions=tmp_path / "sessions.sqlite")
    app, url = serve(options, _settings(tmp_path))
    try:
        assert url.startswith("http://127.0.0.1:")
        with urllib.request.urlopen(url, timeout=30) as response:
            assert response.status == 200
        with urllib.request.urlopen(f"{url}config", timeout=30) as response:
            config = json.load(response)
        assert config["title"] == "crsagent" and config["analytics_enabled"] is False
    finally:
        app.close()


def test_browser_secret_is_kept_private_and_stable(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    secret = browser_secret(settings)
    assert len(secret) >= 24 and browser_secret(settings) == secret
    path = settings.cache_dir / "ui" / "browser-secret"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_without_gradio_the_error_names_the_ui_extra(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in [
        m for m in sys.modules if m in ("crsagent.ui.optional", "crsagent.ui.layout", "crsagent.ui.app")
    ]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "gradio", None)  # what an install without the ui extra looks like
    assert main(["chat", "--dataset", "demo", "--cache-dir", str(tmp_path)]) == 2
    error = capsys.readouterr().err
    assert "the web UI needs gradio" in error and "pip install 'crsagent[ui]'" in error
