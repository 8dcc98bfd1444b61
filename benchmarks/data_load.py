"""Cold and cached load time and peak memory of each dataset.

Each measurement runs in a fresh Python process, so the peak resident memory (``ru_maxrss``) is the
load's own (plus the interpreter and imports, reported separately as the baseline). "cold" parses
the raw files (no parsed-dataset cache); "cached" reads the cache a previous load wrote.

    CRSAGENT_DATA_DIR=../shared/datasets .venv/bin/python benchmarks/data_load.py --out docs/benchmarks.md
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

DATASETS = ("ml-latest-small", "crs-lastfm", "redial", "demo")

# Runs in the child: imports first (baseline memory), then the timed load.
CHILD = """
import json, resource, sys, time
from crsagent.config import Settings
from crsagent.data.registry import load_dataset
import crsagent.data.loaders.movielens, crsagent.data.loaders.scpr, crsagent.data.loaders.redial
import crsagent.data.loaders.demo
baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
start = time.perf_counter()
dataset = load_dataset(sys.argv[1], settings=Settings(cache_dir=sys.argv[2]), use_cache=sys.argv[3] == "1")
seconds = time.perf_counter() - start
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"seconds": seconds, "peak_mb": peak / 1024, "baseline_mb": baseline / 1024,
                  "items": len(dataset.catalog)}))
"""


def measure(name: str, cache_dir: str, use_cache: bool) -> dict[str, float]:
    completed = subprocess.run(
        [sys.executable, "-c", CHILD, name, cache_dir, "1" if use_cache else "0"],
        check=True,
        capture_output=True,
        text=True,
        env=os.environ.copy(),
    )
    return json.loads(completed.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3, help="runs per measurement (median reported)")
    parser.add_argument("--out", type=Path, help="write a markdown table here")
    args = parser.parse_args()
    if not os.environ.get("CRSAGENT_DATA_DIR"):
        parser.error("set CRSAGENT_DATA_DIR to the folder holding the datasets")

    rows = []
    with tempfile.TemporaryDirectory() as cache_dir:
        for name in DATASETS:
            cold = [measure(name, cache_dir, use_cache=False) for _ in range(args.repeats)]
            measure(name, cache_dir, use_cache=True)  # writes the parsed cache
            cached = [measure(name, cache_dir, use_cache=True) for _ in range(args.repeats)]
            row = {
                "dataset": name,
                "items": int(cold[0]["items"]),
                "cold_s": statistics.median(r["seconds"] for r in cold),
                "cached_s": statistics.median(r["seconds"] for r in cached),
                "cold_peak_mb": statistics.median(r["peak_mb"] for r in cold),
                "cached_peak_mb": statistics.median(r["peak_mb"] for r in cached),
                "baseline_mb": statistics.median(r["baseline_mb"] for r in cold),
            }
            rows.append(row)
            print(json.dumps(row))

    header = (
        "| dataset | items | cold load (s) | cached load (s) | peak RSS cold (MB) | peak RSS cached (MB) "
        "| RSS after imports (MB) |\n|---|---:|---:|---:|---:|---:|---:|\n"
    )
    table = header + "".join(
        f"| {r['dataset']} | {r['items']:,} | {r['cold_s']:.2f} | {r['cached_s']:.3f} | "
        f"{r['cold_peak_mb']:.0f} | {r['cached_peak_mb']:.0f} | {r['baseline_mb']:.0f} |\n"
        for r in rows
    )
    machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(
            "# Benchmarks\n\n## Dataset loading\n\n"
            f"Median of {args.repeats} runs, each in a fresh process, on {machine}. Produced by\n\n"
            "    CRSAGENT_DATA_DIR=../shared/datasets .venv/bin/python benchmarks/data_load.py "
            "--out docs/benchmarks.md\n\n"
            "*cold* parses the raw files; *cached* reads the parsed-dataset cache (a pickle keyed on the "
            "files' paths, sizes and modification times). Peak RSS includes the interpreter and imports "
            "(last column).\n\n" + table
        )
    print(table)


if __name__ == "__main__":
    main()
