"""``crsagent repl``: chat with the agent in a terminal (offline by default)."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, TextIO

from crsagent.commands.common import (
    cf_model_from_args,
    settings_from_args,
    with_agent_options,
    with_data_options,
)

if TYPE_CHECKING:  # the agent loads LangGraph: imported when the command runs, not at CLI start
    from crsagent.agent.facade import Agent
    from crsagent.agent.reply import Reply

HELP = "commands: /reset (start a new session), /trace (last turn's trace), /quit"


def _print_reply(reply: Reply, out: TextIO) -> None:
    if reply.question is not None:
        print(f"   [answers: {' | '.join(reply.question.quick_replies())}]", file=out)
    for notice in reply.trace.notices:
        print(f"   (notice: {notice})", file=out)


def run_repl(agent: Agent, session_id: str, stdin: TextIO, out: TextIO) -> int:
    """Read messages until EOF or /quit; each reply streams as it is produced."""
    from crsagent.agent.reply import Reply

    print(f"crsagent on {agent.dataset.name} ({agent.mode}). {HELP}", file=out)
    last: Reply | None = None
    while True:
        print("you> ", end="", file=out, flush=True)
        line = stdin.readline()
        if not line:
            print(file=out)
            return 0
        text = line.rstrip("\n")
        command = text.strip().casefold()
        if command in ("/quit", "/exit"):
            return 0
        if command == "/reset":
            agent.reset(session_id)
            print("(new session)", file=out)
            continue
        if command == "/trace":
            print(last.trace.model_dump_json(indent=1) if last else "(no turn yet)", file=out)
            continue
        print("agent> ", end="", file=out)
        for part in agent.stream(text, session_id):
            if isinstance(part, Reply):
                last = part
            else:
                print(part, end="", file=out, flush=True)
        print(file=out)
        if last is not None:
            _print_reply(last, out)


def _repl(args: argparse.Namespace) -> int:
    from crsagent.agent.config import AgentConfig
    from crsagent.agent.facade import Agent

    settings = settings_from_args(args)
    config = AgentConfig(list_size=args.list_size, policy=args.policy, cf_model=cf_model_from_args(args))
    agent = Agent.from_dataset(
        args.dataset, llm=args.llm, config=config, settings=settings, checkpoint_path=args.sessions
    )
    return run_repl(agent, args.session, sys.stdin, sys.stdout)


def register(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("repl", help="chat with the agent in the terminal")
    parser.add_argument(
        "--dataset", default="default", help="dataset name or folder (default: the configured one, else demo)"
    )
    parser.add_argument(
        "--llm",
        default=None,
        help="model string (openai:..., vllm-server:URL#model, scripted:FILE) or 'offline'",
    )
    parser.add_argument("--session", default="repl", help="session id (with --sessions, resumes it)")
    parser.add_argument("--sessions", default=None, help="SQLite file that keeps sessions across runs")
    with_agent_options(parser)
    with_data_options(parser)
    parser.set_defaults(handler=_repl)
