"""``crsagent eval redial``: the ReDial benchmarks as one resumable run in a folder.

The folder holds ``config.json`` (what was run; a rerun must match it), ``points.jsonl`` (one line
per evaluated point), ``metrics.json`` (readable by ``crsagent eval compare``), ``report.md``, and
with ``--understanding`` the misreadings as JSON lines.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from crsagent.agent.facade import Agent
from crsagent.config import Settings
from crsagent.data.loaders.redial import RedialDataset, RedialDialogue, read_dialogues
from crsagent.evals.redial.baselines import MentionsCFBaseline, PopularityBaseline
from crsagent.evals.redial.recommend import recommendation_metrics, run_points
from crsagent.evals.redial.records import RedialRunError
from crsagent.evals.redial.render import Rendering
from crsagent.evals.redial.report import report_markdown
from crsagent.evals.redial.samples import PointCounts, recommendation_points
from crsagent.evals.redial.understanding import attribute_accuracy, movie_mention_accuracy, read_labels
from crsagent.evals.redial_targets import load_redial
from crsagent.recommenders.registry import fitted_recommender
from crsagent.registry import DEFAULT_AGENT_RECOMMENDER, HistoryRecommenderName

CONFIG_FILE = "config.json"
METRICS_FILE = "metrics.json"
REPORT_FILE = "report.md"
MISREADINGS_FILE = "misreadings.jsonl"
TEST_FILE = "test_data.jsonl"


class RedialRunConfig(BaseModel):
    """What a ReDial run evaluates (stored in the run folder; a resumed run must match it)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    split: str = Field(description="valid, test, or a path to a ReDial .jsonl file.")
    dataset: str = Field(default="ml-latest-small", description="The evaluated catalog.")
    mentions: Rendering = Field(default="canonical", description="How movie names are written.")
    limit: int | None = Field(default=None, ge=1, description="Evaluate the first N points only.")
    understanding: bool = Field(default=False, description="Also measure understanding accuracy.")
    llm: str = Field(default="offline", description="The agent's LLM (a model string), offline by default.")
    cf_model: HistoryRecommenderName = Field(
        default=DEFAULT_AGENT_RECOMMENDER, description="The mentions-CF baseline's model."
    )


@dataclass
class RedialRun:
    folder: Path
    metrics: dict[str, Any]


def load_dialogues(split: str, redial: RedialDataset) -> tuple[RedialDialogue, ...]:
    """The dialogues of ``split``: the loaded valid split, the test file beside it, or a path."""
    if split == "valid":
        return redial.dialogues
    if split == "test":
        if redial.source is None:
            raise RedialRunError("--split test needs the redial folder on disk")
        path = Path(redial.source) / TEST_FILE
        if not path.is_file():
            raise RedialRunError(
                f"--split test: {path} does not exist (only the valid split ships); pass the path of a "
                "ReDial .jsonl file instead"
            )
    else:
        path = Path(split)
        if not path.is_file():
            raise RedialRunError(f"--split {split!r}: not valid, test, or an existing .jsonl file")
    titles = {item.id: item.title for item in redial.catalog}
    return tuple(read_dialogues(path, titles))


def _prepare(folder: Path, config: RedialRunConfig) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / CONFIG_FILE
    if path.is_file():
        stored = json.loads(path.read_text(encoding="utf-8"))
        if stored != config.model_dump(mode="json"):
            raise RedialRunError(f"{folder} holds a run with another configuration ({path}); use a new --out")
    else:
        path.write_text(config.model_dump_json(indent=2) + "\n", encoding="utf-8")


def run_redial(
    config: RedialRunConfig, *, out: Path, settings: Settings | None = None, progress: bool = True
) -> RedialRun:
    """Runs (or resumes) the benchmark into ``out``."""
    settings = settings or Settings()
    redial = load_redial("redial", settings, "eval redial")
    dialogues = load_dialogues(config.split, redial)
    _prepare(out, config)
    agent = Agent.from_dataset(config.dataset, llm=config.llm, settings=settings)
    catalog = agent.catalog
    counts = PointCounts()
    points = list(
        recommendation_points(dialogues, redial.to_movielens, config.mentions, set(catalog.ids), counts)
    )
    if config.limit is not None:
        points = points[: config.limit]
    popularity = PopularityBaseline(catalog)
    mentions_cf = MentionsCFBaseline(
        catalog, fitted_recommender(agent.dataset, config.cf_model, settings.cache_dir), popularity
    )
    records = run_points(agent, [popularity, mentions_cf], points, out, progress=progress)
    metrics: dict[str, Any] = {
        "dataset": config.dataset,
        "split": config.split,
        "targets": f"redial ({config.mentions} names)",
        "agent_llm": config.llm,
        "policy": agent.runtime.config.policy,
        **recommendation_metrics(records, counts),
    }
    if config.understanding:
        metrics.update(_understanding(agent, redial, dialogues, config, out))
    (out / METRICS_FILE).write_text(json.dumps(metrics, indent=2) + "\n", encoding="utf-8")
    (out / REPORT_FILE).write_text(report_markdown(metrics, config.mentions), encoding="utf-8")
    return RedialRun(out, metrics)


def _understanding(
    agent: Agent,
    redial: RedialDataset,
    dialogues: Sequence[RedialDialogue],
    config: RedialRunConfig,
    out: Path,
) -> dict[str, Any]:
    movies = movie_mention_accuracy(agent.runtime, dialogues, redial.to_movielens, config.mentions)
    metrics = dict(movies.metrics)
    misreadings = [{"kind": "movie", **m} for m in movies.misreadings]
    if config.split == "valid":  # the labels are of valid-split messages
        attributes = attribute_accuracy(agent.runtime, dialogues, read_labels(), config.mentions)
        metrics.update(attributes.metrics)
        misreadings += [{"kind": "attribute", **m} for m in attributes.misreadings]
    lines = "".join(json.dumps(m, ensure_ascii=False) + "\n" for m in misreadings)
    (out / MISREADINGS_FILE).write_text(lines, encoding="utf-8")
    return metrics
