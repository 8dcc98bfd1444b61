"""How the agent's cost grows with the catalog: synthetic catalogs of 10k, 100k and 1M items.

    .venv/bin/python benchmarks/scale.py --sizes 10000 100000 1000000 --episodes 100

For each size: a synthetic catalog (20 attribute types whose values are drawn from Zipf-like
vocabularies of 8 to 20,000 values, the first five multi-valued) and interactions from a latent
factor model (each value has a 16-d embedding, an item is the sum of its values' embeddings, a user
picks the items of a random pool that score highest under her own vector plus Gumbel noise and a
popularity bias) are written as CSV and brought in with ``crsagent data import``, the path a user's
own catalog takes. Then, each in a fresh process with its own memory watchdog:

* cold start: ``Agent.from_dataset`` with empty caches (parse, graph, estimator fit);
* cached start: the same call again, caches warm;
* offline turns: the CPR protocol through the agent (``RuleUser`` on test-split targets, yes / no
  questions, lists of 10, 15 turns) for SR@15 / AT and the turn latency p50 / p99, plus "like"
  turns (``Agent.feedback(liked=True)`` on a shown item: proximity to liked items);
* resident memory: peak RSS of the process.

A child that passes ``--memory-limit-gb`` (default 8) is stopped and reported as such. Results go
to ``--out`` (JSON); ``--plot`` draws the log-log curves.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np

ATTRIBUTES = (
    "category", "style", "theme", "audience", "occasion", "brand", "material", "colour", "origin",
    "maker", "series", "designer", "pattern", "finish", "fit", "season", "collection", "label",
    "region", "family",
)  # fmt: skip
MULTI_VALUED = 5  # the first five types hold 1-3 values per item
DIMENSIONS = 16
WORDS = (
    "amber", "bold", "calm", "dusk", "ember", "frost", "gold", "harbor", "iris", "jade", "keen",
    "lumen", "maple", "noble", "onyx", "prism", "quartz", "river", "sage", "tide", "umber", "vivid",
)  # fmt: skip


def zipf_codes(
    rng: np.random.Generator, vocabulary: int, size: int | tuple[int, ...], exponent: float = 1.1
) -> np.ndarray:
    """``size`` draws from ranks 0..vocabulary-1 with P(rank r) proportional to 1 / (r + 1)^exponent."""
    weights = 1.0 / np.arange(1, vocabulary + 1) ** exponent
    return rng.choice(vocabulary, size=size, p=weights / weights.sum())


def generate(folder: Path, n_items: int, seed: int) -> tuple[Path, Path]:
    """Write ``items.csv`` and ``interactions.csv`` of a synthetic catalog; returns their paths."""
    rng = np.random.default_rng(seed)
    vocabularies = np.geomspace(8, 20_000, len(ATTRIBUTES)).astype(int)
    factors = np.zeros((n_items, DIMENSIONS), dtype=np.float32)
    columns: list[list[str]] = []
    for position, (name, vocabulary) in enumerate(zip(ATTRIBUTES, vocabularies, strict=True)):
        embedding = rng.normal(0, 1 / np.sqrt(len(ATTRIBUTES)), (vocabulary, DIMENSIONS)).astype(np.float32)
        first = zipf_codes(rng, vocabulary, n_items)
        factors += embedding[first]
        if position < MULTI_VALUED:
            extra = zipf_codes(rng, vocabulary, (n_items, 2))
            count = rng.integers(1, 4, n_items)
            cells = [
                "|".join(f"{name}-{c}" for c in [first[i], *extra[i, : count[i] - 1]]) for i in range(n_items)
            ]
        else:
            cells = [f"{name}-{c}" for c in first.tolist()]
        columns.append(cells)
    years = rng.integers(1950, 2025, n_items)
    items = folder / "items.csv"
    with items.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "title", "year", *ATTRIBUTES])
        for i in range(n_items):
            title = f"{WORDS[i % len(WORDS)].title()} {WORDS[(i // len(WORDS)) % len(WORDS)]} {i}"
            writer.writerow([f"i{i}", title, int(years[i]), *(column[i] for column in columns)])
    interactions = folder / "interactions.csv"
    popularity = np.log(1.0 / np.arange(1, n_items + 1) ** 0.8)[rng.permutation(n_items)]
    n_users = int(min(max(1000, n_items // 50), 5000))
    with interactions.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["user", "item", "timestamp"])
        for user in range(n_users):
            taste = rng.normal(0, 1, DIMENSIONS).astype(np.float32)
            pool = rng.choice(n_items, size=min(n_items, 3000), replace=False)
            score = factors[pool] @ taste + popularity[pool] + rng.gumbel(size=pool.size)
            chosen = pool[np.argsort(-score)[: int(rng.integers(5, 30))]]
            for step, item in enumerate(rng.permutation(chosen).tolist()):
                writer.writerow([f"u{user}", f"i{item}", 1_600_000_000 + 3600 * step])
    return items, interactions


def rss_gb() -> float:
    """Resident memory of this process now, in GB (Linux /proc)."""
    with Path("/proc/self/statm").open(encoding="ascii") as handle:
        pages = int(handle.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 1e9


def peak_rss_gb() -> float:
    """Peak resident memory of this process, in GB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6


def watchdog(limit_gb: float) -> None:
    """Stop this process (exit code 3) as soon as its memory passes ``limit_gb``."""

    def watch() -> None:
        while True:
            if rss_gb() > limit_gb:
                print(json.dumps({"stopped": f"resident memory passed {limit_gb} GB"}), flush=True)
                os._exit(3)
            time.sleep(0.2)

    threading.Thread(target=watch, daemon=True).start()


class TimedAgent:
    """The agent as a dialogue sees it, recording each turn's CPU time (this process, all threads).

    On a box shared with other jobs a turn's wall time also holds the time other jobs had the
    CPUs; its CPU time is what the turn itself costs.
    """

    def __init__(self, agent: Any) -> None:
        self.agent = agent
        self.cpu_ms: list[float] = []

    def chat(self, text: str, *, session_id: str, turn: Any = None, user: int | None = None) -> Any:
        started = time.process_time()
        reply = self.agent.chat(text, session_id=session_id, turn=turn, user=user)
        self.cpu_ms.append((time.process_time() - started) * 1000)
        return reply

    def reset(self, session_id: str) -> object:
        return self.agent.reset(session_id)


def child(args: argparse.Namespace) -> dict[str, Any]:
    """One measurement in this process: start the agent; with ``--episodes``, play the protocol."""
    watchdog(args.memory_limit_gb)
    from crsagent.agent import Agent, AgentConfig
    from crsagent.config import Settings
    from crsagent.simulators import RuleUser, Target, run_dialogue

    settings = Settings(cache_dir=args.cache_dir, data_dir=None)
    # item-kNN, not the default EASE: EASE is dense over the items with interactions (60k of them
    # at 1M items would be a 14 GB matrix), so it cannot be the collaborative model at this scale.
    config = AgentConfig(
        list_size=10, offer_values=1, max_turns=15, max_questions_in_a_row=None, cf_model="itemknn"
    )
    started, started_cpu = time.perf_counter(), time.process_time()
    if args.profile:
        import cProfile
        import io
        import pstats

        profiler = cProfile.Profile()
        agent = profiler.runcall(
            Agent.from_dataset, args.name, llm="offline", settings=settings, config=config
        )
        listing = io.StringIO()
        pstats.Stats(profiler, stream=listing).sort_stats("cumulative").print_stats(45)
        print(listing.getvalue(), file=sys.stderr, flush=True)
    else:
        agent = Agent.from_dataset(args.name, llm="offline", settings=settings, config=config)
    result: dict[str, Any] = {
        "start_s": time.perf_counter() - started,
        # CPU seconds of this process: on a shared box, wall time also counts other jobs' turns.
        "start_cpu_s": time.process_time() - started_cpu,
        "start_rss_gb": rss_gb(),
    }
    if args.episodes:
        dataset = agent.runtime.dataset
        test = dataset.split("test")
        rows = np.random.default_rng(0).choice(len(test), size=min(args.episodes, len(test)), replace=False)
        targets = [
            Target(item_id=dataset.catalog.at(int(test.items[r])).id, user=int(test.users[r])) for r in rows
        ]
        simulator = RuleUser(agent.kg, seed=0)
        timed = TimedAgent(agent)
        episodes = [run_dialogue(timed, simulator, t, episode=i, max_turns=15) for i, t in enumerate(targets)]
        latencies = [turn.latency_ms for e in episodes for turn in e.turns]
        like_ms: list[float] = []
        for i, episode in enumerate(episodes[:20]):
            shown = [s for turn in episode.turns for s in turn.shown_ids]
            if shown:
                session = f"like-{i}"
                agent.chat("something new", session_id=session)
                t0 = time.perf_counter()
                agent.feedback(session, shown[0], liked=True)
                like_ms.append((time.perf_counter() - t0) * 1000)
        turns = [e.success_turn if e.success and e.success_turn else 15 for e in episodes]
        result |= {
            "episodes": len(episodes),
            "errors": sum(e.error is not None for e in episodes),
            "sr15": float(np.mean([e.success for e in episodes])),
            "at": float(np.mean(turns)),
            "turns": len(latencies),
            "turn_ms_p50": statistics.median(latencies),
            "turn_ms_p99": float(np.percentile(latencies, 99)),
            "turn_cpu_ms_p50": statistics.median(timed.cpu_ms),
            "turn_cpu_ms_p99": float(np.percentile(timed.cpu_ms, 99)),
            "like_ms_p50": statistics.median(like_ms) if like_ms else None,
            "like_ms_max": max(like_ms) if like_ms else None,
        }
    result["peak_rss_gb"] = peak_rss_gb()
    return result


def graph_only(args: argparse.Namespace) -> dict[str, Any]:
    """The knowledge-graph layer alone on an imported catalog: load, build, and its per-turn calls."""
    watchdog(args.memory_limit_gb)
    from crsagent.config import Settings
    from crsagent.data.registry import load_dataset
    from crsagent.knowledge_graph.explain import connecting_path, explain
    from crsagent.knowledge_graph.graph import KnowledgeGraph
    from crsagent.knowledge_graph.pagerank import personalized_pagerank

    settings = Settings(cache_dir=args.cache_dir, data_dir=None)
    started = time.perf_counter()
    dataset = load_dataset(args.name, settings=settings)
    loaded = time.perf_counter()
    kg = KnowledgeGraph.from_dataset(dataset)
    built = time.perf_counter()
    rng = np.random.default_rng(0)
    timings: dict[str, list[float]] = {"value_mass": [], "explain": [], "pagerank": [], "path": []}
    for _ in range(20):
        value = int(rng.integers(kg.n_values))
        candidates = kg.items_with(value).astype(np.int64)  # a candidate set after one answered value
        weights = np.full(candidates.size, 1.0 / max(candidates.size, 1))
        item, liked = (int(i) for i in rng.integers(kg.n_items, size=2))
        for name, call in (
            ("value_mass", lambda: kg.value_mass(candidates, weights)),  # noqa: B023
            ("explain", lambda: explain(kg, item, liked_items=[liked])),  # noqa: B023
            ("pagerank", lambda: personalized_pagerank(kg, [liked])),  # noqa: B023
            ("path", lambda: connecting_path(kg, item, liked)),  # noqa: B023
        ):
            t0 = time.perf_counter()
            call()
            timings[name].append((time.perf_counter() - t0) * 1000)
    return {
        "items": kg.n_items,
        "values": kg.n_values,
        "entries": int(kg.incidence.nnz),
        "load_s": loaded - started,
        "graph_s": built - loaded,
        "rss_gb": rss_gb(),
        **{f"{name}_ms_p50": statistics.median(v) for name, v in timings.items()},
        **{f"{name}_ms_max": max(v) for name, v in timings.items()},
    }


def run_child(name: str, cache_dir: Path, episodes: int, limit_gb: float) -> dict[str, Any]:
    command = [sys.executable, __file__, "--child", name, "--cache-dir", str(cache_dir)]
    command += ["--episodes", str(episodes), "--memory-limit-gb", str(limit_gb)]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode != 0:
        stopped = json.loads(lines[-1]).get("stopped") if lines else None
        return {"error": stopped or done.stderr.strip().splitlines()[-1:]}
    return json.loads(lines[-1])


def measure(n_items: int, args: argparse.Namespace, work: Path) -> dict[str, Any]:
    from crsagent.config import Settings
    from crsagent.data.importer import import_catalog

    folder = work / f"scale-{n_items}"
    folder.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    items, interactions = generate(folder, n_items, args.seed)
    generated = time.perf_counter()
    cache = folder / "cache"
    summary = import_catalog(
        items,
        f"scale-{n_items}",
        interactions_path=interactions,
        settings=Settings(cache_dir=cache),
        replace=True,
    )
    row: dict[str, Any] = {
        "items": n_items,
        "users": summary.users,
        "interactions": summary.interactions,
        "generate_s": generated - started,
        "import_s": time.perf_counter() - generated,
    }
    print(f"{n_items} items: generated and imported", json.dumps(row), flush=True)
    if args.no_agent:
        return row
    cold = run_child(summary.name, cache, 0, args.memory_limit_gb)
    print("  cold start", json.dumps(cold), flush=True)
    row["cold"] = cold
    if "error" not in cold:
        cached = run_child(summary.name, cache, args.episodes, args.memory_limit_gb)
        print("  cached start + turns", json.dumps(cached), flush=True)
        row["cached"] = cached
    return row


def plot(rows: list[dict[str, Any]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    done = [r for r in rows if "turn_ms_p99" in r.get("cached", {})]
    sizes = [r["items"] for r in done]
    figure, (left, right) = plt.subplots(1, 2, figsize=(11, 4.5))
    for key, label, style in (
        ("turn_ms_p50", "turn p50 (wall)", "-"),
        ("turn_ms_p99", "turn p99 (wall)", "-"),
        ("turn_cpu_ms_p50", "turn p50 (CPU)", "--"),
        ("turn_cpu_ms_p99", "turn p99 (CPU)", "--"),
        ("like_ms_p50", "like turn p50 (wall)", "-"),
    ):
        if all(key in r["cached"] for r in done):
            left.loglog(sizes, [r["cached"][key] for r in done], marker="o", linestyle=style, label=label)
    left.loglog(sizes, [r["cached"]["turn_ms_p50"] * s / sizes[0] for r, s in zip(done, sizes, strict=True)],
                linestyle=":", color="grey", label="linear growth")  # fmt: skip
    left.axhline(100, linestyle=":", color="black", label="target: p99 100 ms")
    left.set(xlabel="catalog items", ylabel="ms", title="offline turn latency")
    left.legend(fontsize="small")
    for key, label in (("cold", "cold start"), ("cached", "cached start")):
        right.loglog(sizes, [r[key]["start_s"] for r in done], marker="o", label=f"{label} (s, wall)")
        if all("start_cpu_s" in r[key] for r in done):
            values = [r[key]["start_cpu_s"] for r in done]
            right.loglog(sizes, values, marker="o", linestyle="--", label=f"{label} (s, CPU)")
    right.loglog(
        sizes, [r["cached"]["start_rss_gb"] for r in done], marker="s", label="memory after start (GB)"
    )
    right.loglog(sizes, [r["cached"]["peak_rss_gb"] for r in done], marker="s", label="peak memory (GB)")
    right.axhline(30, linestyle=":", color="grey", label="targets: 30 s, 4 GB")
    right.axhline(4, linestyle=":", color="grey")
    right.set(xlabel="catalog items", title="start and memory")
    right.legend(fontsize="small")
    figure.tight_layout()
    figure.savefig(path, dpi=110)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--episodes", type=int, default=100)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--memory-limit-gb", type=float, default=8.0)
    parser.add_argument("--work", type=Path, help="where catalogs and caches go (default: a temp folder)")
    parser.add_argument("--out", type=Path, help="write the results as JSON here")
    parser.add_argument("--plot", type=Path, help="draw the log-log curves into this PNG")
    parser.add_argument(
        "--no-agent", action="store_true", help="generate and import only (then --graph-only)"
    )
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument(
        "--graph-only",
        metavar="NAME",
        help="time the knowledge-graph layer alone on the imported catalog NAME (with --cache-dir)",
    )
    parser.add_argument(
        "--cache-dir", type=Path, help="cache dir of an imported catalog (--graph-only, --child)"
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="with --child: profile the agent's start (cProfile, slower) and print it to stderr",
    )
    args = parser.parse_args()
    if args.graph_only:
        args.name = args.graph_only
        print(json.dumps(graph_only(args)), flush=True)
        return
    if args.child:
        args.name = args.child
        print(json.dumps(child(args)), flush=True)
        return
    work = args.work or Path(tempfile.mkdtemp(prefix="crsagent-scale-"))
    rows = [measure(n, args, work) for n in args.sizes]
    if args.out:
        args.out.write_text(json.dumps(rows, indent=1) + "\n", encoding="utf-8")
    if args.plot:
        plot(rows, args.plot)


if __name__ == "__main__":
    main()
