"""Shared fixtures: real-data access (skip or fail), an isolated cache, loaded real datasets."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from crsagent.agent import Agent
from crsagent.config import Settings
from crsagent.data.dataset import Dataset

# No test may reach a model hub.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")


@pytest.fixture(autouse=True, scope="session")
def _isolated_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Every test writes caches under a temporary folder, never into the user's home."""
    cache = tmp_path_factory.mktemp("crsagent-cache")
    previous = os.environ.get("CRSAGENT_CACHE_DIR")
    os.environ["CRSAGENT_CACHE_DIR"] = str(cache)
    yield cache
    if previous is None:
        os.environ.pop("CRSAGENT_CACHE_DIR", None)
    else:
        os.environ["CRSAGENT_CACHE_DIR"] = previous


def _missing_data(reason: str) -> None:
    if os.environ.get("CRSAGENT_REQUIRE_DATA") == "1":
        pytest.fail(f"real data required (CRSAGENT_REQUIRE_DATA=1) but {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def real_data_dir() -> Path:
    """``$CRSAGENT_DATA_DIR``; skips the test when absent, fails when ``CRSAGENT_REQUIRE_DATA=1``."""
    value = os.environ.get("CRSAGENT_DATA_DIR")
    if not value:
        _missing_data("CRSAGENT_DATA_DIR is not set")
    folder = Path(str(value))
    if not folder.is_dir():
        _missing_data(f"CRSAGENT_DATA_DIR={folder} is not a folder")
    return folder


def require_dataset_folder(real_data_dir: Path, name: str) -> Path:
    """A dataset folder under the real data dir, with the same skip-or-fail rule."""
    folder = real_data_dir / name
    if not folder.is_dir():
        _missing_data(f"{folder} is missing")
    return folder


@pytest.fixture(scope="session")
def real_folder(real_data_dir: Path) -> Callable[[str], Path]:
    """``real_folder("crs-lastfm")``: a dataset folder of the real data dir, same skip-or-fail rule."""
    return lambda name: require_dataset_folder(real_data_dir, name)


@pytest.fixture(scope="session")
def real_settings(real_data_dir: Path, _isolated_cache: Path) -> Settings:
    """Settings that read the real datasets and write caches to the test cache."""
    return Settings(data_dir=real_data_dir, cache_dir=_isolated_cache)


@pytest.fixture(scope="session")
def movielens(real_settings: Settings) -> Dataset:
    """ml-latest-small joined with movie-metadata, loaded once per test session."""
    from crsagent.data.registry import load_dataset

    assert real_settings.data_dir is not None
    require_dataset_folder(real_settings.data_dir, "ml-latest-small")
    return load_dataset("ml-latest-small", settings=real_settings)


@pytest.fixture(scope="session")
def lastfm(real_settings: Settings) -> Dataset:
    """crs-lastfm with HetRec artist names, loaded once per test session."""
    from crsagent.data.registry import load_dataset

    assert real_settings.data_dir is not None
    require_dataset_folder(real_settings.data_dir, "crs-lastfm")
    return load_dataset("crs-lastfm", settings=real_settings)


@pytest.fixture(scope="session")
def ml_agent(movielens: Dataset, real_settings: Settings) -> Agent:
    """An offline agent over ml-latest-small."""
    return Agent.from_dataset(movielens, llm="offline", settings=real_settings)


@pytest.fixture(scope="session")
def demo_agent() -> Agent:
    """An offline agent over the built-in demo catalog."""
    return Agent.from_dataset("demo", llm="offline")
