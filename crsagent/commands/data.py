"""``crsagent data``: list, inspect and download datasets."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from crsagent.commands.common import settings_from_args, with_data_options
from crsagent.errors import CrsAgentError


def _data_info(args: argparse.Namespace) -> int:
    from crsagent.data.info import DatasetInfo
    from crsagent.data.registry import load_dataset

    dataset = load_dataset(args.dataset, settings=settings_from_args(args), use_cache=not args.no_cache)
    info = DatasetInfo.of(dataset)
    print(info.model_dump_json(indent=2) if args.json else info.render())
    return 0


def _data_list(args: argparse.Namespace) -> int:
    from crsagent.data.registry import KNOWN_DATASETS, resolve_folder

    settings = settings_from_args(args)
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

    settings = settings_from_args(args)
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


def register(commands: argparse._SubParsersAction) -> None:  # pyright: ignore[reportPrivateUsage]
    """Add ``data`` and its actions to the top-level parser."""
    data = commands.add_parser("data", help="datasets: list, info, download")
    data_commands = data.add_subparsers(dest="data_command", required=True, metavar="ACTION")

    info = data_commands.add_parser("info", help="print a dataset's counts")
    with_data_options(info)
    info.add_argument("dataset", nargs="?", default="default", help="name (ml-latest-small, ...) or folder")
    info.add_argument("--json", action="store_true", help="print JSON instead of text")
    info.add_argument("--no-cache", action="store_true", help="parse the files again, ignore the cache")
    info.set_defaults(handler=_data_info)

    listing = data_commands.add_parser("list", help="known datasets and where they are")
    with_data_options(listing)
    listing.set_defaults(handler=_data_list)

    download = data_commands.add_parser("download", help="fetch an official archive")
    with_data_options(download)
    download.add_argument("name", help="dataset name, e.g. ml-latest-small")
    download.add_argument("--url", help="a mirror of the official archive")
    download.add_argument("--dest", type=Path, help="target folder (default: <cache dir>/datasets)")
    download.add_argument("--force", action="store_true", help="download again even if present")
    download.add_argument("--quiet", action="store_true", help="no progress output")
    download.set_defaults(handler=_data_download)
