"""The Chroma vector index: build, cache reuse, rebuild on change, search and metadata filters."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest

from crsagent.commands import index
from crsagent.data.catalog import Catalog
from crsagent.data.item import Item
from crsagent.errors import CrsAgentError
from crsagent.tools.embeddings import HashingEmbedder, embedder_from_fingerprint
from crsagent.tools.vector_index import (
    VectorIndex,
    VectorIndexConfig,
    VectorIndexError,
    attribute_key,
    chroma_client,
    collection_name,
    item_document,
    item_metadata,
    where_attributes,
)


def _item(item_id: str, title: str, year: int, genres: list[str], text: str = "") -> Item:
    return Item(id=item_id, title=title, year=year, attributes={"genre": genres}, text=text)


ITEMS = [
    _item(
        "1", "Matrix, The (1999)", 1999, ["Action", "Sci-Fi"], "A hacker learns that reality is a simulation."
    ),
    _item("2", "Toy Story (1995)", 1995, ["Animation", "Comedy"], "Toys come to life when people leave."),
    _item("3", "Heat (1995)", 1995, ["Action", "Crime"], "A detective hunts a crew of bank robbers."),
    _item("4", "Groundhog Day (1993)", 1993, ["Comedy", "Romance"], "A weatherman relives the same day."),
    _item("5", "Alien (1979)", 1979, ["Horror", "Sci-Fi"], "A creature stalks the crew of a spaceship."),
    _item("6", "Airplane! (1980)", 1980, ["Comedy"], "A pilot with a drinking problem lands a plane."),
]


def _catalog(items: list[Item] = ITEMS, name: str = "tiny") -> Catalog:
    return Catalog(items, name=name)


def _open(catalog: Catalog, cache: Path, **options: object) -> VectorIndex:
    embedder = options.pop("embedder", HashingEmbedder(dimension=256))
    assert isinstance(embedder, HashingEmbedder)
    return VectorIndex.open(catalog, embedder, cache_dir=cache, **options)  # pyright: ignore[reportArgumentType]


def _collections(cache: Path) -> list[str]:
    return sorted(collection.name for collection in chroma_client(cache).list_collections())


def test_builds_once_then_reuses_the_cached_collection(tmp_path: Path) -> None:
    catalog = _catalog()
    built = _open(catalog, tmp_path)
    assert built.build_seconds is not None
    assert len(built) == len(catalog)
    reopened = _open(_catalog(), tmp_path)  # an equal catalog, another object: same content hash
    assert reopened.build_seconds is None
    assert reopened.name == built.name
    assert reopened.search("Toy Story", 1).ids(reopened.catalog) == ["2"]


def test_a_changed_catalog_is_rebuilt_and_the_stale_collection_deleted(tmp_path: Path) -> None:
    first = _open(_catalog(), tmp_path)
    changed = _catalog([*ITEMS[:-1], _item("6", "Airplane II: The Sequel (1982)", 1982, ["Comedy"])])
    second = _open(changed, tmp_path)
    assert second.build_seconds is not None
    assert second.name != first.name
    assert _collections(tmp_path) == [second.name]
    assert second.search("Airplane II The Sequel", 1).ids(changed) == ["6"]


def test_another_embedder_or_style_gets_its_own_collection(tmp_path: Path) -> None:
    catalog = _catalog()
    small = _open(catalog, tmp_path, embedder=HashingEmbedder(dimension=64))
    large = _open(catalog, tmp_path, embedder=HashingEmbedder(dimension=128))
    titles = _open(catalog, tmp_path, config=VectorIndexConfig(style="title"))
    assert len({small.name, large.name, titles.name}) == 3
    assert len(_collections(tmp_path)) == 3


def test_an_incomplete_collection_is_rebuilt(tmp_path: Path) -> None:
    built = _open(_catalog(), tmp_path)
    built.collection.delete(ids=["3"])  # as if a build had been interrupted
    reopened = _open(_catalog(), tmp_path)
    assert reopened.build_seconds is not None
    assert len(reopened) == len(ITEMS)


def test_rebuild_forces_a_new_build(tmp_path: Path) -> None:
    _open(_catalog(), tmp_path)
    assert _open(_catalog(), tmp_path, rebuild=True).build_seconds is not None


def test_small_batches_add_every_item(tmp_path: Path) -> None:
    index = _open(_catalog(), tmp_path, config=VectorIndexConfig(batch_size=4))
    assert len(index) == len(ITEMS)
    assert index.matrix().shape == (len(ITEMS), 256)


def test_search_ranks_by_cosine_similarity(tmp_path: Path) -> None:
    index = _open(_catalog(), tmp_path)
    hits = index.search("Groundhog Day", k=3)
    assert hits.ids(index.catalog)[0] == "4"
    assert hits.scores is not None
    scores = hits.scores.tolist()
    assert scores == sorted(scores, reverse=True)
    assert -1.0 <= scores[-1] <= scores[0] <= 1.0 + 1e-6
    assert len(index.search("anything", k=100)) == len(ITEMS)  # k is clamped to the catalog


def test_search_many_matches_search(tmp_path: Path) -> None:
    index = _open(_catalog(), tmp_path)
    many = index.search_many(["Alien", "Heat"], k=2)
    assert [hits.ids(index.catalog)[0] for hits in many] == ["5", "3"]
    assert index.search_many([], k=2) == []


def test_metadata_filters_on_attribute_flags_and_years(tmp_path: Path) -> None:
    index = _open(_catalog(), tmp_path)
    comedies = set(index.search("movie", 10, where_attributes({"genre": ["Comedy"]})).ids(index.catalog))
    assert comedies == {"2", "4", "6"}
    both = where_attributes({"genre": ["Action", "Sci-Fi"]})
    assert index.search("movie", 10, both).ids(index.catalog) == ["1"]
    old = where_attributes(year_max=1985)
    assert set(index.search("movie", 10, old).ids(index.catalog)) == {"5", "6"}
    nineties_comedy = where_attributes({"genre": ["Comedy"]}, year_min=1990, year_max=1999)
    assert set(index.search("movie", 10, nineties_comedy).ids(index.catalog)) == {"2", "4"}
    assert len(index.search("movie", 10, where_attributes({"genre": ["Western"]}))) == 0


def test_where_attributes_shapes() -> None:
    assert where_attributes() is None
    assert where_attributes({"genre": ["Comedy"]}) == {"genre=Comedy": True}
    assert where_attributes({"genre": ["Comedy"]}, year_min=1990) == {
        "$and": [{"genre=Comedy": True}, {"year": {"$gte": 1990}}]
    }


def test_documents_and_metadata() -> None:
    matrix = ITEMS[0]
    full = item_document(matrix, "full")
    assert full.startswith("The Matrix (1999)")
    assert "Genre: Action, Sci-Fi." in full and "simulation" in full
    assert item_document(matrix, "title") == "The Matrix (1999)"
    seven = Item(id="7", title="Seven (a.k.a. Se7en) (1995)", year=1995)
    assert item_document(seven, "title") == "Seven / Se7en (1995)"
    metadata = item_metadata(matrix)
    assert metadata["year"] == 1999
    assert metadata[attribute_key("genre", "Sci-Fi")] is True
    assert "genre=Comedy" not in metadata


def test_collection_names_are_valid_for_chroma() -> None:
    catalog = _catalog(name="My Catalog!! with a very long and strange name / ünïcode")
    name = collection_name(catalog, HashingEmbedder(), "full")
    assert 3 <= len(name) <= 63
    assert name[0].isalnum() and name[-1].isalnum()
    assert catalog.content_hash[:16] in name


def test_bad_input_is_refused_clearly(tmp_path: Path) -> None:
    index = _open(_catalog(), tmp_path)
    with pytest.raises(VectorIndexError, match="k must be >= 1"):
        index.search("Heat", k=0)
    with pytest.raises(VectorIndexError, match="empty text"):
        index.search("  ")
    with pytest.raises(VectorIndexError, match="bad filter"):
        index.search("Heat", where={"genre=Comedy": True, "year": 1995})
    with pytest.raises(VectorIndexError, match="empty"):
        _open(Catalog([], name="nothing"), tmp_path)


# --- the `crsagent index` command group ---------------------------------------------------------


def _run_index_command(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="crsagent")
    index.register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return args.handler(args)


def test_index_build_then_query_with_filters(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    common = ["--dataset", "demo", "--embedder", "hashing", "--cache-dir", str(tmp_path)]
    assert _run_index_command(["index", "build", *common, "--quiet"]) == 0
    assert "163 items, built in" in capsys.readouterr().out
    assert _run_index_command(["index", "build", *common, "--quiet"]) == 0
    assert "already built" in capsys.readouterr().out
    argv = ["index", "query", "space adventure", *common, "-k", "3", "--where", "genre=Sci-Fi", "--json"]
    assert _run_index_command(argv) == 0
    rows = json.loads(capsys.readouterr().out)
    assert len(rows) == 3 and {"item_id", "score", "title"} <= rows[0].keys()


def test_index_query_rejects_a_malformed_filter(tmp_path: Path) -> None:
    argv = ["index", "query", "x", "--dataset", "demo", "--embedder", "hashing", "--where", "genre"]
    with pytest.raises(CrsAgentError, match="TYPE=VALUE"):
        _run_index_command([*argv, "--cache-dir", str(tmp_path)])


def test_index_ground_prints_matches(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["index", "ground", "The Godfather", "Zzyzx Qwerty", "--dataset", "demo", "--no-embedding"]
    assert _run_index_command([*argv, "--cache-dir", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "The Godfather -> demo-" in out
    assert "Zzyzx Qwerty -> not in catalog" in out


def test_index_query_uses_the_embedder_the_index_was_built_with(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    common = ["--dataset", "demo", "--cache-dir", str(tmp_path)]
    assert _run_index_command(["index", "build", *common, "--embedder", "hashing"]) == 0
    progress = capsys.readouterr().err.splitlines()
    assert progress and progress[-1] == "embedded 163 / 163 items"  # whole lines, no carriage returns
    before = _collections(tmp_path)
    # --embedder auto (the default) would pick MiniLM when the ml extra is there: the query must not.
    assert _run_index_command(["index", "query", "space adventure", *common, "-k", "2", "--json"]) == 0
    assert len(json.loads(capsys.readouterr().out)) == 2
    assert _collections(tmp_path) == before  # nothing new was embedded


def test_index_query_without_an_index_says_how_to_build_one(tmp_path: Path) -> None:
    argv = ["index", "query", "x", "--dataset", "demo", "--cache-dir", str(tmp_path)]
    with pytest.raises(
        CrsAgentError, match=r"no full vector index of 'demo'.*crsagent index build --dataset demo"
    ):
        _run_index_command(argv)
    assert _collections(tmp_path) == []


def test_index_query_with_another_embedder_than_the_index_fails_clearly(tmp_path: Path) -> None:
    common = ["--dataset", "demo", "--cache-dir", str(tmp_path)]
    assert _run_index_command(["index", "build", *common, "--embedder", "hashing", "--quiet"]) == 0
    with pytest.raises(CrsAgentError, match="built with hash512n3, not minilm-l6-v2"):
        _run_index_command(["index", "query", "x", *common, "--embedder", "minilm"])


def test_embedders_come_back_from_their_fingerprints() -> None:
    hashing = HashingEmbedder(dimension=128, ngram=4)
    assert embedder_from_fingerprint(hashing.fingerprint).fingerprint == hashing.fingerprint
    with pytest.raises(ValueError, match="unknown embedder fingerprint"):
        embedder_from_fingerprint("word2vec")
