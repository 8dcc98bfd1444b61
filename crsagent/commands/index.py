"""``crsagent index``: build the vector index of a catalog, search it, ground names to it."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from crsagent.commands.common import settings_from_args, with_data_options
from crsagent.errors import CrsAgentError

if TYPE_CHECKING:
    from crsagent.data.dataset import Dataset
    from crsagent.tools.embeddings import CatalogEmbedder
    from crsagent.tools.vector_index import VectorIndex

EMBEDDER_CHOICES = ("auto", "minilm", "hashing")


def _with_index_options(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    with_data_options(parser)
    parser.add_argument(
        "--dataset",
        default="default",
        help="dataset name (ml-latest-small, ...) or folder (default: the default)",
    )
    parser.add_argument(
        "--embedder",
        choices=EMBEDDER_CHOICES,
        default="auto",
        help="auto: MiniLM when the 'ml' extra is installed, else hashing (query: the index's own)",
    )
    return parser


def _parse_where(values: list[str]) -> dict[str, list[str]]:
    """``["genre=Comedy", "genre=Drama"]`` -> ``{"genre": ["Comedy", "Drama"]}``."""
    attributes: dict[str, list[str]] = {}
    for value in values:
        attribute_type, separator, attribute_value = value.partition("=")
        if not separator or not attribute_type.strip() or not attribute_value.strip():
            raise CrsAgentError(f"--where expects TYPE=VALUE (e.g. genre=Comedy), got {value!r}")
        attributes.setdefault(attribute_type.strip(), []).append(attribute_value.strip())
    return attributes


def _progress(done: int, total: int) -> None:
    # Whole lines (a log or a pipe shows them as they come), one per batch of items.
    print(f"embedded {done} / {total} items", file=sys.stderr, flush=True)


def _built_embedder(
    args: argparse.Namespace, dataset: Dataset, style: str, cache_dir: Path
) -> CatalogEmbedder:
    """The embedder the stored index was built with: a query embedded any other way would compare
    vectors of different spaces (or silently build a second index). No index: say how to build one."""
    from crsagent.tools.embeddings import embedder_from_fingerprint, make_embedder
    from crsagent.tools.vector_index import built_fingerprints

    built = built_fingerprints(dataset.catalog, style, cache_dir)  # pyright: ignore[reportArgumentType]
    build_command = f"crsagent index build --dataset {args.dataset} --style {style}"
    if not built:
        raise CrsAgentError(
            f"no {style} vector index of {dataset.name!r} under {cache_dir} yet: build it first with "
            f"`{build_command} --embedder hashing` (or minilm)"
        )
    if args.embedder == "auto":
        # Two indexes (both embedders built): the better one, MiniLM, sorts first.
        return embedder_from_fingerprint(
            min(built, key=lambda fingerprint: not fingerprint.startswith("minilm"))
        )
    wanted = make_embedder(args.embedder)
    if wanted.fingerprint not in built:
        raise CrsAgentError(
            f"the {style} index of {dataset.name!r} is built with {', '.join(built)}, not {wanted.fingerprint}: "
            f"drop --embedder (the index's own is used) or run `{build_command} --embedder {args.embedder}`"
        )
    return wanted


def _open_index(
    args: argparse.Namespace, *, style: str, rebuild: bool = False, build: bool = True
) -> tuple[Dataset, VectorIndex]:
    """The index of ``args.dataset``: built when ``build``, else only the one already built."""
    from crsagent.data.registry import load_dataset
    from crsagent.tools.embeddings import make_embedder
    from crsagent.tools.vector_index import VectorIndex, VectorIndexConfig

    settings = settings_from_args(args)
    dataset = load_dataset(args.dataset, settings=settings)
    if build:
        embedder = make_embedder(args.embedder)
    else:
        embedder = _built_embedder(args, dataset, style, settings.cache_dir)
    index = VectorIndex.open(
        dataset.catalog,
        embedder,
        cache_dir=settings.cache_dir,
        config=VectorIndexConfig(style=style),  # pyright: ignore[reportArgumentType]
        rebuild=rebuild,
        progress=None if getattr(args, "quiet", False) else _progress,
    )
    return dataset, index


def _index_build(args: argparse.Namespace) -> int:
    _, index = _open_index(args, style=args.style, rebuild=args.rebuild)
    how = f"built in {index.build_seconds:.1f} s" if index.build_seconds is not None else "already built"
    print(f"{index.name}: {len(index)} items, {how} ({index.embedder.fingerprint}, {args.style} documents)")
    return 0


def _index_query(args: argparse.Namespace) -> int:
    from crsagent.tools.vector_index import where_attributes

    where = where_attributes(_parse_where(args.where), year_min=args.year_min, year_max=args.year_max)
    dataset, index = _open_index(args, style=args.style, build=False)
    hits = index.search(args.text, k=args.k, where=where)
    catalog = dataset.catalog
    scores = hits.to_lists()[1] or []
    rows = [
        {"item_id": catalog.at(index).id, "score": round(score, 4), "title": catalog.at(index).title}
        for index, score in zip(hits.indices.tolist(), scores, strict=True)
    ]
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
    else:
        for row in rows:
            print(f"{row['item_id']:>8}  {row['score']:.3f}  {row['title']}")
    return 0


def _index_ground(args: argparse.Namespace) -> int:
    from crsagent.data.registry import load_dataset
    from crsagent.tools.grounding import Grounder, GrounderConfig

    settings = settings_from_args(args)
    dataset = load_dataset(args.dataset, settings=settings)
    config = GrounderConfig(use_embedding=False) if args.no_embedding else None
    grounder = Grounder.open(dataset.catalog, settings=settings, embedder=args.embedder, config=config)
    results = grounder.ground_many(args.names, k=args.k)
    if args.json:
        print(json.dumps([result.model_dump() for result in results], ensure_ascii=False, indent=2))
        return 0
    for result in results:
        verdict = f"-> {result.item_id}" if result.in_catalog else "-> not in catalog"
        print(f"{result.query} {verdict}")
        for match in result.matches:
            print(f"  {match.item_id:>8}  {match.score:.3f}  {match.method:<9}  {match.title}")
    return 0


def register(commands: argparse._SubParsersAction) -> None:  # pyright: ignore[reportPrivateUsage]
    """Add ``index`` and its actions to the top-level parser."""
    index = commands.add_parser("index", help="vector index of a catalog: build, query, ground names")
    actions = index.add_subparsers(dest="index_command", required=True, metavar="ACTION")

    build = _with_index_options(actions.add_parser("build", help="build (or reuse) the vector index"))
    build.add_argument("--style", choices=("full", "title"), default="full", help="documents: full or titles")
    build.add_argument("--rebuild", action="store_true", help="build again even if cached")
    build.add_argument("--quiet", action="store_true", help="no progress output")
    build.set_defaults(handler=_index_build)

    query = _with_index_options(actions.add_parser("query", help="nearest items to a free-text wish"))
    query.add_argument("text", help="what to search for, e.g. 'a heist that goes wrong'")
    query.add_argument("-k", type=int, default=10, help="how many items (default 10)")
    query.add_argument(
        "--where", action="append", default=[], metavar="TYPE=VALUE", help="attribute filter, repeatable"
    )
    query.add_argument("--year-min", type=int, help="earliest release year")
    query.add_argument("--year-max", type=int, help="latest release year")
    query.add_argument("--style", choices=("full", "title"), default="full", help="which index to search")
    query.add_argument("--json", action="store_true", help="print JSON")
    query.set_defaults(handler=_index_query)

    ground = _with_index_options(actions.add_parser("ground", help="ground names to catalog ids"))
    ground.add_argument("names", nargs="+", help="names to ground, e.g. 'Seven (1995)'")
    ground.add_argument("-k", type=int, default=5, help="matches per name (default 5)")
    ground.add_argument("--no-embedding", action="store_true", help="lexical signals only (no vectors)")
    ground.add_argument("--json", action="store_true", help="print JSON")
    ground.set_defaults(handler=_index_ground)
