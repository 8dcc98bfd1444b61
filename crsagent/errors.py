"""Exceptions that reach users: each says what was wrong and where."""

from __future__ import annotations

from pathlib import Path


class CrsAgentError(Exception):
    """Base class of every error crsagent raises on purpose."""


class DataFileError(CrsAgentError):
    """A dataset file is missing or malformed; the message names the file and the problem."""

    def __init__(self, path: Path | str, problem: str) -> None:
        self.path = Path(path)
        self.problem = problem
        super().__init__(f"{self.path}: {problem}")


class DatasetNotFoundError(CrsAgentError):
    """A dataset name or path that no loader can resolve."""


class DownloadError(CrsAgentError):
    """A download failed, or its content did not match the recorded checksums."""


class QueryError(CrsAgentError):
    """A catalog query (typed or raw SQL) was refused or failed."""


class QueryTimeoutError(QueryError):
    """A raw SQL query ran past its time limit and was stopped."""
