"""``crsagent serve``: the agent behind an OpenAI-compatible HTTP API (FastAPI + uvicorn)."""

from __future__ import annotations

import argparse
import os

from crsagent.commands.common import port_number, settings_from_args, with_data_options
from crsagent.errors import CrsAgentError

DEFAULT_PORT = 8000
API_KEY_ENV = "CRSAGENT_API_KEY"


def _serve(args: argparse.Namespace) -> int:
    try:
        from crsagent.serve.openai_api import run_server
    except ImportError as error:
        raise CrsAgentError(
            f"crsagent serve needs the 'serve' extra (pip install 'crsagent[serve]'): {error}"
        ) from None
    from crsagent.serve.settings import ServeOptions

    settings = settings_from_args(args)
    # Validated with the options (model_copy would let a negative rate through unchecked).
    limits = {} if args.rate_per_minute is None else {"rate_per_minute": args.rate_per_minute}
    options = ServeOptions.model_validate(
        {
            "datasets": args.dataset or [settings.default_dataset],
            "llm": args.llm,
            "host": args.host,
            "port": args.port,
            "api_key": args.api_key or os.environ.get(API_KEY_ENV) or None,
            "limits": limits,
        }
    )
    run_server(options, settings)
    return 0


def register(commands: argparse._SubParsersAction) -> None:  # pyright: ignore[reportPrivateUsage]
    """Add ``serve`` to the top-level parser."""
    parser = commands.add_parser("serve", help="serve the agent as an OpenAI-compatible chat API")
    parser.add_argument(
        "--dataset",
        action="append",
        default=None,
        help="dataset to serve, repeatable; each is a model of the API (default: the configured one)",
    )
    parser.add_argument(
        "--llm",
        default=None,
        help="model string (openai:..., vllm-server:URL#model) or 'offline' (default: settings)",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address (default 127.0.0.1, this machine only)")
    parser.add_argument(
        "--port", type=port_number, default=DEFAULT_PORT, help=f"port (default {DEFAULT_PORT})"
    )
    parser.add_argument(
        "--api-key",
        default=None,
        help=f"require `Authorization: Bearer KEY` (default: ${API_KEY_ENV}; unset: no key needed)",
    )
    parser.add_argument(
        "--rate-per-minute",
        type=float,
        default=None,
        help="requests per minute per client (default 120; 0: no limit)",
    )
    with_data_options(parser)
    parser.set_defaults(handler=_serve)
