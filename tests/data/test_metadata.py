"""movie-metadata/id2info.json reading, imdb deduplication and the MovieLens links."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from crsagent.data.loaders.metadata import (
    MovieMetadata,
    load_movie_metadata,
    metadata_by_imdb,
    read_movielens_imdb_links,
)
from crsagent.errors import DataFileError


def entry(name: str, imdb_id: str = "", **fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "name": name,
        "genre": [],
        "plot": "",
        "director": [],
        "writer": [],
        "star": [],
        "imdb_id": imdb_id,
    }
    return base | fields


def write_json(path: Path, data: Any) -> Path:
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_loads_fields_and_tolerates_empty_values(tmp_path: Path) -> None:
    path = write_json(
        tmp_path / "id2info.json",
        {
            "100": entry(
                "Heat  (1995)",
                "tt0113277",
                genre=["crime", "drama"],
                plot=" A heist. ",
                director=["Michael Mann"],
                writer=["Michael Mann"],
                star=["Al Pacino", "Robert De Niro", " ", "Al Pacino"],
            ),
            "200": {"name": "Okja", "plot": None, "genre": None},
            "300": entry("Short id", "tt114092"),
        },
    )
    metadata = load_movie_metadata(path)
    assert list(metadata) == ["100", "200", "300"]
    heat = metadata["100"]
    assert heat.name == "Heat (1995)"
    assert heat.genres == ("crime", "drama")
    assert heat.plot == "A heist."
    assert heat.directors == ("Michael Mann",)
    assert heat.cast == ("Al Pacino", "Robert De Niro")
    assert metadata["200"] == MovieMetadata(name="Okja")
    assert metadata["300"].imdb_id == "tt0114092"


@pytest.mark.parametrize(
    ("bad_entry", "field"),
    [
        (entry("X", genre="drama"), "genre"),
        (entry("X", star=["A", 3]), "star"),
        (entry("X", plot=["a plot"]), "plot"),
        (entry("X", imdb_id="0114092"), "imdb_id"),
        (entry(""), "name"),
        ({"genre": []}, "name"),
    ],
)
def test_malformed_entry_names_the_id_and_the_field(tmp_path: Path, bad_entry: Any, field: str) -> None:
    path = write_json(tmp_path / "id2info.json", {"1": entry("Fine"), "4242": bad_entry})
    with pytest.raises(DataFileError, match=rf"movie '4242': {field}\b") as caught:
        load_movie_metadata(path)
    assert caught.value.path == path


def test_entry_that_is_not_an_object_is_an_error(tmp_path: Path) -> None:
    path = write_json(tmp_path / "id2info.json", {"7": ["not", "an", "object"]})
    with pytest.raises(DataFileError, match=r"movie '7': expected an object"):
        load_movie_metadata(path)


def test_missing_and_malformed_files(tmp_path: Path) -> None:
    missing = tmp_path / "nope.json"
    with pytest.raises(DataFileError, match=r"nope.json: file is missing"):
        load_movie_metadata(missing)
    broken = tmp_path / "broken.json"
    broken.write_text('{"1": {"name": "X"},\n oops}', encoding="utf-8")
    with pytest.raises(DataFileError, match=r"broken.json: malformed JSON at line 2"):
        load_movie_metadata(broken)
    listed = write_json(tmp_path / "list.json", [1, 2])
    with pytest.raises(DataFileError, match=r"expected a JSON object"):
        load_movie_metadata(listed)


def test_dedup_prefers_most_filled_entry_then_smallest_numeric_id() -> None:
    sparse = MovieMetadata(name="Back to the Future", imdb_id="tt0088763")
    full = MovieMetadata(
        name="Back to the Future (1985)", imdb_id="tt0088763", plot="Marty.", genres=("sci-fi",)
    )
    tie_a = MovieMetadata(name="Alice", imdb_id="tt1014759", plot="x")
    tie_b = MovieMetadata(name="Alice (2010)", imdb_id="tt1014759", plot="y")
    metadata = {
        "100043": sparse,
        "135485": full,
        "1000": tie_a,  # numerically larger than 900, lexicographically smaller
        "900": tie_b,
        "5": MovieMetadata(name="No imdb"),
    }
    chosen = metadata_by_imdb(metadata)
    assert chosen == {"tt0088763": ("135485", full), "tt1014759": ("900", tie_b)}
    # The choice does not depend on the input order.
    assert metadata_by_imdb(dict(reversed(metadata.items()))) == chosen


def test_filled_fields_counts_non_empty_fields() -> None:
    assert MovieMetadata(name="X").filled_fields == 1
    assert MovieMetadata(name="X", plot="p", cast=("A",), imdb_id="tt0000001").filled_fields == 4


def test_movielens_links_pad_imdb_ids(tmp_path: Path) -> None:
    links = tmp_path / "links.csv"
    links.write_text("movieId,imdbId,tmdbId\n1,0114709,862\n2,113497,\n3,,5\n4,10872600,9\n5,0114709,1\n")
    assert read_movielens_imdb_links(links) == {"tt0114709": "1", "tt0113497": "2", "tt10872600": "4"}


def test_movielens_links_errors(tmp_path: Path) -> None:
    with pytest.raises(DataFileError, match=r"links.csv: file is missing"):
        read_movielens_imdb_links(tmp_path / "links.csv")
    bad = tmp_path / "bad.csv"
    bad.write_text("movieId,imdbId,tmdbId\n1,0114709,862\n2,tt0113497,8844\n")
    with pytest.raises(DataFileError, match=r"bad.csv: line 3: column 'imdbId' is not a number"):
        read_movielens_imdb_links(bad)
    header = tmp_path / "header.csv"
    header.write_text("movieId,imdb\n1,0114709\n")
    with pytest.raises(DataFileError, match=r"header lacks column"):
        read_movielens_imdb_links(header)


@pytest.mark.real_data
def test_real_metadata_matches_movielens(real_data_dir: Path) -> None:
    metadata = load_movie_metadata(real_data_dir / "movie-metadata" / "id2info.json")
    links = read_movielens_imdb_links(real_data_dir / "ml-latest-small" / "links.csv")
    assert len(metadata) == 6583
    assert len(links) == 9742
    matched = [movie_id for movie_id, meta in metadata.items() if meta.imdb_id in links]
    assert len(matched) == 4231
    imdb_counts: dict[str, int] = {}
    for meta in metadata.values():
        imdb_counts[meta.imdb_id] = imdb_counts.get(meta.imdb_id, 0) + 1
    shared = {imdb_id for imdb_id, count in imdb_counts.items() if count > 1}
    assert len(shared) == 192
    assert len(shared & links.keys()) == 174
    deduplicated = metadata_by_imdb(metadata)
    movielens_ids = {links[imdb_id] for imdb_id in deduplicated if imdb_id in links}
    assert len(movielens_ids) == 4041
    # "Back to the Future" (100043) and "Back to the Future (1985)" (135485) are equally filled.
    assert deduplicated["tt0088763"][0] == "100043"
