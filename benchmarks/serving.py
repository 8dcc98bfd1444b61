"""`crsagent serve` under concurrent clients: 1, 10 and 50 openai clients, each holding its own
conversation of a few turns, against the real command on a loopback port.

Per level: median and p99 latency of a turn (one chat completion), throughput (turns per second
over the level's wall time), lost replies (errors, empty replies) and crossed replies. A reply is
crossed when it does not belong to its own conversation: its trace's turn number must equal the
number of user messages the client sent, and, after the level, every turn is asked again, alone,
and must get the same reply (the offline agent is deterministic), so an answer computed for another
client's conversation shows up. Every client's opening is different ("a <genre> film from the
<decade>"), so no two conversations are the same.

    export CRSAGENT_DATA_DIR=/path/to/datasets
    .venv/bin/python benchmarks/serving.py --dataset ml-latest-small --out docs/results/serving.md
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import socket
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import openai

GENRES = ("comedy", "drama", "thriller", "action", "romance", "horror", "sci-fi", "crime")
DECADES = ("1950s", "1960s", "1970s", "1980s", "1990s", "2000s", "2010s")
OPENINGS = [f"a {genre} film from the {decade}" for decade in DECADES for genre in GENRES]


@dataclass
class Turn:
    messages: list[dict[str, str]]
    latency_s: float
    text: str | None = None
    item_ids: list[str] = field(default_factory=list)
    error: str | None = None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_server(dataset: str, port: int, log: Path) -> subprocess.Popen[bytes]:
    """`crsagent serve` in a child process (its own interpreter: the clients here do not slow it)."""
    argv = [sys.executable, "-m", "crsagent.cli", "serve", "--dataset", dataset, "--llm", "offline"]
    argv += ["--port", str(port), "--rate-per-minute", "0"]  # one loopback client address for all
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    with log.open("wb") as handle:
        server = subprocess.Popen(argv, env=env, stdout=handle, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 600  # the first start on a large dataset builds its models
    while True:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=2).status_code == 200:
                return server
        except httpx.HTTPError:
            pass
        if server.poll() is not None or time.monotonic() > deadline:
            server.kill()
            raise SystemExit(f"the server did not start; see {log}:\n{log.read_text()[-2000:]}")
        time.sleep(0.5)


def _reply(completion: Any) -> tuple[str, list[str], dict[str, Any]]:
    extension = completion.model_extra["crsagent"]
    return completion.choices[0].message.content or "", [item["id"] for item in extension["items"]], extension


async def conversation(
    client: openai.AsyncOpenAI, model: str, opening: str, turns: int
) -> tuple[list[Turn], int]:
    """One client's conversation; returns its turns and how many replies were crossed."""
    messages = [{"role": "user", "content": opening}]
    done: list[Turn] = []
    crossed = 0
    for _ in range(turns):
        start = time.perf_counter()
        try:
            completion = await client.chat.completions.create(model=model, messages=messages)  # type: ignore[arg-type]
        except openai.OpenAIError as error:
            done.append(Turn(list(messages), time.perf_counter() - start, error=str(error)))
            break
        text, ids, extension = _reply(completion)
        done.append(Turn(list(messages), time.perf_counter() - start, text, ids))
        users = sum(1 for message in messages if message["role"] == "user")
        crossed += extension["trace"]["turn"] != users
        question = extension["question"]
        answer = question["quick_replies"][0] if question else "something else, not these"
        messages = [*messages, {"role": "assistant", "content": text}, {"role": "user", "content": answer}]
    return done, crossed


async def run_level(base_url: str, model: str, clients: int, turns: int, rounds: int) -> dict[str, Any]:
    client = openai.AsyncOpenAI(base_url=f"{base_url}/v1", api_key="unused", max_retries=0, timeout=300)
    results: list[tuple[list[Turn], int]] = []
    wall = 0.0
    for round_index in range(rounds):
        # Within a round every client's opening differs (clients <= len(OPENINGS)).
        openings = [OPENINGS[(round_index * clients + i) % len(OPENINGS)] for i in range(clients)]
        start = time.perf_counter()
        results += await asyncio.gather(*(conversation(client, model, text, turns) for text in openings))
        wall += time.perf_counter() - start
    all_turns = [turn for conversation_turns, _ in results for turn in conversation_turns]
    lost = sum(1 for turn in all_turns if turn.error or not turn.text) + sum(
        turns - len(conversation_turns) for conversation_turns, _ in results
    )
    crossed = sum(count for _, count in results)
    # Each turn again, alone: the reply must be the one its conversation got under load.
    for turn in all_turns:
        if turn.error is None:
            text, ids, _ = _reply(await client.chat.completions.create(model=model, messages=turn.messages))  # type: ignore[arg-type]
            crossed += (text, ids) != (turn.text, turn.item_ids)
    await client.close()
    latencies = sorted(turn.latency_s for turn in all_turns if turn.error is None)
    p99_index = min(len(latencies) - 1, max(0, round(0.99 * len(latencies)) - 1))
    return {
        "clients": clients,
        "turns": len(all_turns),
        "wall_s": wall,
        "median_ms": statistics.median(latencies) * 1000,
        "p99_ms": latencies[p99_index] * 1000,
        "turns_per_s": len(latencies) / wall,
        "lost": lost,
        "crossed": crossed,
    }


def report(rows: list[dict[str, Any]], dataset: str, turns: int, rounds: int) -> str:
    lines = [
        "# Serving: concurrent clients through `crsagent serve`",
        "",
        f"`benchmarks/serving.py`: dataset `{dataset}`, offline agent, {turns} turns per conversation,",
        f"{rounds} rounds per level (in a round each client holds one conversation, all at once), each",
        "client the official `openai` async client; server (`crsagent serve`, default limits, rate",
        "limit off) and clients on one machine over loopback, after one warm-up turn. A turn is one",
        "`POST /v1/chat/completions` carrying the whole conversation so far. Throughput: turns over",
        "the rounds' wall time. p99 over fewer than 100 turns is the slowest turn.",
        "",
        "| clients | turns | median latency (ms) | p99 latency (ms) | throughput (turns/s) | lost | crossed |",
        "|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        lines.append(
            f"| {row['clients']} | {row['turns']} | {row['median_ms']:.0f} | {row['p99_ms']:.0f} | "
            f"{row['turns_per_s']:.1f} | {row['lost']} | {row['crossed']} |"
        )
    lines += [
        "",
        f"Machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, Python "
        f"{platform.python_version()}.",
    ]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--dataset", default="demo", help="dataset to serve (default: demo)")
    parser.add_argument(
        "--clients", type=int, nargs="+", default=[1, 10, 50], help="levels (default 1 10 50)"
    )
    parser.add_argument("--turns", type=int, default=3, help="turns per conversation (default 3)")
    parser.add_argument("--rounds", type=int, default=3, help="conversations per client (default 3)")
    parser.add_argument("--out", type=Path, help="write the markdown table here")
    args = parser.parse_args()
    if any(not 1 <= clients <= len(OPENINGS) for clients in args.clients):
        parser.error(f"clients must be within 1..{len(OPENINGS)} (one distinct opening each)")
    if not 1 <= args.turns <= 10 or not 1 <= args.rounds <= 20:
        parser.error("turns must be within 1..10 and rounds within 1..20")
    port = _free_port()
    log = Path(os.environ.get("TMPDIR", "/tmp")) / f"crsagent-serving-{port}.log"
    server = start_server(args.dataset, port, log)
    try:
        model = httpx.get(f"http://127.0.0.1:{port}/v1/models").json()["data"][0]["id"]
        warm_up = {"model": model, "messages": [{"role": "user", "content": OPENINGS[0]}]}
        httpx.post(
            f"http://127.0.0.1:{port}/v1/chat/completions", json=warm_up, timeout=300
        ).raise_for_status()
        rows = []
        for clients in args.clients:
            row = asyncio.run(run_level(f"http://127.0.0.1:{port}", model, clients, args.turns, args.rounds))
            print(row, flush=True)
            rows.append(row)
    finally:
        server.terminate()
        server.wait(timeout=30)
    text = report(rows, model, args.turns, args.rounds)
    print(text)
    if args.out:
        args.out.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
