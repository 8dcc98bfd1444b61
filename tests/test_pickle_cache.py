"""The pickle cache: shared objects are referenced, not stored; builds are keyed on their code."""

from __future__ import annotations

import importlib.util
import logging
from pathlib import Path

import pytest

from crsagent.pickle_cache import cached_build, code_digest, read_cached, write_cached


class Big:
    """Stands for a catalog: what an index refers to but must not store again."""

    def __init__(self, payload: str) -> None:
        self.payload = payload


def test_shared_objects_are_not_stored_and_the_readers_take_their_place(tmp_path: Path) -> None:
    big = Big("x" * 100_000)
    path = tmp_path / "index.pickle"
    write_cached(path, {"source": big, "nested": [big, 3]}, shared=[big])
    assert path.stat().st_size < 1_000  # the payload is not in the file
    other = Big("the reader's own")
    restored = read_cached(path, dict, shared=[other])
    assert restored is not None
    assert restored["source"] is other and restored["nested"][0] is other


def test_a_file_that_names_a_shared_object_not_given_is_rebuilt(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    big = Big("x")
    path = tmp_path / "index.pickle"
    write_cached(path, [big], shared=[big])
    with caplog.at_level(logging.WARNING):
        assert read_cached(path, list) is None
    assert "shared object 0, which was not given" in caplog.text
    assert cached_build(path, lambda: ["built"], list) == ["built"]
    assert read_cached(path, list) == ["built"]  # and stored again


def test_cached_build_builds_once(tmp_path: Path) -> None:
    calls: list[int] = []

    def build() -> list[int]:
        calls.append(1)
        return [len(calls)]

    path = tmp_path / "built.pickle"
    assert cached_build(path, build, list) == [1]
    assert cached_build(path, build, list) == [1] and len(calls) == 1
    assert cached_build(None, build, list) == [2]  # no cache folder: always built


def test_code_digest_follows_the_source_and_the_library_versions(tmp_path: Path) -> None:
    source = tmp_path / "builder.py"
    source.write_text("VALUE = 1\n", encoding="utf-8")
    spec = importlib.util.spec_from_file_location("builder", source)
    assert spec is not None
    module = importlib.util.module_from_spec(spec)
    first = code_digest([module])
    assert code_digest([module]) == first
    assert code_digest([module], ["numpy"]) != first
    source.write_text("VALUE = 2\n", encoding="utf-8")
    assert code_digest([module]) != first
