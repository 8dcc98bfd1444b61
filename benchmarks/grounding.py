"""Grounding benchmark: ReDial's movie names grounded into ml-latest-small (movies.csv only).

Every movie in the ReDial validation split's ``movieMentions`` (ReDial's catalog name, counted once
per distinct ReDial movie; per-occurrence figures weight each by its mentions) is grounded into a
catalog view of ml-latest-small that holds only what movies.csv says (title, year, genres; popularity
from the ratings' train split as the prior), never movie-metadata or ReDial names. Truth: ReDial id
-> imdb id (movie-metadata) -> MovieLens id (links.csv). Weights and the threshold are tuned on the
"dev" half of the names (a hash of the ReDial id) and reported on the "test" half and on all.

    CRSAGENT_DATA_DIR=../shared/datasets .venv/bin/python benchmarks/grounding.py --builds
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import os
import platform
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from rapidfuzz import fuzz, process, utils

from crsagent.config import Settings
from crsagent.data.catalog import Catalog
from crsagent.data.item import Item
from crsagent.data.loaders.redial import RedialDataset
from crsagent.data.registry import load_dataset
from crsagent.data.text import split_title_year
from crsagent.tools.embeddings import make_embedder
from crsagent.tools.grounding import CandidateFeatures, Grounder, GrounderConfig
from crsagent.tools.vector_index import DocumentStyle, VectorIndex, VectorIndexConfig

MOVIES_CSV_ATTRIBUTES = ("genre", "year", "decade")
Ranker = Callable[[str, int], list[str]]


@dataclass(frozen=True)
class Name:
    redial_id: str
    name: str
    occurrences: int
    truth: str | None
    half: str

    @property
    def has_year(self) -> bool:
        return split_title_year(self.name)[1] is not None

    @property
    def stripped(self) -> str:
        return split_title_year(self.name)[0]


def movies_csv_catalog(catalog: Catalog) -> Catalog:
    """The catalog as movies.csv gives it: titles, years, genres (no tags, metadata or plots)."""
    items = [
        Item(
            id=item.id,
            title=item.title,
            attributes={k: v for k, v in item.attributes.items() if k in MOVIES_CSV_ATTRIBUTES},
            year=item.year,
            popularity=item.popularity,
        )
        for item in catalog
    ]
    return Catalog(items, name=f"{catalog.name}-movies-csv")


def collect_names(redial: RedialDataset) -> list[Name]:
    occurrences: Counter[tuple[str, str]] = Counter()
    for dialogue in redial.dialogues:
        occurrences.update(dialogue.movie_mentions.items())
    names = []
    for (redial_id, name), count in sorted(occurrences.items()):
        half = "dev" if hashlib.sha1(redial_id.encode()).digest()[0] % 2 == 0 else "test"
        names.append(Name(redial_id, name, count, redial.to_movielens.get(redial_id), half))
    return names


def query_sets(names: list[Name]) -> dict[str, list[tuple[Name, str]]]:
    """(a) linked names with a year, (b) the same without it, (c) linked names with no year."""
    linked = [n for n in names if n.truth is not None]
    return {
        "a": [(n, n.name) for n in linked if n.has_year],
        "b": [(n, n.stripped) for n in linked if n.has_year],
        "c": [(n, n.name) for n in linked if not n.has_year],
    }


def accuracy(rows: list[tuple[Name, list[str]]], k: int, weighted: bool = False) -> float:
    hits = [(n.truth in ranked[:k]) * (n.occurrences if weighted else 1) for n, ranked in rows]
    total = sum(n.occurrences if weighted else 1 for n, _ in rows)
    return sum(hits) / total if total else float("nan")


# --- systems -----------------------------------------------------------------------------------


def fuzzy_baseline(catalog: Catalog) -> Ranker:
    """A plain fuzzy matcher: rapidfuzz WRatio of the name and the MovieLens title, as written."""
    titles = [utils.default_process(item.title) for item in catalog]

    def rank(text: str, k: int) -> list[str]:
        hits = process.extract(
            utils.default_process(text), titles, scorer=fuzz.WRatio, processor=None, limit=k
        )
        return [catalog.at(index).id for _, _, index in hits]

    return rank


def embedding_baseline(vectors: VectorIndex) -> Ranker:
    return lambda text, k: vectors.search(text, k).ids(vectors.catalog)


def _flat(features: list[CandidateFeatures]) -> tuple[CandidateFeatures, np.ndarray]:
    """All candidates of all names in one set of arrays (scored in one go), and segment starts."""
    sizes = [len(f.items) for f in features]
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64)
    flat = CandidateFeatures(
        query="*",
        year=None,
        **{
            field: np.concatenate([getattr(f, field) for f in features])
            for field in ("items", "exact", "text", "embedding", "year_delta", "popularity")
        },
    )
    return flat, starts


def tune(
    features: list[CandidateFeatures], truths: list[int], base: GrounderConfig, embedding: bool
) -> tuple[GrounderConfig, float]:
    """Grid search of the weights for Acc@1 on the given (dev) names; ties: the first in grid order."""
    from crsagent.tools.grounding import score_candidates

    kept = [(f, t) for f, t in zip(features, truths, strict=True) if len(f.items)]
    flat, starts = _flat([f for f, _ in kept])
    is_truth = flat.items == np.repeat([t for _, t in kept], [len(f.items) for f, _ in kept])
    grid = itertools.product(
        [0.0, 0.1, 0.2, 0.3, 0.5] if embedding else [0.0],
        [0.05, 0.1, 0.2, 0.3],
        [0.0, 0.05, 0.1],
        [0.05, 0.1, 0.2, 0.3],
        [0.0, 0.02, 0.05, 0.1],
    )
    best: tuple[int, GrounderConfig] | None = None
    for weight, match, near, mismatch, prior in grid:
        config = base.model_copy(
            update={
                "embedding_weight": weight,
                "year_match_bonus": match,
                "year_near_bonus": near,
                "year_mismatch_penalty": mismatch,
                "popularity_weight": prior,
            }
        )
        # Grounder.rank breaks score ties by popularity: a tiny popularity term does the same here.
        scores = score_candidates(flat, config) + 1e-9 * flat.popularity
        top = np.maximum.reduceat(scores, starts)
        correct = int(np.sum(is_truth & (scores >= np.repeat(top, np.diff(np.append(starts, len(scores)))))))
        if best is None or correct > best[0]:
            best = (correct, config)
    assert best is not None
    return best[1], best[0] / len(features)


# --- reporting ---------------------------------------------------------------------------------


def table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    def cell(value: object) -> str:
        return f"{value:.3f}" if isinstance(value, float) else str(value)

    lines = [
        "| " + " | ".join(header) + " |",
        "|" + "|".join("---" if i == 0 else "---:" for i in range(len(header))) + "|",
    ]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def accuracy_rows(
    label: str, ranked: dict[str, list[tuple[Name, list[str]]]], half: str | None, weighted: bool = False
) -> list[object]:
    row: list[object] = [label]
    for set_name in ("a", "b", "c"):
        rows = [(n, r) for n, r in ranked[set_name] if half is None or n.half == half]
        row += [accuracy(rows, 1, weighted), accuracy(rows, 5, weighted)]
    return row


def rank_all(
    rank: Ranker, sets: dict[str, list[tuple[Name, str]]]
) -> dict[str, list[tuple[Name, list[str]]]]:
    return {s: [(n, rank(text, 5)) for n, text in rows] for s, rows in sets.items()}


@dataclass
class Variant:
    label: str
    grounder: Grounder
    features: dict[str, list[CandidateFeatures]]


def measure_builds(ml: Catalog, view: Catalog) -> list[list[object]]:
    rows: list[list[object]] = []
    with tempfile.TemporaryDirectory() as folder:
        for kind in ("hashing", "minilm"):
            plans: list[tuple[Catalog, DocumentStyle]] = [(ml, "full"), (view, "title")]
            for catalog, style in plans:
                embedder = make_embedder(kind)
                embedder.embed(["warm up"])  # model load is not build time
                built = VectorIndex.open(
                    catalog, embedder, cache_dir=Path(folder), config=VectorIndexConfig(style=style)
                )
                start = time.perf_counter()
                VectorIndex.open(
                    catalog, embedder, cache_dir=Path(folder), config=VectorIndexConfig(style=style)
                )
                reopen = time.perf_counter() - start
                rows.append(
                    [kind, catalog.name, style, len(catalog), f"{built.build_seconds:.1f}", f"{reopen:.2f}"]
                )
                print(rows[-1], file=sys.stderr, flush=True)
    return rows


def latency(grounder: Grounder, texts: list[str]) -> tuple[float, float]:
    for text in texts[:20]:
        grounder.ground(text)
    times = []
    for text in texts:
        start = time.perf_counter()
        grounder.ground(text)
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), float(np.percentile(times, 99))


def embedding_latency(grounder: Grounder, texts: list[str]) -> float:
    """p50 of embedding one name alone (the part of ground() that the embedder costs)."""
    if grounder.vectors is None:
        return 0.0
    times = []
    for text in texts:
        start = time.perf_counter()
        grounder.vectors.embed_queries([text])
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def latency_only(variants: list[Variant], texts: list[str]) -> None:
    """Latency alone, with the library's tuned defaults (a short run for a quiet moment)."""
    rows = []
    for variant in variants:
        p50, p99 = latency(variant.grounder, texts)
        rows.append(
            [variant.label, f"{p50:.2f}", f"{p99:.2f}", f"{embedding_latency(variant.grounder, texts):.2f}"]
        )
    print(table(["system", "p50 (ms)", "p99 (ms)", "of which embedding the name, p50 (ms)"], rows))
    print(f"\nload average at end {os.getloadavg()[0]:.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--embedders", default="hashing,minilm", help="comma-separated: hashing, minilm")
    parser.add_argument("--builds", action="store_true", help="also time vector index builds (fresh cache)")
    parser.add_argument("--latency-only", action="store_true", help="only time ground() (tuned defaults)")
    args = parser.parse_args()
    if not os.environ.get("CRSAGENT_DATA_DIR"):
        parser.error("set CRSAGENT_DATA_DIR to the folder holding the datasets")
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
        f"load average at start {os.getloadavg()[0]:.1f}\n"
    )
    settings = Settings()
    redial = load_dataset("redial", settings=settings)
    assert isinstance(redial, RedialDataset)
    movielens = load_dataset("ml-latest-small", settings=settings)
    view = movies_csv_catalog(movielens.catalog)
    names = collect_names(redial)
    sets = query_sets(names)
    unlinked = [n for n in names if n.truth is None]
    print(
        f"{len(names)} distinct ReDial movies ({sum(n.occurrences for n in names)} mentions); "
        f"(a) {len(sets['a'])}, (c) {len(sets['c'])}, unlinked {len(unlinked)}; "
        f"dev/test halves {sum(n.half == 'dev' for n in names)}/{sum(n.half == 'test' for n in names)}\n"
    )

    rankings: dict[str, dict[str, list[tuple[Name, list[str]]]]] = {}
    embedders = [e for e in args.embedders.split(",") if e]
    variants = [
        Variant("Grounder, lexical only", Grounder(view, config=GrounderConfig(use_embedding=False)), {})
    ]
    for kind in embedders:
        vectors = VectorIndex.open(
            view, make_embedder(kind), cache_dir=settings.cache_dir, config=VectorIndexConfig(style="title")
        )
        if not args.latency_only:
            rankings[f"embedding baseline ({kind})"] = rank_all(embedding_baseline(vectors), sets)
        variants.append(Variant(f"Grounder + {kind}", Grounder(view, vectors=vectors), {}))
    if args.latency_only:
        latency_only(variants, [n.name for n, _ in sets["a"] if n.half == "test"])
        return
    rankings = {"fuzzy baseline (WRatio on titles)": rank_all(fuzzy_baseline(view), sets), **rankings}

    tuned_rows, threshold_rows, latency_rows = [], [], []
    for variant in variants:
        grounder = variant.grounder
        for set_name, rows in sets.items():
            variant.features[set_name] = grounder.features_many([text for _, text in rows])
        dev = [
            (f, view.index_of(str(n.truth)))
            for s in ("a", "b", "c")
            for (n, _), f in zip(sets[s], variant.features[s], strict=True)
            if n.half == "dev"
        ]
        config, dev_accuracy = tune(
            [f for f, _ in dev], [t for _, t in dev], grounder.config, grounder.vectors is not None
        )
        # Threshold: accept 99% of the dev names known to be in the catalog (as written, (a) + (c)).
        best = [
            grounder.rank(f, 1, config).matches[0].score
            for s in ("a", "c")
            for (n, _), f in zip(sets[s], variant.features[s], strict=True)
            if n.half == "dev" and len(f.items)
        ]
        config = config.model_copy(update={"threshold": round(float(np.percentile(best, 1)), 3)})
        grounder.config = config
        tuned_rows.append(
            [
                variant.label,
                config.embedding_weight,
                config.year_match_bonus,
                config.year_near_bonus,
                config.year_mismatch_penalty,
                config.popularity_weight,
                config.threshold,
                dev_accuracy,
            ]
        )
        rankings[variant.label] = {
            s: [
                (n, [m.item_id for m in grounder.rank(f, 5).matches])
                for (n, _), f in zip(sets[s], variant.features[s], strict=True)
            ]
            for s in sets
        }
        results = grounder.ground_many([n.name for n in unlinked])
        linked_in = [
            grounder.rank(f).in_catalog
            for s in ("a", "c")
            for (n, _), f in zip(sets[s], variant.features[s], strict=True)
            if n.half == "test"
        ]
        rejected_test = [not r.in_catalog for n, r in zip(unlinked, results, strict=True) if n.half == "test"]
        threshold_rows.append(
            [
                variant.label,
                config.threshold,
                sum(linked_in) / len(linked_in),
                sum(rejected_test) / len(rejected_test),
                sum(not r.in_catalog for r in results) / len(results),
            ]
        )
        latency_rows.append(
            [
                variant.label,
                *(f"{v:.2f}" for v in latency(grounder, [n.name for n, _ in sets["a"] if n.half == "test"])),
            ]
        )
        print(f"done: {variant.label}", file=sys.stderr, flush=True)

    header = ["system", "(a) Acc@1", "(a) Acc@5", "(b) Acc@1", "(b) Acc@5", "(c) Acc@1", "(c) Acc@5"]
    for title, half in (("test half (tuned on dev)", "test"), ("all names", None)):
        print(f"### Accuracy, {title}, per distinct name\n")
        print(table(header, [accuracy_rows(label, r, half) for label, r in rankings.items()]) + "\n")
    print("### Accuracy, all names, per mention occurrence\n")
    print(
        table(header, [accuracy_rows(label, r, None, weighted=True) for label, r in rankings.items()]) + "\n"
    )
    print("### Tuned configuration (dev half)\n")
    print(
        table(
            [
                "system",
                "embedding",
                "year =",
                "year ±1",
                "year ≥2 penalty",
                "popularity",
                "threshold",
                "dev Acc@1 (a+b+c)",
            ],
            tuned_rows,
        )
        + "\n"
    )
    print("### In catalog / not in catalog\n")
    print(
        table(
            [
                "system",
                "threshold",
                "linked test names in catalog",
                "unlinked test names not in catalog",
                "unlinked all names not in catalog",
            ],
            threshold_rows,
        )
        + "\n"
    )
    print("### Latency of one ground() call, test (a) names\n")
    print(table(["system", "p50 (ms)", "p99 (ms)"], latency_rows) + "\n")

    best_variant = variants[-1]
    ranked = rankings[best_variant.label]
    print(f"### Disagreements with the links, {best_variant.label}\n")
    for set_name in ("a", "c", "b"):
        for n, ids in ranked[set_name]:
            if ids[:1] != [n.truth]:
                predicted = view.get(ids[0]).title if ids else "-"
                print(
                    f"- ({set_name}, {n.half}) {n.name!r}: link -> {view.get(str(n.truth)).title!r}; top-1 -> {predicted!r}"
                )
    print(f"\n### Hand-check sample: 30 unlinked names, {best_variant.label}\n")
    sample = sorted(unlinked, key=lambda n: hashlib.sha1(n.redial_id.encode()).hexdigest())[:30]
    for n, result in zip(sample, best_variant.grounder.ground_many([n.name for n in sample]), strict=True):
        top = result.matches[0] if result.matches else None
        verdict = "in catalog" if result.in_catalog else "NOT in catalog"
        print(
            f"- {n.name!r} ({n.redial_id}): {verdict}; nearest {top.title if top else '-'!r} ({top.score if top else 0:.3f})"
        )
    if args.builds:
        print("\n### Vector index build (fresh cache)\n")
        print(
            table(
                ["embedder", "catalog", "documents", "items", "build (s)", "cached open (s)"],
                measure_builds(movielens.catalog, view),
            )
        )
    print(f"\nload average at end {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
