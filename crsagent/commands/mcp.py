"""``crsagent mcp``: the agent as an MCP server, over stdio (a client spawns it) or streamable HTTP."""

from __future__ import annotations

import argparse
import sys

from crsagent.commands.common import port_number, settings_from_args, with_data_options
from crsagent.errors import CrsAgentError

DEFAULT_HTTP_PORT = 8001


def _mcp(args: argparse.Namespace) -> int:
    try:
        from crsagent.serve.mcp_server import build_mcp_server
    except ImportError as error:
        raise CrsAgentError(
            f"crsagent mcp needs the 'serve' extra (pip install 'crsagent[serve]'): {error}"
        ) from None
    from crsagent.agent import Agent
    from crsagent.serve.settings import ServeLimits

    settings = settings_from_args(args)
    agent = Agent.from_dataset(args.dataset, llm=args.llm, settings=settings)
    limits = ServeLimits()
    server = build_mcp_server(agent, limits)
    if args.transport == "stdio":
        # stdout is the protocol channel: everything human goes to stderr.
        print(f"crsagent mcp: {agent.catalog.name} ({agent.mode}) on stdio", file=sys.stderr)
        server.run("stdio")
        return 0
    print(
        f"crsagent mcp: {agent.catalog.name} ({agent.mode}) at http://{args.host}:{args.port}/mcp (Ctrl+C stops)",
        file=sys.stderr,
    )
    server.run(
        "streamable-http", host=args.host, port=args.port, max_request_body_size=limits.max_request_bytes
    )
    return 0


def register(commands: argparse._SubParsersAction) -> None:  # pyright: ignore[reportPrivateUsage]
    """Add ``mcp`` to the top-level parser."""
    parser = commands.add_parser("mcp", help="serve the agent as an MCP server (stdio or streamable HTTP)")
    parser.add_argument(
        "--dataset", default="default", help="dataset name or folder (default: the configured one)"
    )
    parser.add_argument(
        "--llm",
        default=None,
        help="model string (openai:..., vllm-server:URL#model) or 'offline' (default: settings)",
    )
    parser.add_argument("--transport", choices=("stdio", "http"), default="stdio", help="default: stdio")
    parser.add_argument(
        "--host", default="127.0.0.1", help="http: address (default 127.0.0.1, this machine only)"
    )
    parser.add_argument(
        "--port",
        type=port_number,
        default=DEFAULT_HTTP_PORT,
        help=f"http: port (default {DEFAULT_HTTP_PORT})",
    )
    with_data_options(parser)
    parser.set_defaults(handler=_mcp)
