"""Hostile inputs, per area: how many were tried, how many held, how many broke.

Areas: SQL from the LLM, LLM faults (a local OpenAI-compatible server that hangs, drips, floods or
answers in the wrong shape), sessions, evaluation runs, data files, and the names an LLM writes into
a reply. Each input runs in a forked child with a time cap (``--cap-s``) and a memory cap
(``--memory-gib`` above what the parent uses): an input that runs past either counts as broken.
Everything stays on this machine: the LLM server listens on 127.0.0.1, nothing reaches the internet.

    .venv/bin/python benchmarks/hostile_inputs.py
    .venv/bin/python benchmarks/hostile_inputs.py --only sql,data --cap-s 10

The LLM test server always comes from this checkout (a helper process); the package under test is
whatever ``import crsagent`` finds, so an older tree can be measured with the same inputs:

    git worktree add /tmp/before <commit>
    PYTHONPATH=/tmp/before .venv/bin/python benchmarks/hostile_inputs.py

Inputs the older API cannot even take (a setting it lacks) run with what it has; a crash or a hang
counts as broken. Linux only (fork, resource limits).
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import json
import multiprocessing
import os
import platform
import resource
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent.parent
# A plan the agent's planner accepts: a comedy, no tools.
PLAN = '{"understanding": {"intent": "request", "accepted": [{"type": "genre", "value": "Comedy"}]}, "tool_calls": []}'
CRIME_PLAN = '{"understanding": {"intent": "request", "accepted": [{"type": "genre", "value": "Crime"}]}, "tool_calls": []}'
SQL_ITEMS = 1000
SQL_ROW_CAP = 200  # what the sql_query tool may return at most, before and after
LLM_DEADLINE_S = 4.0  # the per-call and per-turn LLM budgets the benchmark sets where they exist
ANSWER_CAP_BYTES = 1_000_000  # an answer or a stored state above this was not bounded


@dataclass(frozen=True)
class Probe:
    area: str
    name: str
    run: Callable[[], tuple[bool, str]]
    """(held, what happened), in the child process."""


@dataclass(frozen=True)
class Outcome:
    area: str
    name: str
    held: bool
    note: str
    seconds: float


# --- the child process: one input, capped ------------------------------------------------------


def _child(probe: Probe, memory_bytes: int, pipe: Connection) -> None:
    if memory_bytes > 0:
        resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    started = time.perf_counter()
    try:
        held, note = probe.run()
    except MemoryError:
        held, note = False, "ran out of the memory cap"
    except BaseException as error:  # noqa: BLE001 - any crash is the finding, reported by type
        held, note = False, f"crashed: {type(error).__name__}: {str(error)[:160]}"
    pipe.send((held, note, time.perf_counter() - started))
    pipe.close()
    os._exit(0)  # skip atexit handlers and thread joins inherited from the parent


def _vm_bytes() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmSize:"):
            return int(line.split()[1]) * 1024
    return 0


def run_capped(probe: Probe, cap_s: float, memory_gib: float) -> Outcome:
    context = multiprocessing.get_context("fork")
    receive, send = context.Pipe(duplex=False)
    memory = _vm_bytes() + int(memory_gib * 2**30) if memory_gib > 0 else 0
    started = time.perf_counter()
    child = context.Process(target=_child, args=(probe, memory, send), daemon=True)
    child.start()
    send.close()
    ready = receive.poll(cap_s)
    if not ready:
        child.kill()
        child.join()
        return Outcome(probe.area, probe.name, False, f"still running at the {cap_s:g} s cap", cap_s)
    try:
        held, note, seconds = receive.recv()
    except EOFError:
        child.join()
        return Outcome(
            probe.area, probe.name, False, f"died (exit {child.exitcode})", time.perf_counter() - started
        )
    child.join()
    return Outcome(probe.area, probe.name, held, note, seconds)


# --- SQL from the LLM --------------------------------------------------------------------------


def _sql_toolbox(folder: Path) -> Any:
    from crsagent.data import Catalog, Dataset, Interactions, Item
    from crsagent.tools.context import ToolContext
    from crsagent.tools.toolbox import Toolbox

    items = [
        Item(id=str(n), title=f"Film {n}", attributes={"genre": ["Drama"]}, year=1990, popularity=float(n))
        for n in range(SQL_ITEMS)
    ]
    empty = Interactions.from_pairs([], [])
    dataset = Dataset(
        name="hostile", catalog=Catalog(items, name="hostile"), interactions=empty, positives=empty,
        splits={"train": empty},
    )  # fmt: skip
    return Toolbox(ToolContext.create(dataset, folder))


def _sql_time_limit() -> float:
    from crsagent.data import raw_sql

    limits = getattr(raw_sql, "RawSqlLimits", None)
    return float(limits().time_limit_s) if limits is not None else float(raw_sql.DEFAULT_TIME_LIMIT_S)


def sql_probe(
    folder: Path, arguments: dict[str, Any], *, must_refuse: bool
) -> Callable[[], tuple[bool, str]]:
    """Held: the tool answers within the query's own time limit, with at most the row cap and a
    bounded answer; ``must_refuse``: and refuses the query."""

    def run() -> tuple[bool, str]:
        toolbox = _sql_toolbox(folder)
        limit = _sql_time_limit()
        started = time.perf_counter()
        output = toolbox.call("sql_query", arguments)
        seconds = time.perf_counter() - started
        size = len(json.dumps(output.data, default=str))
        rows = len(output.data.get("rows", [])) if isinstance(output.data, dict) else 0
        what = f"{'refused' if not output.ok else f'{rows} rows'} in {seconds:.2f} s, {size:,} bytes"
        if not output.ok:
            what += f" ({(output.error or '')[:90]})"
        held = seconds <= limit + 0.5 and rows <= SQL_ROW_CAP and size <= ANSWER_CAP_BYTES
        return held and (not must_refuse or not output.ok), what

    return run


def sql_probes(folder: Path) -> list[Probe]:
    probes = [
        Probe("SQL from the LLM", f"{count} empty comments before a table-valued function", sql_probe(
            folder, {"sql": "/**/ " * count + "SELECT * FROM json_each('[1]')"}, must_refuse=True))
        for count in (16, 20, 22, 24, 26)
    ]  # fmt: skip
    probes += [
        Probe("SQL from the LLM", "SELECT zeroblob(9000000) FROM items LIMIT 200", sql_probe(
            folder, {"sql": "SELECT zeroblob(9000000) FROM items LIMIT 200"}, must_refuse=False)),
        Probe("SQL from the LLM", "SELECT printf('%.*c', 1000000000, 'x')", sql_probe(
            folder, {"sql": "SELECT printf('%.*c', 1000000000, 'x')"}, must_refuse=False)),
    ]  # fmt: skip
    for value in ("9742", 3.0, "0", "-5"):
        arguments = {"sql": "SELECT id FROM items", "max_rows": value}
        probes.append(
            Probe(
                "SQL from the LLM", f"max_rows = {value!r}", sql_probe(folder, arguments, must_refuse=False)
            )
        )
    return probes


# --- LLM faults ----------------------------------------------------------------------------------


def _serve_llm() -> None:
    """The helper process: an OpenAI-compatible test server whose model name picks the fault."""
    from crsagent.llm.testing_server import OpenAITestServer, ServerReply

    def respond(body: dict[str, Any]) -> ServerReply:
        fault = str(body.get("model", ""))
        planning = "response_format" in body
        if fault == "hang":
            return ServerReply(text=PLAN, delay_s=3600)
        if fault == "drip":
            return ServerReply(text=PLAN, drip_s=0.5)
        if fault == "flood":
            return ServerReply(text=PLAN if planning else "a" * 10_000_000)
        if fault == "tool-calls":
            return ServerReply.calling("search_catalog", include=[{"type": "genre", "value": "Comedy"}])
        if fault == "nested":
            return ServerReply(text="[" * 100_000 + "]" * 100_000 if planning else "Enjoy.")
        return ServerReply(text=PLAN if planning else "Enjoy.")

    with OpenAITestServer(responder=respond) as server:
        print(server.url, flush=True)
        sys.stdin.read()  # until the benchmark closes our stdin


def _llm_agent(url: str, fault: str) -> Any:
    os.environ["CRSAGENT_LLM_DEADLINE_S"] = str(LLM_DEADLINE_S)
    from crsagent.agent import Agent, AgentConfig

    # The turn's LLM budget where this version has one (older ones refuse the unknown field).
    wanted = {"llm_turn_deadline_s": LLM_DEADLINE_S}
    config = AgentConfig.model_validate({k: v for k, v in wanted.items() if k in AgentConfig.model_fields})
    return Agent.from_dataset("demo", llm=f"vllm-server:{url}#{fault}", config=config)


def llm_probe(url: str, fault: str) -> Callable[[], tuple[bool, str]]:
    """Held: the turn is answered (offline when the LLM failed) and what it stores stays bounded."""

    def run() -> tuple[bool, str]:
        agent = _llm_agent(url, fault)
        started = time.perf_counter()
        reply = agent.chat("a comedy please", "fault")
        seconds = time.perf_counter() - started
        stored = len(str(agent.graph.get_state({"configurable": {"thread_id": "fault"}}).values))
        held = bool(reply.text) and len(reply.text) <= 64_000 and stored <= ANSWER_CAP_BYTES
        return (
            held,
            f"answered in {seconds:.1f} s ({reply.trace.mode}), reply {len(reply.text):,} chars, state {stored:,} chars",
        )

    return run


def llm_probes(url: str) -> list[Probe]:
    names = {
        "hang": "server that never answers",
        "drip": "server dripping one byte every 0.5 s",
        "flood": "10 MB answer",
        "tool-calls": "plan sent as native tool calls",
        "nested": "plan of 100,000 nested JSON arrays",
    }
    return [Probe("LLM faults", name, llm_probe(url, fault)) for fault, name in names.items()]


# --- sessions --------------------------------------------------------------------------------------


@functools.cache
def _demo_runtime() -> Any:
    """The offline demo agent's runtime, built once in the parent and inherited by every child."""
    from crsagent.agent import Agent

    return Agent.from_dataset("demo", llm="offline").runtime


def concurrent_turns() -> tuple[bool, str]:
    from langgraph.checkpoint.memory import InMemorySaver

    from crsagent.agent import Agent

    class SlowReadSaver(InMemorySaver):
        def get_tuple(self, config: Any) -> Any:
            found = super().get_tuple(config)
            time.sleep(0.05)  # two unserialised turns both read the old state
            return found

    agent = Agent(_demo_runtime(), SlowReadSaver())
    texts = [f"something by Billy Wilder, take {n}" for n in range(4)]
    errors: list[str] = []

    def talk(text: str) -> None:
        try:
            agent.chat(text, "shared")
        except Exception as error:  # noqa: BLE001 - counted below
            errors.append(type(error).__name__)

    threads = [threading.Thread(target=talk, args=(text,)) for text in texts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    kept = sorted(user for user, _ in agent.history("shared"))
    return kept == sorted(texts) and not errors, f"{len(kept)} of 4 turns kept, errors: {errors or 'none'}"


def bad_session_id(session_id: str) -> Callable[[], tuple[bool, str]]:
    def run() -> tuple[bool, str]:
        from crsagent.agent import Agent
        from crsagent.errors import CrsAgentError

        agent = Agent(_demo_runtime())
        try:
            agent.chat("a comedy", session_id)
        except CrsAgentError as error:
            return True, f"{type(error).__name__}: {str(error)[:100]}"
        except ValueError as error:  # a clear refusal of the argument is fine too
            return "session" in str(error), f"{type(error).__name__}: {str(error)[:100]}"
        return True, "answered"

    return run


class NodeBrokeError(RuntimeError):
    """An unexpected failure inside a node (not an LLM error the agent falls back from)."""


def failed_turn(storage: str, first: bool) -> Callable[[], tuple[bool, str]]:
    """Held: a turn that fails midway leaves the session exactly as it was (no ghost turn)."""

    def run() -> tuple[bool, str]:
        from langgraph.checkpoint.memory import InMemorySaver
        from langgraph.checkpoint.sqlite import SqliteSaver

        from crsagent.agent import Agent
        from crsagent.llm.testing import ScriptedChatModel

        def boom(request: Any) -> str:
            raise NodeBrokeError("the reply node broke")

        script: list[Any] = [PLAN, boom] if first else [PLAN, "Here you go.", PLAN, boom]
        runtime = replace(_demo_runtime(), chat_model=ScriptedChatModel(script))
        folder = Path(tempfile.mkdtemp())
        saver = InMemorySaver() if storage == "memory" else SqliteSaver(
            sqlite3.connect(folder / "s.sqlite", check_same_thread=False))  # fmt: skip
        agent = Agent(runtime, saver)
        if not first:
            agent.chat("a comedy please", "ann")
        config: Any = {"configurable": {"thread_id": "ann"}}
        before, history = dict(agent.graph.get_state(config).values), agent.history("ann")
        with contextlib.suppress(NodeBrokeError):
            agent.chat("a funnier one", "ann")
        after = dict(agent.graph.get_state(config).values)
        same = after == before and agent.history("ann") == history
        return (
            same,
            "session unchanged" if same else f"session changed: {len(agent.history('ann'))} exchanges",
        )

    return run


def session_probes() -> list[Probe]:
    return [
        Probe("Sessions", "4 concurrent turns on one session (slow checkpoint reads)", concurrent_turns),
        Probe("Sessions", "session id '\\ud800'", bad_session_id("\ud800")),
        Probe("Sessions", "session id 'ann\\udfffbob'", bad_session_id("ann\udfffbob")),
        Probe("Sessions", "a turn failing midway (memory checkpointer)", failed_turn("memory", first=False)),
        Probe("Sessions", "a turn failing midway (SQLite checkpointer)", failed_turn("sqlite", first=False)),
        Probe("Sessions", "a first turn failing midway", failed_turn("memory", first=True)),
    ]


# --- evaluation runs ---------------------------------------------------------------------------


def _spec() -> Any:
    from crsagent.evals.spec import EvalSpec

    return EvalSpec.model_validate(
        {"name": "x", "dataset": "demo", "targets": {"from": "catalog"}, "simulator": {"kind": "rule"}}
    )


def _episode(index: int) -> Any:
    from crsagent.simulators.base import Episode, Target, TurnRecord

    turn = TurnRecord(user_text="u", agent_text="a", decision="ask", shown_ids=[], ranked_ids=[])
    return Episode(episode=index, target=Target(item_id="t"), success=False, turns=[turn])


def eval_log_line(tail: bytes) -> Callable[[], tuple[bool, str]]:
    """Held: resuming reads the good episodes and plays the damaged one again, or names the damage."""

    def run() -> tuple[bool, str]:
        from crsagent.errors import CrsAgentError
        from crsagent.evals.store import EPISODES_FILE, RunFolder

        path = Path(tempfile.mkdtemp())
        folder = RunFolder(path)
        with folder.log() as log:
            log.write(_episode(0))
        with (path / EPISODES_FILE).open("ab") as handle:
            handle.write(tail)
        try:
            done = sorted(RunFolder(path).read_episodes())
        except CrsAgentError as error:
            return True, f"refused: {str(error)[:100]}"
        return done == [0], f"resumed with episodes {done}"

    return run


def corrected_spec() -> tuple[bool, str]:
    """A start that failed before logging anything, then the same folder with a corrected spec."""
    from crsagent.errors import CrsAgentError
    from crsagent.evals.store import RunFolder

    folder = RunFolder(Path(tempfile.mkdtemp()))
    spec = _spec()
    folder.prepare(spec, "name = 'x'\n")
    try:
        folder.prepare(spec.model_copy(update={"seed": 3}), "name = 'x'\nseed = 3\n")
    except CrsAgentError as error:
        return False, f"refused: {str(error)[:100]}"
    return True, "accepted"


def eval_probes() -> list[Probe]:
    return [
        Probe("Evaluation runs", "non-UTF-8 line in episodes.jsonl, then resume",
              eval_log_line(b'{"episode": 1, "title": "\xff\xfe broken"}\n')),
        Probe("Evaluation runs", "torn last line in episodes.jsonl, then resume", eval_log_line(b'{"episode": 1, "tur')),
        Probe("Evaluation runs", "failed start, then a corrected spec", corrected_spec),
    ]  # fmt: skip


# --- data files ----------------------------------------------------------------------------------

MOVIES = 'movieId,title,genres\n1,Toy Story (1995),Comedy\n2,"Matrix, The (1999)",Sci-Fi\n3,Unrated Film (2001),Drama\n'
LINKS = "movieId,imdbId,tmdbId\n1,0114709,862\n2,0133093,603\n3,0000003,3\n"
RATINGS = "userId,movieId,rating,timestamp\n1,1,5.0,100\n1,2,4.0,200\n2,1,3.0,50\n"
TAGS = "userId,movieId,tag,timestamp\n1,2,cyberpunk,1\n"


def data_probe(**files: str) -> Callable[[], tuple[bool, str]]:
    """Held: loading fails with a ``DataFileError`` (a smaller catalog loaded silently is broken)."""

    def run() -> tuple[bool, str]:
        from crsagent.data.loaders.movielens import load_movielens
        from crsagent.errors import DataFileError

        folder = Path(tempfile.mkdtemp()) / "ml"
        folder.mkdir()
        merged = {"movies.csv": MOVIES, "links.csv": LINKS, "ratings.csv": RATINGS, "tags.csv": TAGS, **files}
        for name, text in merged.items():
            (folder / name).write_text(text, encoding="utf-8")
        try:
            dataset = load_movielens(folder)
        except DataFileError as error:
            return True, f"DataFileError: {error.path.name}: {error.problem[:100]}"
        return False, f"loaded {len(dataset.catalog)} movies"

    return run


def data_probes() -> list[Probe]:
    cut = MOVIES.rsplit("3,", 1)[0]
    return [
        Probe("Data files", "movies.csv cut at a line end (an unrated movie lost)", data_probe(**{"movies.csv": cut})),
        Probe("Data files", "movies.csv cut inside its last column", data_probe(**{"movies.csv": MOVIES[:-4]})),
        Probe("Data files", "movies.csv cut inside a quoted title", data_probe(**{"movies.csv": cut + '3,"Unrated, The (20'})),
        Probe("Data files", "movies.csv cut before its last column", data_probe(**{"movies.csv": cut + "3,Unrated Film\n"})),
        Probe("Data files", "links.csv cut at a line end", data_probe(**{"links.csv": LINKS.rsplit("3,", 1)[0]})),
        Probe("Data files", "ratings.csv cut inside its last number", data_probe(**{"ratings.csv": RATINGS[:-2]})),
    ]  # fmt: skip


# --- names in the reply text ---------------------------------------------------------------------

INVENTED = {
    "plain text": "You will love Midnight Harbor Blues as much as these.",
    "Title Case opening the sentence": "Midnight Harbor is where to start.",
    "with a year": "Start with Midnight Harbor (1997), then these.",
    "lower case with a year": "start with midnight harbor (1997), then these.",
    "double quotes": 'Start with "Midnight Harbor", then these.',
    "single quotes": "Start with 'Midnight Harbor', then these.",
    "emphasis": "Start with *midnight harbor*, then these.",
    "capitals": "MIDNIGHT HARBOR first, then these.",
    "a sequel of a shown title": "Once you have seen {first}, try {first} Returns.",
    "real catalog title, not shown": "If you like these, Jurassic Park is a must too.",
    "real title, not shown, lower case": "you could also watch jurassic park tonight.",
    "real title, not shown, with its year": "Jurassic Park (1993) belongs here too.",
    "real title, not shown, misspelt": "Fans of Jurasic Park will like these.",
}
SUPPLIED = {
    "a shown title": "Start with {first}, a gripping pick.",
    "a shown title with its year": "Start with {first} ({year}).",
    "a shown title quoted": 'Start with "{first}".',
    "a shown title in lower case": "start with {lower}, it never lets go.",
    "a word opening the sentence, then a shown title": "Watch {first} tonight.",
    "no names": "Here is some crime for a quiet evening.",
    "a genre the turn names": "All Crime, as you asked for.",
}


def _lead_reply(template: str) -> Any:
    """The second turn of a crime conversation on the demo catalog, its lead written from ``template``."""
    from crsagent.agent import Agent, AgentConfig
    from crsagent.llm.testing import ScriptedChatModel

    def write(request: Any) -> str:
        facts = json.loads(request.messages[-1].content)
        first = facts["recommendations"][0]["title"] if facts["recommendations"] else "Nothing Shown"
        year = first.rsplit("(", 1)[-1].rstrip(")")
        plain = first.rsplit(" (", 1)[0] if year.isdigit() else first
        return template.format(first=plain, year=year, lower=plain.lower())

    model = ScriptedChatModel([CRIME_PLAN, "Sure.", CRIME_PLAN, write])
    runtime = replace(_demo_runtime(), chat_model=model, config=AgentConfig(max_questions_in_a_row=1))
    agent = Agent(runtime)
    agent.chat("a crime film", "lead")
    return agent.chat("a crime film, any period", "lead")


def invented_name(template: str) -> Callable[[], tuple[bool, str]]:
    """Held: the lead is dropped for the template (no name the turn did not supply reaches the user)."""

    def run() -> tuple[bool, str]:
        reply = _lead_reply(template)
        dropped = reply.text.startswith("Here are")
        lead = reply.text.split("\n\n", 1)[0]
        return (
            dropped,
            f"template used, counted {reply.trace.dropped_titles}" if dropped else f"kept: {lead[:80]!r}",
        )

    return run


def supplied_name(template: str) -> Callable[[], tuple[bool, str]]:
    """Held: a lead that names only what the turn shows is kept."""

    def run() -> tuple[bool, str]:
        reply = _lead_reply(template)
        kept = not reply.text.startswith("Here are")
        return kept, "kept" if kept else f"dropped, counted {reply.trace.dropped_titles}"

    return run


def reply_probes() -> list[Probe]:
    return [
        *(
            Probe("Reply text: names not supplied", name, invented_name(text))
            for name, text in INVENTED.items()
        ),
        *(
            Probe("Reply text: names supplied (kept)", name, supplied_name(text))
            for name, text in SUPPLIED.items()
        ),
    ]


# --- running and reporting ---------------------------------------------------------------------

AREAS = ("sql", "llm", "sessions", "evals", "data", "reply")


def start_llm_server() -> tuple[subprocess.Popen[str], str]:
    env = {**os.environ, "PYTHONPATH": str(HERE)}
    server = subprocess.Popen(
        [sys.executable, __file__, "--serve-llm"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert server.stdout is not None
    url = server.stdout.readline().strip()
    if not url.startswith("http://127.0.0.1:"):
        server.kill()
        raise SystemExit(f"the LLM test server did not start (said {url!r})")
    return server, url


def table(outcomes: list[Outcome]) -> str:
    lines = ["| area | tried | held | broken |", "|---|---|---|---|"]
    for area in dict.fromkeys(o.area for o in outcomes):
        mine = [o for o in outcomes if o.area == area]
        held = sum(o.held for o in mine)
        lines.append(f"| {area} | {len(mine)} | {held} | {len(mine) - held} |")
    held = sum(o.held for o in outcomes)
    lines.append(f"| all | {len(outcomes)} | {held} | {len(outcomes) - held} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument(
        "--only", default=",".join(AREAS), help=f"areas, comma-separated ({', '.join(AREAS)})"
    )
    parser.add_argument("--cap-s", type=float, default=15.0, help="time cap per input (seconds)")
    parser.add_argument(
        "--memory-gib", type=float, default=2.0, help="memory cap per input above the parent's"
    )
    parser.add_argument("--json", type=Path, help="write every outcome here")
    parser.add_argument("--serve-llm", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_llm:
        _serve_llm()
        return
    areas = set(args.only.split(","))
    unknown = areas - set(AREAS)
    if unknown:
        parser.error(f"unknown area(s) {', '.join(sorted(unknown))}; choose from {', '.join(AREAS)}")

    import crsagent

    print(f"package under test: {Path(crsagent.__file__).parent}")
    print(f"python {platform.python_version()}, {os.cpu_count()} CPUs, cap {args.cap_s:g} s per input")
    _demo_runtime()  # built once here, inherited by every child
    work = Path(tempfile.mkdtemp(prefix="hostile-"))
    probes: list[Probe] = []
    server = None
    if "sql" in areas:
        probes += sql_probes(work / "sql")
    if "llm" in areas:
        server, url = start_llm_server()
        probes += llm_probes(url)
    probes += session_probes() if "sessions" in areas else []
    probes += eval_probes() if "evals" in areas else []
    probes += data_probes() if "data" in areas else []
    probes += reply_probes() if "reply" in areas else []
    started = time.perf_counter()
    outcomes: list[Outcome] = []
    try:
        for probe in probes:
            outcome = run_capped(probe, args.cap_s, args.memory_gib)
            outcomes.append(outcome)
            verdict = "held  " if outcome.held else "BROKEN"
            print(
                f"{verdict} {outcome.seconds:6.2f} s  [{probe.area}] {probe.name}: {outcome.note}", flush=True
            )
    finally:
        if server is not None:
            server.kill()
            server.wait()
    print(f"\n{table(outcomes)}\n\n{len(outcomes)} inputs in {time.perf_counter() - started:.0f} s")
    if args.json:
        args.json.write_text(json.dumps([o.__dict__ for o in outcomes], indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
