"""The run folder: spec checks on resume, the append-only episode log, a torn last line."""

from __future__ import annotations

from pathlib import Path

import pytest

from crsagent.evals.spec import EvalSpec
from crsagent.evals.store import EPISODES_FILE, SPEC_FILE, SPEC_TEXT_FILE, RunFolder, RunFolderError
from tests.evals.eval_helpers import episode

SPEC = EvalSpec.model_validate(
    {"name": "x", "dataset": "demo", "targets": {"from": "catalog"}, "simulator": {"kind": "rule"}}
)


def test_a_new_folder_keeps_the_spec_and_a_rerun_resumes(tmp_path: Path) -> None:
    folder = RunFolder(tmp_path / "run")
    assert folder.prepare(SPEC, "name = 'x'\n") is False
    assert (folder.path / SPEC_FILE).is_file() and (
        folder.path / SPEC_TEXT_FILE
    ).read_text() == "name = 'x'\n"
    with folder.log() as log:  # the spec binds the folder once an episode is logged
        log.write(episode(0))
    # Concurrency, the subset size and the description may change between runs.
    assert folder.prepare(SPEC.model_copy(update={"concurrency": 4, "episodes": 9}), None) is True


def test_a_different_spec_is_refused_naming_the_fields(tmp_path: Path) -> None:
    folder = RunFolder(tmp_path / "run")
    folder.prepare(SPEC, None)
    with folder.log() as log:
        log.write(episode(0))
    with pytest.raises(RunFolderError, match="fields that differ: max_turns, seed"):
        folder.prepare(SPEC.model_copy(update={"seed": 3, "max_turns": 9}), None)


def test_a_foreign_folder_is_refused(tmp_path: Path) -> None:
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "notes.txt").write_text("mine")
    with pytest.raises(RunFolderError, match="not an evaluation run folder"):
        RunFolder(tmp_path / "run").prepare(SPEC, None)
    (tmp_path / "file").write_text("")
    with pytest.raises(RunFolderError, match="is not a folder"):
        RunFolder(tmp_path / "file").prepare(SPEC, None)


def test_the_log_appends_and_the_last_record_of_an_index_wins(tmp_path: Path) -> None:
    folder = RunFolder(tmp_path)
    with folder.log() as log:
        log.write(episode(0, error="server down", turns=[]))
        log.write(episode(1, hit_at=2))
    with folder.log() as log:
        log.write(episode(0, hit_at=1))
    read = folder.read_episodes()
    assert sorted(read) == [0, 1] and read[0].success and read[0].error is None


def test_a_torn_last_line_is_dropped_and_the_file_repaired(tmp_path: Path) -> None:
    folder = RunFolder(tmp_path)
    with folder.log() as log:
        log.write(episode(0, hit_at=1))
        log.write(episode(1, hit_at=2))
    path = tmp_path / EPISODES_FILE
    whole = path.read_bytes()
    path.write_bytes(whole[:-25])  # a kill in the middle of the second line
    assert sorted(folder.read_episodes()) == [0]
    assert path.read_bytes() == whole[: whole.index(b"\n") + 1]
    with folder.log() as log:  # the next line starts cleanly
        log.write(episode(1, hit_at=2))
    assert sorted(folder.read_episodes()) == [0, 1]


def test_a_broken_line_inside_the_log_is_corruption(tmp_path: Path) -> None:
    path = tmp_path / EPISODES_FILE
    path.write_text(episode(0).model_dump_json() + "\n{not json}\n" + episode(1).model_dump_json() + "\n")
    with pytest.raises(RunFolderError, match="line 2 is not a valid Episode record"):
        RunFolder(tmp_path).read_episodes()


def test_a_start_that_logged_nothing_does_not_bind_the_folder(tmp_path: Path) -> None:
    folder = RunFolder(tmp_path / "run")
    folder.prepare(SPEC, "name = 'x'\n")  # then the start failed: no episode was logged
    corrected = SPEC.model_copy(update={"seed": 3})
    assert folder.prepare(corrected, "name = 'y'\n") is False
    assert (folder.path / SPEC_TEXT_FILE).read_text() == "name = 'y'\n"
    assert folder.prepare(corrected, None) is False  # still nothing logged: a fresh start again


def test_a_line_that_is_not_utf8_is_reported_and_replayed(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    folder = RunFolder(tmp_path)
    with folder.log() as log:
        log.write(episode(0))
    with (tmp_path / EPISODES_FILE).open("ab") as handle:
        handle.write(b'{"episode": 1, "title": "\xff\xfe broken"}\n')
    with folder.log() as log:
        log.write(episode(2))
    done = folder.read_episodes()
    assert sorted(done) == [0, 2]  # episode 1 is played again
    assert "line 2 is not UTF-8" in caplog.text
