"""Offline accuracy of the recommenders: full ranking, temporal leave-last-out, bootstrap CIs.

Hyper-parameters are chosen on the valid split by a small grid (valid NDCG@10); the chosen model of
each kind (fitted on train only, never refitted on train + valid) is then evaluated on test once.
Each user is ranked over all items except their history; the target is the held-out item.

Every fit runs in a fresh process (spawned), which saves the model for this process to load and
evaluate. Fit time is wall-clock inside that process; fit memory is its peak resident set size
during the fit minus its RSS just before (Linux VmHWM, reset through /proc/self/clear_refs), so it
counts numpy, scipy, BLAS and torch allocations alike and no memory freed by an earlier fit is reused.

    CRSAGENT_DATA_DIR=../shared/datasets .venv/bin/python benchmarks/recommenders.py \\
        --torch-threads 1 --out docs/results/recommenders.md
"""

from __future__ import annotations

import argparse
import logging
import multiprocessing
import os
import platform
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from crsagent.config import Settings
from crsagent.data.dataset import Dataset
from crsagent.data.interactions import Interactions
from crsagent.data.registry import load_dataset
from crsagent.recommenders import (
    BaseRecommender,
    evaluate_model,
    load_recommender,
    make_recommender,
    user_sequences,
)

logger = logging.getLogger("benchmarks.recommenders")

METRICS = ("recall@10", "recall@20", "ndcg@10")


@dataclass(frozen=True)
class ModelSpec:
    """A row of the report: a model, its grid (searched on valid in order; the first wins a tie)."""

    label: str
    model: str
    grid: list[dict[str, Any]]
    # crs-lastfm has no timestamps and its file order is not time (see the report): a sequence model
    # is also run on each user's train items in a seeded random order, to show what order adds.
    shuffle_train_order: bool = False


GRIDS: dict[str, list[ModelSpec]] = {
    "ml-latest-small": [
        ModelSpec("popularity", "popularity", [{}]),
        ModelSpec(
            "itemknn", "itemknn", [{"k": k, "shrinkage": s} for k in (20, 50, 100, 200) for s in (0.0, 10.0)]
        ),
        ModelSpec("ease", "ease", [{"l2": l2} for l2 in (100.0, 250.0, 500.0, 1000.0, 2000.0)]),
        # SASRec's defaults: max_len 50, 64 wide, 2 blocks, sampled softmax (512 negatives), lr 5e-3,
        # at most 100 epochs, stopping after 10 without a better valid NDCG@10.
        ModelSpec("sasrec", "sasrec", [{}, {"dropout": 0.5}, {"max_len": 100}]),
    ],
    "crs-lastfm": [
        ModelSpec("popularity", "popularity", [{}]),
        ModelSpec("itemknn", "itemknn", [{"k": k} for k in (20, 100)]),
        ModelSpec("ease", "ease", [{"l2": l2} for l2 in (50.0, 200.0, 500.0)]),
        ModelSpec("sasrec", "sasrec", [{}]),
        ModelSpec("sasrec-shuffled", "sasrec", [{}], shuffle_train_order=True),
    ],
}
DIFFERENCES = (
    ("ease", "popularity"),
    ("sasrec", "popularity"),
    ("sasrec", "ease"),
    ("itemknn", "popularity"),
    ("sasrec-shuffled", "ease"),
)
SHUFFLE_SEED = 0


def train_split(dataset: Dataset, shuffle_order: bool) -> Interactions:
    """The train split, its rows in a seeded random order when asked (sequences follow row order)."""
    train = dataset.splits["train"]
    if not shuffle_order:
        return train
    if train.timestamps is not None:
        raise ValueError("shuffling the order only makes sense for data without timestamps")
    return train.subset(np.random.default_rng(SHUFFLE_SEED).permutation(len(train)))


@dataclass
class EvaluationSet:
    """Per user: history (oldest first), targets, and the items left out of the ranking."""

    histories: list[NDArray[np.int64]]
    targets: list[NDArray[np.int64]]
    exclude: list[NDArray[np.int64]]


@dataclass
class ModelResult:
    """One model kind: its grid on valid, the chosen config, and per-user test metrics."""

    name: str
    grid: list[dict[str, Any]] = field(default_factory=list)
    chosen: dict[str, Any] = field(default_factory=dict)
    valid_ndcg: float = -1.0
    fit_s: float = 0.0
    peak_mb: float | None = None
    test: dict[str, NDArray[np.float64]] = field(default_factory=dict)
    test_valid_in_history: dict[str, NDArray[np.float64]] = field(default_factory=dict)
    score_ms: float = 0.0
    batched_score_ms: float = 0.0


def evaluation_set(
    dataset: Dataset, split: str, *, valid_in_history: bool = False, shuffle_order: bool = False
) -> EvaluationSet:
    """Users of ``split`` with a train history; their history items are not ranked.

    ``valid_in_history`` appends each user's valid items to the history (after the train items, as
    they are later in time): the model is not refitted, it only reads them at test time.
    """
    history_of = user_sequences(train_split(dataset, shuffle_order))
    if valid_in_history:
        valid_of = user_sequences(dataset.splits["valid"])
        empty = np.zeros(0, dtype=np.int64)
        history_of = {u: np.concatenate([h, valid_of.get(u, empty)]) for u, h in history_of.items()}
    held_out = user_sequences(dataset.splits[split])
    users = sorted(user for user in held_out if user in history_of)
    # A held-out item the user also has in the history is not a target (never so in MovieLens).
    targets = {user: np.setdiff1d(held_out[user], history_of[user]) for user in users}
    users = [user for user in users if targets[user].size]
    return EvaluationSet(
        [history_of[u] for u in users], [targets[u] for u in users], [np.unique(history_of[u]) for u in users]
    )


def _proc_status_kb(key: str) -> int | None:
    status = Path("/proc/self/status")
    if not status.is_file():
        return None
    for line in status.read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    return None


def fit_in_fresh_process(
    dataset_name: str, model_name: str, config: dict[str, Any], folder: str, shuffle_order: bool
) -> dict[str, Any]:
    """Runs in a spawned process: fit on train (SASRec: early stopping on valid), save to ``folder``."""
    dataset = load_dataset(dataset_name, settings=Settings())
    model = make_recommender(model_name, config)
    train, n_items = train_split(dataset, shuffle_order), len(dataset.catalog)
    clear_refs = Path("/proc/self/clear_refs")
    if clear_refs.exists():
        clear_refs.write_text("5")  # resets the high-water mark VmHWM to the current RSS
    before = _proc_status_kb("VmRSS")
    started = time.perf_counter()
    if model_name == "sasrec":
        # Valid NDCG@10 decides when to stop; valid pairs never become training pairs.
        model.fit(train, n_items, valid=dataset.splits["valid"])
    else:
        model.fit(train, n_items)
    seconds = time.perf_counter() - started
    peak = _proc_status_kb("VmHWM") if clear_refs.exists() else None
    model.save(folder)
    epochs = getattr(model, "epochs", None)
    return {
        "seconds": seconds,
        "peak_mb": None if peak is None or before is None else (peak - before) / 1024,
        "note": f"{len(epochs)} epochs, best {getattr(model, 'best_epoch', None)}" if epochs else "",
    }


def evaluation_sets(dataset: Dataset, shuffle_order: bool) -> dict[str, EvaluationSet]:
    """Valid, test, and test with the valid item in the history; the same users in both tests."""
    sets = {
        "valid": evaluation_set(dataset, "valid", shuffle_order=shuffle_order),
        "test": evaluation_set(dataset, "test", shuffle_order=shuffle_order),
        "test_valid_in_history": evaluation_set(
            dataset, "test", valid_in_history=True, shuffle_order=shuffle_order
        ),
    }
    if len(sets["test_valid_in_history"].histories) != len(sets["test"].histories):
        raise RuntimeError("both test protocols must rank the same users")
    return sets


def select_and_test(
    dataset: Dataset, dataset_name: str, spec: ModelSpec, quick: bool, threads: int | None
) -> ModelResult:
    """Fit every grid point on train, keep the best on valid NDCG@10, and test that one once."""
    result = ModelResult(name=spec.label)
    name, grid = spec.model, spec.grid[:1] if quick else spec.grid
    sets = evaluation_sets(dataset, spec.shuffle_train_order)
    spawn = multiprocessing.get_context("spawn")
    valid = sets["valid"]
    chosen_folder = ""
    with tempfile.TemporaryDirectory(prefix=f"bench-{name}-") as scratch:
        for number, point in enumerate(grid):
            config = {**point, "fit_threads": threads} if name == "sasrec" and threads else dict(point)
            folder = str(Path(scratch) / str(number))
            with ProcessPoolExecutor(max_workers=1, mp_context=spawn) as pool:
                stats = pool.submit(
                    fit_in_fresh_process, dataset_name, name, config, folder, spec.shuffle_train_order
                ).result()
            model = load_recommender(folder)
            metrics = evaluate_model(model, valid.histories, valid.targets, exclude=valid.exclude)
            ndcg = float(metrics["ndcg@10"].mean())
            result.grid.append({"config": point, "ndcg": ndcg, **stats})
            logger.info("%s %s: valid NDCG@10 %.4f, %s", name, point, ndcg, stats)
            if ndcg > result.valid_ndcg:
                result.chosen, result.valid_ndcg = point, ndcg
                result.fit_s, result.peak_mb = stats["seconds"], stats["peak_mb"]
                chosen_folder = folder
        best = load_recommender(chosen_folder)
    test, later = sets["test"], sets["test_valid_in_history"]
    result.test = evaluate_model(best, test.histories, test.targets, exclude=test.exclude)
    result.test_valid_in_history = evaluate_model(best, later.histories, later.targets, exclude=later.exclude)
    result.score_ms, result.batched_score_ms = scoring_latency(best, test.histories)
    return result


def scoring_latency(model: BaseRecommender[Any], histories: list[NDArray[np.int64]]) -> tuple[float, float]:
    """Milliseconds per user of ``score`` (one call per user) and of ``score_users`` (256 at a time)."""
    started = time.perf_counter()
    for history in histories:
        model.score(history)
    single = (time.perf_counter() - started) * 1000 / len(histories)
    started = time.perf_counter()
    for start in range(0, len(histories), 256):
        model.score_users(histories[start : start + 256])
    return single, (time.perf_counter() - started) * 1000 / len(histories)


def mean_ci(values: NDArray[np.float64], draws: NDArray[np.int64]) -> tuple[float, float, float]:
    """Mean and the 2.5 / 97.5 percentiles of the bootstrap means (``draws``: resamples x users)."""
    means = values[draws].mean(axis=1)
    low, high = np.percentile(means, [2.5, 97.5])
    return float(values.mean()), float(low), float(high)


def _cell(values: tuple[float, float, float]) -> str:
    return f"{values[0]:.4f} [{values[1]:.4f}, {values[2]:.4f}]"


def _metric_rows(results: list[ModelResult], draws: NDArray[np.int64], later: bool) -> list[str]:
    rows = []
    for r in results:
        metrics = r.test_valid_in_history if later else r.test
        rows.append(f"| {r.name} | " + " | ".join(_cell(mean_ci(metrics[m], draws)) for m in METRICS) + " |")
    return rows


def dataset_section(
    dataset_name: str, results: list[ModelResult], n_test: int, draws: NDArray[np.int64]
) -> str:
    """Markdown: test metrics (two history protocols), paired differences, the valid grid."""
    header = ["| model | Recall@10 | Recall@20 | NDCG@10 |", "|---|---|---|---|"]
    by_name = {r.name: r for r in results}
    lines = [f"### {dataset_name}: test, {n_test} users, mean [95% bootstrap CI]", ""]
    lines += ["History = the user's train items (the protocol the models were selected under):", ""]
    lines += header + _metric_rows(results, draws, later=False)
    lines += ["", "History = train items + the user's valid item (models not refitted):", ""]
    lines += header + _metric_rows(results, draws, later=True)
    lines += ["", "Paired differences of test NDCG@10 (same bootstrap draws of users for both models):", ""]
    lines += ["| difference | history = train | excludes 0 | history = train + valid | excludes 0 |"]
    lines += ["|---|---|---|---|---|"]
    for first, second in DIFFERENCES:
        if first in by_name and second in by_name:
            cells = []
            for protocol in ("test", "test_valid_in_history"):
                delta = (
                    getattr(by_name[first], protocol)["ndcg@10"]
                    - getattr(by_name[second], protocol)["ndcg@10"]
                )
                stats = mean_ci(delta, draws)
                cells += [_cell(stats), "yes" if stats[1] > 0 or stats[2] < 0 else "no"]
            lines.append(f"| {first} − {second} | " + " | ".join(cells) + " |")
    lines += [
        "",
        "Fit and scoring cost of the chosen models (all items scored for each test user's train history):",
        "",
    ]
    lines += ["| model | fit (s) | fit peak RSS (MB) | `score` per user (ms) | `score_users` per user (ms) |"]
    lines += ["|---|---:|---:|---:|---:|"]
    for r in results:
        peak = "n/a" if r.peak_mb is None else f"{r.peak_mb:.0f}"
        lines.append(f"| {r.name} | {r.fit_s:.1f} | {peak} | {r.score_ms:.3f} | {r.batched_score_ms:.3f} |")
    lines += ["", "Valid grid (each point fitted on train in a fresh process; the chosen one in bold):", ""]
    lines += [
        "| model | config | valid NDCG@10 | fit (s) | fit peak RSS (MB) | notes |",
        "|---|---|---:|---:|---:|---|",
    ]
    for r in results:
        for row in r.grid:
            config = ", ".join(f"{k}={v}" for k, v in row["config"].items()) or "defaults"
            config = f"**{config}**" if row["config"] == r.chosen else config
            peak = "n/a" if row["peak_mb"] is None else f"{row['peak_mb']:.0f}"
            lines.append(
                f"| {r.name} | {config} | {row['ndcg']:.4f} | {row['seconds']:.1f} | {peak} | {row['note']} |"
            )
    return "\n".join(lines) + "\n"


def machine_line() -> str:
    cpu = "unknown CPU"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        names = [
            line.split(":", 1)[1].strip() for line in cpuinfo.read_text().splitlines() if "model name" in line
        ]
        cpu = names[0] if names else cpu
    import scipy
    import torch

    return (
        f"{cpu}, {os.cpu_count()} cores, {platform.system()} {platform.machine()}, Python "
        f"{platform.python_version()}, numpy {np.__version__}, scipy {scipy.__version__}, torch {torch.__version__}"
    )


def write_block(path: Path, name: str, content: str) -> None:
    """Replace the generated block ``name`` of ``path`` (prose and other blocks stay), or append it."""
    start, end = (
        f"<!-- results: {name} (generated by benchmarks/recommenders.py) -->",
        f"<!-- end: {name} -->",
    )
    block = f"{start}\n{content}{end}"
    text = path.read_text() if path.is_file() else "# Recommender accuracy\n"
    if start in text and end in text:
        before, rest = text.split(start, 1)
        text = before + block + rest.split(end, 1)[1]
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--datasets", nargs="+", default=["ml-latest-small"], choices=sorted(GRIDS))
    parser.add_argument("--out", type=Path, help="write (or update) the markdown report here")
    parser.add_argument("--bootstrap", type=int, default=2000, help="bootstrap resamples of users")
    parser.add_argument("--seed", type=int, default=0, help="seed of the bootstrap draws")
    parser.add_argument(
        "--quick", action="store_true", help="first grid point of each model only (a smoke run)"
    )
    parser.add_argument(
        "--torch-threads", type=int, default=None, help="SASRec fit threads (default: torch's)"
    )
    args = parser.parse_args()
    if not os.environ.get("CRSAGENT_DATA_DIR"):
        parser.error("set CRSAGENT_DATA_DIR to the folder holding the datasets")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    for dataset_name in args.datasets:
        started = time.perf_counter()
        dataset = load_dataset(dataset_name, settings=Settings())
        results = [
            select_and_test(dataset, dataset_name, spec, args.quick, args.torch_threads)
            for spec in GRIDS[dataset_name]
        ]
        # Every model ranks the same users in the same (sorted) order, so one matrix of user draws
        # shared by all of them makes the differences paired.
        n_test = len(results[0].test["ndcg@10"])
        if any(len(r.test["ndcg@10"]) != n_test for r in results):
            raise RuntimeError("every model must be tested on the same users")
        draws = np.random.default_rng(args.seed).integers(0, n_test, size=(args.bootstrap, n_test))
        minutes = (time.perf_counter() - started) / 60
        threads = f", SASRec fitted with {args.torch_threads} torch thread(s)" if args.torch_threads else ""
        section = dataset_section(dataset_name, results, n_test, draws) + (
            f"\nMachine: {machine_line()}; no GPU. This run: {minutes:.1f} min{threads}; "
            f"{args.bootstrap} bootstrap resamples (seed {args.seed}).\n"
        )
        if args.out:
            write_block(args.out, dataset_name, section)
        print(section)


if __name__ == "__main__":
    main()
