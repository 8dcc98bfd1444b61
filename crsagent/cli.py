"""The ``crsagent`` command line. Sub-commands are added as their features land."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from pydantic import ValidationError

from crsagent.config import Settings
from crsagent.errors import CrsAgentError


def _settings(args: argparse.Namespace) -> Settings:
    overrides: dict[str, object] = {}
    if getattr(args, "data_dir", None) is not None:
        overrides["data_dir"] = args.data_dir
    if getattr(args, "cache_dir", None) is not None:
        overrides["cache_dir"] = args.cache_dir
    return Settings(**overrides)  # pyright: ignore[reportArgumentType]


def _data_info(args: argparse.Namespace) -> int:
    from crsagent.data.info import DatasetInfo
    from crsagent.data.registry import load_dataset

    dataset = load_dataset(args.dataset, settings=_settings(args), use_cache=not args.no_cache)
    info = DatasetInfo.of(dataset)
    print(info.model_dump_json(indent=2) if args.json else info.render())
    return 0


def _data_list(args: argparse.Namespace) -> int:
    from crsagent.data.registry import KNOWN_DATASETS, resolve_folder

    settings = _settings(args)
    for name, description in KNOWN_DATASETS.items():
        if name == "demo":
            where = "built in"
        else:
            try:
                where = str(resolve_folder(name, settings))
            except CrsAgentError:
                where = "not found"
        print(f"{name:<18} {description}  [{where}]")
    return 0


def _data_download(args: argparse.Namespace) -> int:
    from crsagent.data.download import download_dataset

    settings = _settings(args)
    destination = args.dest or settings.datasets_cache

    def progress(done: int, total: int | None) -> None:
        if total:
            print(f"\r{done / 1e6:.1f} / {total / 1e6:.1f} MB", end="", file=sys.stderr, flush=True)

    folder = download_dataset(
        args.name, destination, url=args.url, force=args.force, progress=None if args.quiet else progress
    )
    if not args.quiet:
        print(file=sys.stderr)
    print(f"{args.name}: verified and ready in {folder}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (also used by the docs and the tests)."""
    parser = argparse.ArgumentParser(prog="crsagent", description="A conversational recommender agent.")
    parser.add_argument("-v", "--verbose", action="store_true", help="log at INFO level")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    data = commands.add_parser("data", help="datasets: list, info, download")
    data_commands = data.add_subparsers(dest="data_command", required=True, metavar="ACTION")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--data-dir", type=Path, help="folder holding datasets (default: $CRSAGENT_DATA_DIR)")
    common.add_argument("--cache-dir", type=Path, help="cache folder (default: $CRSAGENT_CACHE_DIR)")

    info = data_commands.add_parser("info", parents=[common], help="print a dataset's counts")
    info.add_argument("dataset", nargs="?", default="default", help="name (ml-latest-small, ...) or folder")
    info.add_argument("--json", action="store_true", help="print JSON instead of text")
    info.add_argument("--no-cache", action="store_true", help="parse the files again, ignore the cache")
    info.set_defaults(handler=_data_info)

    listing = data_commands.add_parser("list", parents=[common], help="known datasets and where they are")
    listing.set_defaults(handler=_data_list)

    download = data_commands.add_parser("download", parents=[common], help="fetch an official archive")
    download.add_argument("name", help="dataset name, e.g. ml-latest-small")
    download.add_argument("--url", help="a mirror of the official archive")
    download.add_argument("--dest", type=Path, help="target folder (default: <cache dir>/datasets)")
    download.add_argument("--force", action="store_true", help="download again even if present")
    download.add_argument("--quiet", action="store_true", help="no progress output")
    download.set_defaults(handler=_data_download)
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
