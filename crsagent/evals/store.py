"""The run folder: the spec it ran, the episode log, and (written at the end) metrics, report, plots.

``episodes.jsonl`` gets one line per finished episode, written and flushed as soon as the episode
ends, so a killed run loses only the episodes in flight. A re-run reads the log and plays only what
is missing. A kill can leave half a line at the end: it is cut off (and its episode re-played); a
line that is not UTF-8 (a torn write, a disk error) is reported and its episode re-played the same
way; any other broken line is corruption and stops the run with the line number.

``spec.json`` binds a folder to a spec only once an episode is logged: a start that failed before
any episode (a dataset missing, a worker that could not build its agent) leaves a folder that a
corrected spec may reuse.
"""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TypeVar

from pydantic import BaseModel, ValidationError

from crsagent.errors import CrsAgentError
from crsagent.evals.spec import RESUMABLE_CHANGES
from crsagent.simulators.base import Episode

logger = logging.getLogger(__name__)
R = TypeVar("R", bound=BaseModel)

SPEC_TEXT_FILE = "spec.toml"
SPEC_FILE = "spec.json"
EPISODES_FILE = "episodes.jsonl"
METRICS_FILE = "metrics.json"
REPORT_FILE = "report.md"
SR_PLOT_FILE = "sr_by_turn.png"
TURNS_PLOT_FILE = "turns_hist.png"


class RunFolderError(CrsAgentError):
    """A run folder that cannot be (re)used as asked."""


@dataclass(frozen=True)
class RunFolder:
    """One evaluation's folder."""

    path: Path

    def file(self, name: str) -> Path:
        return self.path / name

    def prepare(
        self, spec: BaseModel, spec_text: str | None, resumable: frozenset[str] = RESUMABLE_CHANGES
    ) -> bool:
        """Create the folder, or check that it holds a run of the same spec; True when resuming.

        ``spec`` is an ``EvalSpec`` or a ``CprRunConfig``. A different one would mix episodes of two
        evaluations in one log, so it is refused, naming the fields that differ (those in
        ``resumable`` may change: workers, description, the subset size).
        """
        if self.path.exists() and not self.path.is_dir():
            raise RunFolderError(f"run folder {self.path} exists and is not a folder")
        saved = self.file(SPEC_FILE)
        new = spec.model_dump(mode="json")
        if saved.is_file() and self._has_episodes():
            old = json.loads(saved.read_text(encoding="utf-8"))
            changed = [
                key for key in sorted((set(old) | set(new)) - resumable) if old.get(key) != new.get(key)
            ]
            if changed:
                raise RunFolderError(
                    f"run folder {self.path} holds a run of a different spec (fields that differ: "
                    f"{', '.join(changed)}); choose another --out, or delete the folder to start over"
                )
            resuming = True
        elif self.path.is_dir() and any(
            entry.name not in (SPEC_FILE, SPEC_TEXT_FILE) for entry in self.path.iterdir()
        ):
            raise RunFolderError(
                f"run folder {self.path} is not empty and has no {SPEC_FILE}: not an evaluation run folder"
            )
        else:
            resuming = False
        self.path.mkdir(parents=True, exist_ok=True)
        saved.write_text(json.dumps(new, indent=2) + "\n", encoding="utf-8")
        if spec_text is not None and (not resuming or not self.file(SPEC_TEXT_FILE).is_file()):
            self.file(SPEC_TEXT_FILE).write_text(spec_text, encoding="utf-8")
        return resuming

    def _has_episodes(self) -> bool:
        path = self.file(EPISODES_FILE)
        return path.is_file() and path.stat().st_size > 0

    def read_episodes(self) -> dict[int, Episode]:
        """Logged episodes by index (the last record of an index wins); repairs a torn last line."""
        return {episode.episode: episode for episode in read_log(self.file(EPISODES_FILE), Episode)}

    def log(self) -> contextlib.AbstractContextManager[JsonLinesLog]:
        """An append-only writer of episode lines, open for the ``with`` block."""
        return append_log(self.file(EPISODES_FILE))


def read_log(path: Path, model: type[R]) -> list[R]:
    """The records of a JSON-lines log in order (none when it is missing); repairs a torn last line.

    A line that is not UTF-8 is skipped (its record is redone); any other line that is not a record
    is corruption, a ``RunFolderError`` naming the line."""
    if not path.is_file():
        return []
    data = path.read_bytes()
    if data and not data.endswith(b"\n"):
        cut = data.rfind(b"\n") + 1
        logger.warning(
            "%s: dropping a partial last line (%d bytes) left by a killed run", path, len(data) - cut
        )
        with path.open("r+b") as handle:
            handle.truncate(cut)
        data = data[:cut]
    records: list[R] = []
    for number, raw in enumerate(data.split(b"\n"), start=1):
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError as error:
            logger.warning("%s: line %d is not UTF-8 (%s): its record is redone", path, number, error.reason)
            continue
        if not line.strip():
            continue
        try:
            records.append(model.model_validate_json(line))
        except ValidationError as error:
            raise RunFolderError(
                f"{path}: line {number} is not a valid {model.__name__} record ({error.error_count()} problem(s), "
                f"first: {error.errors(include_url=False)[0]['msg']}); the log is corrupt"
            ) from None
    return records


@contextlib.contextmanager
def append_log(path: Path) -> Iterator[JsonLinesLog]:
    """An append-only writer of record lines to ``path``, open for the ``with`` block."""
    with path.open("a", encoding="utf-8") as handle:
        yield JsonLinesLog(handle)


@dataclass(frozen=True)
class JsonLinesLog:
    """Appends one JSON line per record and flushes it at once (a kill loses nothing written)."""

    handle: IO[str]

    def write(self, record: BaseModel) -> None:
        # One write of the whole line: a kill mid-write leaves a line without its newline, which
        # read_log recognises and drops.
        self.handle.write(record.model_dump_json() + "\n")
        self.handle.flush()
