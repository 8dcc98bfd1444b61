"""The web UI as a shared server, under load: N browser-less sessions (gradio_client, one client
each, through the same queue the page uses) against a real ``crsagent chat`` on 127.0.0.1.

Measures the reply time of ``/chat`` (median, p99) with 1, 10 and 50 concurrent sessions, with
(a) the offline agent and (b) a slow LLM (the project's local OpenAI-compatible test server, each
call delayed); counts lost replies (an error, a timeout, a missing exchange) and crossed ones (a
reply or history entry of another session); and the server's memory after visitors open sessions
on 100 different LLM strings (``--allow-any-llm``) with the agent pool bounded.

    .venv/bin/python benchmarks/ui_load.py --out docs/results/ui_load.md

Bounded: at most 50 sessions, ``--turns`` messages each, one timeout per call; loopback only.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

CALL_TIMEOUT_S = 300
MESSAGES = ("I want a comedy", "yes", "no")


def _slow_reply(delay_s: float) -> Any:
    from crsagent.agent.llm_plan import LlmUnderstanding, Plan, PlanStep
    from crsagent.agent.turns import Intent, ValueRef
    from crsagent.llm.testing_server import ServerReply

    plan = Plan(
        understanding=LlmUnderstanding(
            intent=Intent.REQUEST, accepted=[ValueRef(type="genre", value="Comedy")]
        ),
        tool_calls=[PlanStep.of("search_catalog", include=[{"type": "genre", "value": "Comedy"}])],
    ).model_dump_json()

    def respond(body: dict[str, Any]) -> ServerReply:
        text = plan if "response_format" in body else "Here are some comedies."
        return ServerReply(text=text, delay_s=delay_s)

    return respond


def _serve_llm(urls: Any, stop: Any, delay_s: float) -> None:
    from crsagent.llm.testing_server import OpenAITestServer

    with OpenAITestServer(responder=_slow_reply(delay_s), model="bench") as server:
        urls.put(server.url)
        stop.wait()


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class ChatServer:
    """``crsagent chat`` in a process of its own."""

    def __init__(self, folder: Path, *extra: str) -> None:
        command = [
            sys.executable, "-m", "crsagent.cli", "chat", "--dataset", "demo", "--port", str(_free_port()),
            "--cache-dir", str(folder / "cache"), "--sessions", str(folder / f"s{time.monotonic_ns()}.sqlite"),
            *extra,
        ]  # fmt: skip
        self.process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        assert self.process.stdout is not None
        self.url = ""
        for line in self.process.stdout:
            if line.startswith("crsagent chat:"):
                self.url = line.split("open ")[1].split()[0]
                break
        if not self.url:
            raise RuntimeError("crsagent chat did not start")
        threading.Thread(target=self.process.stdout.read, daemon=True).start()  # keep the pipe drained

    def rss_mb(self) -> float:
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        raise RuntimeError("no VmRSS")

    def close(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)


def _session(url: str, index: int, turns: int, times: list[float], problems: list[str]) -> None:
    from gradio_client import Client

    client = Client(url, verbose=False)
    sent: list[str] = []
    handle = ""
    for turn in range(turns):
        message = f"{MESSAGES[turn % len(MESSAGES)]} (visitor {index})"
        start = time.perf_counter()
        try:
            reply = client.submit(message, handle, api_name="/chat").result(timeout=CALL_TIMEOUT_S)
        except Exception as error:  # noqa: BLE001 - counted as a lost reply, reported
            problems.append(f"lost: visitor {index} turn {turn}: {error}")
            return
        times.append(time.perf_counter() - start)
        if handle and reply["session"] != handle:
            problems.append(f"crossed: visitor {index} got a reply of another session")
        handle = reply["session"]
        sent.append(message)
    history = [e["user"] for e in client.predict(handle, api_name="/history")["exchanges"]]
    if history != sent:
        problems.append(f"lost or crossed: visitor {index} history {history} != sent {sent}")


def load(url: str, sessions: int, turns: int) -> dict[str, Any]:
    times: list[float] = []
    problems: list[str] = []
    threads = [
        threading.Thread(target=_session, args=(url, i, turns, times, problems)) for i in range(sessions)
    ]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    ordered = sorted(times)
    p99 = ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))] if ordered else float("nan")
    return {
        "sessions": sessions,
        "replies": len(times),
        "median_s": statistics.median(times) if times else float("nan"),
        "p99_s": p99,
        "wall_s": time.perf_counter() - start,
        "problems": problems,
    }


def memory(folder: Path, llm_url: str, strings: int, max_agents: int) -> dict[str, Any]:
    from gradio_client import Client

    server = ChatServer(folder, "--allow-any-llm", "--max-agents", str(max_agents))
    try:
        client = Client(server.url, verbose=False)
        before = server.rss_mb()
        for index in range(strings):
            client.predict("demo", f"vllm-server:{llm_url}#visitor-model-{index}", api_name="/new_session")
        return {
            "max_agents": max_agents,
            "strings": strings,
            "before_mb": before,
            "after_mb": server.rss_mb(),
        }
    finally:
        server.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--sessions", type=int, nargs="+", default=[1, 10, 50])
    parser.add_argument("--turns", type=int, default=3, help="messages per session")
    parser.add_argument("--llm-delay", type=float, default=0.5, help="seconds per slow-LLM call")
    parser.add_argument("--strings", type=int, default=100, help="LLM strings for the memory run")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    if max(args.sessions) > 50 or args.turns > 10:
        parser.error("bounded: at most 50 sessions and 10 turns each")

    context = multiprocessing.get_context("fork")
    urls, stop = context.Queue(), context.Event()
    llm = context.Process(target=_serve_llm, args=(urls, stop, args.llm_delay), daemon=True)
    llm.start()
    llm_url = urls.get(timeout=30)
    rows: list[str] = []
    try:
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            for label, extra in (
                ("offline", ()),
                (f"slow LLM ({args.llm_delay:.1f} s a call)", ("--llm", f"vllm-server:{llm_url}#bench")),
            ):
                server = ChatServer(folder, *extra)
                try:
                    for sessions in args.sessions:
                        result = load(server.url, sessions, args.turns)
                        row = (
                            f"| {label} | {sessions} | {result['replies']} | {result['median_s']:.2f} | "
                            f"{result['p99_s']:.2f} | {result['wall_s']:.1f} | {len(result['problems'])} |"
                        )
                        print(row, *result["problems"][:5], sep="\n", flush=True)
                        rows.append(row)
                finally:
                    server.close()
            memory_rows = []
            for max_agents in (3, 64):
                result = memory(folder, llm_url, args.strings, max_agents)
                row = f"| {result['strings']} | {max_agents} | {result['before_mb']:.0f} | {result['after_mb']:.0f} |"
                print(row, flush=True)
                memory_rows.append(row)
    finally:
        stop.set()
        llm.join(timeout=10)
    table = "\n".join(
        [
            "| agent | sessions | replies | median s | p99 s | wall s | lost or crossed |",
            "|---|---|---|---|---|---|---|",
            *rows,
            "",
            "| LLM strings opened | --max-agents | server RSS before (MB) | after (MB) |",
            "|---|---|---|---|",
            *memory_rows,
        ]
    )
    print(table)
    if args.out:
        args.out.write_text(table + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
