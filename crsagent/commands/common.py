"""Options and settings shared by CLI sub-commands."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

from crsagent.config import Settings
from crsagent.registry import (
    AGENT_POLICY,
    DEFAULT_AGENT_POLICY,
    DEFAULT_AGENT_RECOMMENDER,
    POLICIES,
    RECOMMENDERS,
)

# ``--cf-model`` for no collaborative model.
NO_CF_MODEL = "none"


def with_data_options(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """``--data-dir`` and ``--cache-dir``, overriding the environment."""
    parser.add_argument("--data-dir", type=Path, help="folder holding datasets (default: $CRSAGENT_DATA_DIR)")
    parser.add_argument("--cache-dir", type=Path, help="cache folder (default: $CRSAGENT_CACHE_DIR)")
    return parser


def with_agent_options(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """``--list-size``, ``--policy`` (a trained one loads its stored weights) and ``--cf-model``, with
    the registry's names as the choices."""
    parser.add_argument(
        "--list-size",
        type=int,
        default=5,
        choices=range(1, 11),
        metavar="1-10",
        help="items per recommendation",
    )
    parser.add_argument(
        "--policy",
        default=DEFAULT_AGENT_POLICY,
        choices=POLICIES.names(AGENT_POLICY),
        help=f"ask / recommend policy (default: {DEFAULT_AGENT_POLICY})",
    )
    parser.add_argument(
        "--cf-model",
        default=DEFAULT_AGENT_RECOMMENDER,
        choices=[*RECOMMENDERS.names(), NO_CF_MODEL],
        help="collaborative model fitted on the train split that scores items like the ones the user "
        f"named (default: {DEFAULT_AGENT_RECOMMENDER}; {NO_CF_MODEL}: graph proximity alone)",
    )
    return parser


def cf_model_from_args(args: argparse.Namespace) -> str | None:
    """``--cf-model`` as ``AgentConfig.cf_model`` takes it."""
    return None if args.cf_model == NO_CF_MODEL else args.cf_model


def settings_from_args(args: argparse.Namespace) -> Settings:
    """Settings from the environment, with the command line's ``--data-dir`` / ``--cache-dir`` on top."""
    overrides: dict[str, object] = {}
    if getattr(args, "data_dir", None) is not None:
        overrides["data_dir"] = args.data_dir
    if getattr(args, "cache_dir", None) is not None:
        overrides["cache_dir"] = args.cache_dir
    return Settings.model_validate(overrides)


def bounded(low: int, high: int | None = None, what: str = "") -> Callable[[str], int]:
    """An argparse type: a whole number from ``low`` to ``high`` (no upper bound when None; ``what``
    names it in errors)."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
        if high is not None and not low <= value <= high:
            raise argparse.ArgumentTypeError(f"{what + ' ' if what else ''}{value} is outside {low}-{high}")
        if value < low:
            raise argparse.ArgumentTypeError(f"must be at least {low}, got {value}")
        return value

    return parse


# A TCP port, 0 for a free one.
port_number = bounded(0, 65535, "port")
# Counts: episodes, workers, limits.
positive_int = bounded(1)
