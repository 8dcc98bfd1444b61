"""The ``crsagent`` command line. Sub-commands are added as their features land."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence

from pydantic import ValidationError

from crsagent.commands import chat, data, index, mcp, repl, serve
from crsagent.commands import eval as evaluation
from crsagent.errors import CrsAgentError

# Each module adds one command group; new features register theirs here.
COMMAND_MODULES = (chat, data, index, evaluation, repl, serve, mcp)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (also used by the docs and the tests)."""
    parser = argparse.ArgumentParser(prog="crsagent", description="A conversational recommender agent.")
    parser.add_argument("-v", "--verbose", action="store_true", help="log at INFO level")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in COMMAND_MODULES:
        module.register(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``crsagent`` console script; returns the exit status."""
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING, format="%(levelname)s %(message)s"
    )
    try:
        return args.handler(args)
    except (CrsAgentError, ValidationError) as error:
        print(f"crsagent: error: {error}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        # Output piped into `head` and closed early: not an error; silence the flush at exit too.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0


if __name__ == "__main__":
    sys.exit(main())
