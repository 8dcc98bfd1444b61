from __future__ import annotations

import json
from pathlib import Path

import pytest

from crsagent.cli import main
from tests.builders import write_scpr_folder


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_data_info_on_a_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = write_scpr_folder(tmp_path / "bench")
    code, out, _ = run(capsys, "data", "info", str(folder), "--cache-dir", str(tmp_path / "cache"))
    assert code == 0
    lines = out.splitlines()
    assert "items: 3" in lines
    assert "users: 2" in lines
    assert "interactions: 6" in lines
    assert "  test: 2 positives, 2 users" in lines


def test_data_info_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = write_scpr_folder(tmp_path / "bench")
    code, out, _ = run(capsys, "data", "info", str(folder), "--json", "--cache-dir", str(tmp_path / "c"))
    assert code == 0
    info = json.loads(out)
    assert info["splits"] == {"train": 3, "valid": 1, "test": 2}
    assert info["attributes"][0]["type"] == "tag"


def test_default_without_data_opens_the_demo(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CRSAGENT_DATA_DIR", "")
    code, out, _ = run(capsys, "data", "info", "--cache-dir", str(tmp_path))
    assert code == 0
    assert out.startswith("dataset: demo  (DEMO catalog")


def test_unknown_dataset_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "data", "info", "no-such-data", "--cache-dir", str(tmp_path))
    assert code == 2
    assert out == ""
    assert "crsagent: error: unknown dataset 'no-such-data'" in err


def test_download_without_archive_explains_where_data_comes_from(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(capsys, "data", "download", "crs-lastfm", "--dest", str(tmp_path), "--quiet")
    assert code == 2
    assert "crs-lastfm" in err and "CRSAGENT_DATA_DIR" in err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        ([], "the following arguments are required: COMMAND"),
        (["data"], "the following arguments are required: ACTION"),
        (["data", "info", "--bogus"], "unrecognized arguments: --bogus"),
        (["dance"], "invalid choice: 'dance'"),
    ],
)
def test_bad_arguments_exit_2_with_usage(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as caught:
        main(argv)
    assert caught.value.code == 2
    assert message in capsys.readouterr().err


@pytest.mark.real_data
@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("ml-latest-small", ["items: 9742", "users: 610", "interactions: 100836", "positives: 48580"]),
        (
            "crs-lastfm",
            ["items: 7432", "users: 1801", "interactions: 76693", "  tag: 33 values on 7432 items"],
        ),
        ("redial", ["items: 6924", "note dialogues: 901"]),
    ],
)
def test_data_info_counts_match_sources(
    name: str, expected: list[str], real_data_dir: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, out, _ = run(
        capsys, "data", "info", name, "--data-dir", str(real_data_dir), "--cache-dir", str(tmp_path)
    )
    assert code == 0
    for line in expected:
        assert any(row.startswith(line) for row in out.splitlines()), line


@pytest.mark.parametrize("command", ["chat", "repl"])
def test_an_unknown_cf_model_is_an_argparse_error_listing_the_registry(
    command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_:
        main([command, "--cf-model", "nope"])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert "--cf-model: invalid choice: 'nope'" in err
    assert all(name in err for name in ("ease", "itemknn", "none"))


@pytest.mark.parametrize(("name", "fitted"), [("none", None), ("itemknn", "ItemKNN")])
def test_repl_builds_the_agent_with_the_chosen_cf_model(
    name: str, fitted: str | None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    built: list[object] = []
    monkeypatch.setattr(
        "crsagent.commands.repl.run_repl", lambda agent, *_: built.append(agent.runtime.cf) or 0
    )
    folder = write_scpr_folder(tmp_path / "bench")  # the demo has no train split to fit a model on
    argv = [
        "repl",
        "--dataset",
        str(folder),
        "--llm",
        "offline",
        "--cf-model",
        name,
        "--cache-dir",
        str(tmp_path),
    ]
    assert main(argv) == 0
    assert (type(built[0]).__name__ if built[0] is not None else None) == fitted


def test_chat_options_carry_the_cf_model(tmp_path: Path) -> None:
    from crsagent.cli import build_parser
    from crsagent.commands.chat import options_from_args
    from crsagent.config import Settings

    settings = Settings.model_validate({"data_dir": tmp_path, "cache_dir": tmp_path})
    for argv, expected in ((["chat"], "ease"), (["chat", "--cf-model", "none"], None)):
        assert options_from_args(build_parser().parse_args(argv), settings).cf_model == expected
