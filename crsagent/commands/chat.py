"""``crsagent chat``: the Gradio web UI over the agent, on 127.0.0.1 (gradio analytics off)."""

from __future__ import annotations

import argparse
import os
import secrets
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, Field

from crsagent.commands.common import port_number, settings_from_args, with_data_options
from crsagent.config import Settings
from crsagent.errors import CrsAgentError

if TYPE_CHECKING:  # gradio and the agent load when the command runs, not at CLI start
    import gradio as gr

DEFAULT_PORT = 7860


class ChatOptions(BaseModel):
    """What ``crsagent chat`` serves, resolved from the command line and the settings."""

    dataset: str = Field(description="Dataset the UI opens on (a name or a folder).")
    llm: str | None = Field(description="Model string, None for the offline mode.")
    host: str = "127.0.0.1"
    port: int = Field(default=DEFAULT_PORT, ge=0, le=65535, description="0 picks a free port.")
    sessions: Path | None = Field(
        default=None, description="SQLite file of the sessions (default: in the cache)."
    )
    list_size: int = Field(default=5, ge=1, le=10)
    policy: Literal["info-gain", "scpr", "max-entropy"] = "info-gain"


def options_from_args(args: argparse.Namespace, settings: Settings) -> ChatOptions:
    """Options from the command line; the dataset / LLM fall back to the settings, then demo / offline."""
    from crsagent.ui.sessions import default_dataset, llm_choice

    dataset = default_dataset(settings) if args.dataset in (None, "default") else args.dataset
    llm = llm_choice(args.llm) if args.llm is not None else settings.llm_model
    return ChatOptions(
        dataset=dataset,
        llm=llm,
        host=args.host,
        port=args.port,
        sessions=args.sessions,
        list_size=args.list_size,
        policy=args.policy,
    )


def browser_secret(settings: Settings) -> str:
    """The key that encrypts the session id a browser stores: kept in the cache, so reloads after a
    restart of ``crsagent chat`` still find their session (gradio would pick a new one each start)."""
    path = settings.cache_dir / "ui" / "browser-secret"
    if path.is_file():
        return path.read_text(encoding="utf-8").strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_urlsafe(24)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(secret)
    return secret


def serve(options: ChatOptions, settings: Settings) -> tuple[gr.Blocks, str]:
    """Build the agent for the opening dataset, then start the app in the background; (app, URL)."""
    from crsagent.agent.config import AgentConfig
    from crsagent.ui.app import build_app, launch
    from crsagent.ui.sessions import AgentPool, agent_factory, available_datasets

    config = AgentConfig(list_size=options.list_size, policy=options.policy)
    pool = AgentPool(agent_factory(settings, config=config, checkpoint_path=options.sessions))
    pool.get(options.dataset, options.llm)  # fail here, with a clear error, rather than in the page
    app = build_app(
        pool,
        dataset=options.dataset,
        llm=options.llm,
        datasets=available_datasets(settings, current=options.dataset),
        secret=browser_secret(settings),
    )
    try:
        url = launch(app, host=options.host, port=options.port or None)
    except OSError as error:
        raise CrsAgentError(
            f"cannot serve on {options.host}:{options.port} ({error}); pass another --port"
        ) from error
    return app, url


def _chat(args: argparse.Namespace) -> int:
    settings = settings_from_args(args)
    options = options_from_args(args, settings)
    app, url = serve(options, settings)
    print(f"crsagent chat: {options.dataset}, LLM {options.llm or 'offline'}; open {url} (Ctrl+C stops)")
    app.block_thread()
    return 0


def register(commands: argparse._SubParsersAction) -> None:  # pyright: ignore[reportPrivateUsage]
    """Add ``chat`` to the top-level parser."""
    parser = commands.add_parser("chat", help="chat with the agent in the web UI (Gradio)")
    parser.add_argument(
        "--dataset", default=None, help="dataset name or folder (default: the configured one, else demo)"
    )
    parser.add_argument(
        "--llm",
        default=None,
        help="model string (openai:..., vllm-server:URL#model, scripted:FILE) or 'offline'",
    )
    parser.add_argument(
        "--host", default="127.0.0.1", help="address to serve on (default: 127.0.0.1, this machine only)"
    )
    parser.add_argument(
        "--port",
        type=port_number,
        default=DEFAULT_PORT,
        help=f"port (default: {DEFAULT_PORT}; 0 picks a free one)",
    )
    parser.add_argument(
        "--sessions", type=Path, default=None, help="SQLite file of the sessions (default: in the cache dir)"
    )
    parser.add_argument(
        "--list-size",
        type=int,
        default=5,
        choices=range(1, 11),
        metavar="1-10",
        help="items per recommendation",
    )
    parser.add_argument("--policy", default="info-gain", choices=("info-gain", "scpr", "max-entropy"))
    with_data_options(parser)
    parser.set_defaults(handler=_chat)
