"""``crsagent chat``: the Gradio web UI over the agent, on 127.0.0.1 (gradio analytics off)."""

from __future__ import annotations

import argparse
import os
import secrets
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import BaseModel, Field

from crsagent.commands.common import (
    bounded,
    cf_model_from_args,
    port_number,
    settings_from_args,
    with_agent_options,
    with_data_options,
)
from crsagent.config import Settings
from crsagent.errors import CrsAgentError
from crsagent.registry import DEFAULT_AGENT_POLICY, DEFAULT_AGENT_RECOMMENDER
from crsagent.ui.settings import UISettings

if TYPE_CHECKING:  # gradio and the agent load when the command runs, not at CLI start
    import gradio as gr

DEFAULT_PORT = 7860


class ChatOptions(BaseModel):
    """What ``crsagent chat`` serves, resolved from the command line and the settings."""

    dataset: str = Field(description="Dataset the UI opens on (a name or a folder).")
    llm: str | None = Field(description="Model string the UI opens with, None for the offline mode.")
    ui: UISettings = Field(
        default_factory=UISettings, description="LLMs offered to visitors, and the server's limits."
    )
    host: str = "127.0.0.1"
    port: int = Field(default=DEFAULT_PORT, ge=0, le=65535, description="0 picks a free port.")
    sessions: Path | None = Field(
        default=None, description="SQLite file of the sessions (default: in the cache)."
    )
    list_size: int = Field(default=5, ge=1, le=10)
    policy: str = Field(
        default=DEFAULT_AGENT_POLICY, description="Ask / recommend policy (AgentConfig checks the name)."
    )
    cf_model: str | None = Field(
        default=DEFAULT_AGENT_RECOMMENDER, description="Collaborative model (AgentConfig checks the name)."
    )


def options_from_args(args: argparse.Namespace, settings: Settings) -> ChatOptions:
    """Options from the command line; the dataset / LLM fall back to the settings, then demo / offline.

    ``--llm`` may be repeated: the first opens, all are offered (with offline and ``CRSAGENT_UI_LLMS``).
    """
    from crsagent.ui.sessions import default_dataset, llm_choice

    dataset = default_dataset(settings) if args.dataset in (None, "default") else args.dataset
    llms = [llm_choice(text) for text in args.llm or []]
    llm = llms[0] if llms else settings.llm_model
    overrides: dict[str, object] = {
        name: value
        for name, value in (
            ("max_agents", args.max_agents),
            ("concurrent_turns", args.concurrency),
            ("allow_any_llm", args.allow_any_llm or None),
        )
        if value is not None
    }
    ui = UISettings(**overrides)  # type: ignore[arg-type]  # validated: the environment, then these
    offered = [*ui.llms, *(m for m in llms[1:] if m is not None)]
    return ChatOptions(
        dataset=dataset,
        llm=llm,
        ui=ui.model_copy(update={"llms": list(dict.fromkeys(offered))}),
        host=args.host,
        port=args.port,
        sessions=args.sessions,
        list_size=args.list_size,
        policy=args.policy,
        cf_model=cf_model_from_args(args),
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
    from crsagent.agent.pool import AgentPool
    from crsagent.ui.app import build_app, launch
    from crsagent.ui.choices import Offer
    from crsagent.ui.sessions import agent_factory, available_datasets

    config = AgentConfig(list_size=options.list_size, policy=options.policy, cf_model=options.cf_model)
    factory = agent_factory(settings, config=config, checkpoint_path=options.sessions)
    pool = AgentPool(factory, max_agents=options.ui.max_agents)
    pool.get(options.dataset, options.llm)  # fail here, with a clear error, rather than in the page
    offer = Offer(
        datasets=[options.dataset, *available_datasets(settings, current=options.dataset)],
        llms=[options.llm, *options.ui.llms],
        allow_any_llm=options.ui.allow_any_llm,
        max_llm_chars=options.ui.max_llm_chars,
    )
    app = build_app(pool, offer, secret=browser_secret(settings), settings=options.ui)
    try:
        url = launch(app, host=options.host, port=options.port or None, settings=options.ui)
    except OSError as error:
        raise CrsAgentError(
            f"cannot serve on {options.host}:{options.port} ({error}); pass another --port"
        ) from error
    return app, url


def _chat(args: argparse.Namespace) -> int:
    settings = settings_from_args(args)
    options = options_from_args(args, settings)
    app, url = serve(options, settings)
    print(
        f"crsagent chat: {options.dataset}, LLM {options.llm or 'offline'}; open {url} (Ctrl+C stops)",
        flush=True,
    )
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
        action="append",
        default=None,
        help="model string (openai:..., vllm-server:URL#model, scripted:FILE) or 'offline'; repeat it "
        "to offer several (the first opens); visitors choose among these and offline",
    )
    parser.add_argument(
        "--allow-any-llm",
        action="store_true",
        help="let visitors type any model string (off: a typed URL would make this server a proxy)",
    )
    parser.add_argument(
        "--max-agents",
        type=bounded(1, 64),
        default=None,
        help="agents kept built, one per dataset and LLM, least recently used dropped (default: 3)",
    )
    parser.add_argument(
        "--concurrency",
        type=bounded(1, 64),
        default=None,
        help="turns served at once over all sessions; one at a time per session (default: 8)",
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
    with_agent_options(parser)
    with_data_options(parser)
    parser.set_defaults(handler=_chat)
