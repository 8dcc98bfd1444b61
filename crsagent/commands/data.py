"""``crsagent data``: list, inspect, download and import datasets."""

from __future__ import annotations

import argparse
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
    from crsagent.data.importer import list_imported

    for folder in list_imported(settings):
        print(f"{folder.name:<18} imported  [{folder}]")
    return 0


def _data_download(args: argparse.Namespace) -> int:
    from crsagent.data.download import download_dataset

    settings = settings_from_args(args)
    destination = args.dest or settings.datasets_cache

    folder = download_dataset(
        args.name, destination, url=args.url, force=args.force, progressbar=not args.quiet
    )
    print(f"{args.name}: verified and ready in {folder}")
    return 0


def _data_import(args: argparse.Namespace) -> int:
    from crsagent.data.importer import ImportOptions, import_catalog
    from crsagent.data.importer_rows import InteractionColumns, ItemColumns

    attributes = None
    if args.attributes is not None:
        attributes = tuple(name.strip() for name in args.attributes.split(",") if name.strip())
    options = ImportOptions(
        items=ItemColumns(
            id=args.id_column,
            title=args.title_column,
            year=args.year_column,
            text=args.text_column,
            attributes=attributes,
            separator=args.separator,
        ),
        interactions=InteractionColumns(
            user=args.user_column,
            item=args.item_column,
            timestamp=args.timestamp_column,
            rating=args.rating_column,
        ),
        items_format=args.format,
        interactions_format=args.interactions_format,
        positive_threshold=args.positive_threshold,
        description=args.description or "",
    )
    summary = import_catalog(
        args.items,
        args.name,
        interactions_path=args.interactions,
        options=options,
        settings=settings_from_args(args),
        replace=args.replace,
    )
    types = ", ".join(summary.attribute_types) or "none"
    print(f"{summary.name}: {summary.items} items (attributes: {types}), ", end="")
    print(f"{summary.interactions} interactions of {summary.users} users, stored in {summary.folder}")
    print(f"use it by name: crsagent data info {summary.name}; crsagent chat --dataset {summary.name}")
    return 0


def register(commands: argparse._SubParsersAction) -> None:  # pyright: ignore[reportPrivateUsage]
    """Add ``data`` and its actions to the top-level parser."""
    data = commands.add_parser("data", help="datasets: list, info, download, import")
    data_commands = data.add_subparsers(dest="data_command", required=True, metavar="ACTION")

    info = with_data_options(data_commands.add_parser("info", help="print a dataset's counts"))
    info.add_argument("dataset", nargs="?", default="default", help="name (ml-latest-small, ...) or folder")
    info.add_argument("--json", action="store_true", help="print JSON instead of text")
    info.add_argument("--no-cache", action="store_true", help="parse the files again, ignore the cache")
    info.set_defaults(handler=_data_info)

    listing = with_data_options(data_commands.add_parser("list", help="known datasets and where they are"))
    listing.set_defaults(handler=_data_list)

    download = with_data_options(data_commands.add_parser("download", help="fetch an official archive"))
    download.add_argument("name", help="dataset name, e.g. ml-latest-small")
    download.add_argument("--url", help="a mirror of the official archive")
    download.add_argument("--dest", type=Path, help="target folder (default: <cache dir>/datasets)")
    download.add_argument("--force", action="store_true", help="download again even if present")
    download.add_argument("--quiet", action="store_true", help="no progress output")
    download.set_defaults(handler=_data_download)

    imports = with_data_options(
        data_commands.add_parser("import", help="your own catalog (CSV, JSONL or Parquet) as a named dataset")
    )
    imports.add_argument(
        "items", type=Path, help="items file: id, title, optional year / text, attribute columns"
    )
    imports.add_argument("--name", required=True, help="dataset name to use it by (a-z, 0-9, . _ -)")
    imports.add_argument("--interactions", type=Path, help="user, item[, timestamp][, rating] rows")
    imports.add_argument(
        "--format", choices=("csv", "jsonl", "parquet"), help="items format (default: suffix)"
    )
    imports.add_argument("--interactions-format", choices=("csv", "jsonl", "parquet"))
    imports.add_argument("--id-column", default="id")
    imports.add_argument("--title-column", default="title")
    imports.add_argument("--year-column", default="year")
    imports.add_argument("--text-column", default="text")
    imports.add_argument(
        "--attributes", help="comma-separated attribute columns (default: every other column)"
    )
    imports.add_argument("--separator", default="|", help="between the values of one cell (default: |)")
    imports.add_argument("--user-column", default="user")
    imports.add_argument("--item-column", default="item")
    imports.add_argument("--timestamp-column", default="timestamp")
    imports.add_argument("--rating-column", default="rating")
    imports.add_argument("--positive-threshold", type=float, help="a rating >= this is a positive")
    imports.add_argument("--description", help="shown by `crsagent data info`")
    imports.add_argument("--replace", action="store_true", help="replace a dataset imported under this name")
    imports.set_defaults(handler=_data_import)
