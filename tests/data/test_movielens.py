from __future__ import annotations

from pathlib import Path

import pytest

from crsagent.data.dataset import Dataset
from crsagent.data.loaders.movielens import MovieLensOptions, load_movielens
from crsagent.errors import DataFileError

MOVIES = """movieId,title,genres
1,Toy Story (1995),Adventure|Animation|Children|Comedy|Fantasy
2,"Matrix, The (1999)",Action|Sci-Fi|Thriller
3,Moonlight,(no genres listed)
"""
RATINGS = """userId,movieId,rating,timestamp
10,1,5.0,100
10,2,4.0,200
10,3,4.5,300
2,1,2.0,50
2,2,4.0,60
"""
TAGS = """userId,movieId,tag,timestamp
10,2,Cyberpunk,1
2,2,cyberpunk ,2
2,1,pixar,3
"""
LINKS = """movieId,imdbId,tmdbId
1,0114709,862
2,0133093,603
3,4975722,376867
"""
METADATA = """{"900": {"name": "The Matrix (1999)", "genre": ["action"], "plot": "Neo wakes up.",
  "director": ["Lana Wachowski", "Lilly Wachowski"], "writer": ["Lana Wachowski"],
  "star": ["Keanu Reeves"], "imdb_id": "tt0133093"}}"""


def write_movielens(folder: Path, **overrides: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    files = {"movies.csv": MOVIES, "ratings.csv": RATINGS, "tags.csv": TAGS, "links.csv": LINKS}
    for name, text in {**files, **overrides}.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def test_tiny_movielens(tmp_path: Path) -> None:
    folder = write_movielens(tmp_path / "ml")
    metadata = tmp_path / "id2info.json"
    metadata.write_text(METADATA, encoding="utf-8")
    dataset = load_movielens(folder, metadata_file=metadata, options=MovieLensOptions(min_tag_users=2))
    catalog = dataset.catalog
    matrix = catalog.get("2")
    assert matrix.year == 1999
    assert matrix.attributes["genre"] == ["Action", "Sci-Fi", "Thriller"]
    assert matrix.attributes["decade"] == ["1990s"]
    assert matrix.attributes["tag"] == ["cyberpunk"]  # two distinct users, case and spaces folded
    assert matrix.attributes["director"] == ["Lana Wachowski", "Lilly Wachowski"]
    assert matrix.attributes["cast"] == ["Keanu Reeves"]
    assert matrix.text == "Neo wakes up."
    assert "tag" not in catalog.get("1").attributes  # "pixar": one user only
    assert catalog.get("3").attributes == {"genre": []}  # no year, no genres listed
    # Users ordered by numeric id: "2" before "10".
    assert dataset.user_ids == ("2", "10")
    assert len(dataset.interactions) == 5
    assert len(dataset.positives) == 4
    # User 10 has three positives: last (movie 3, t=300) to test, movie 2 to valid, movie 1 to train.
    assert dataset.split("test").pairs() == [(1, 2)]
    assert dataset.split("valid").pairs() == [(1, 1)]
    assert sorted(dataset.split("train").pairs()) == [(0, 1), (1, 0)]
    assert catalog.get("1").popularity == 1.0 and catalog.get("3").popularity == 0.0


def test_positive_threshold_is_configurable(tmp_path: Path) -> None:
    dataset = load_movielens(
        write_movielens(tmp_path / "ml"), options=MovieLensOptions(positive_threshold=4.5)
    )
    assert len(dataset.positives) == 2


@pytest.mark.parametrize(
    ("file", "text", "message"),
    [
        ("ratings.csv", "userId,movieId,rating\n1,1,4\n", "ratings.csv: header lacks column(s) timestamp"),
        ("ratings.csv", "userId,movieId,rating,timestamp\n1,1,four,3\n", "line 2: column 'rating'"),
        ("ratings.csv", "userId,movieId,rating,timestamp\n1,99,4,3\n", "movieId '99' is not in movies.csv"),
        ("ratings.csv", "userId,movieId,rating,timestamp\n1,1,9,3\n", "rating 9.0 is outside 0-5"),
        ("movies.csv", "movieId,title,genres\nx,A (1990),Drama\n", "movies.csv: line 2: column 'movieId'"),
        ("movies.csv", "movieId,title,genres\n1,A,Drama\n1,B,Drama\n", "duplicate movieId 1"),
        ("tags.csv", "userId,movieId,tag,timestamp\n1,1,a,b,c\n", "tags.csv: line 2: wrong number of fields"),
    ],
)
def test_malformed_files_name_the_file_and_problem(
    tmp_path: Path, file: str, text: str, message: str
) -> None:
    folder = write_movielens(tmp_path / "ml", **{file: text})
    with pytest.raises(DataFileError) as caught:
        load_movielens(folder)
    assert message in str(caught.value)
    assert caught.value.path.name == file


def test_missing_file_is_named(tmp_path: Path) -> None:
    folder = write_movielens(tmp_path / "ml")
    (folder / "tags.csv").unlink()
    with pytest.raises(DataFileError, match=r"tags\.csv: file is missing"):
        load_movielens(folder)


@pytest.mark.real_data
def test_ml_latest_small_counts_match_sources(movielens: Dataset) -> None:
    # Counts from datasets/SOURCES.md.
    assert len(movielens.catalog) == 9742
    assert len(movielens.user_ids) == 610
    assert len(movielens.interactions) == 100836
    assert len(movielens.positives) == 48580
    assert movielens.positives.n_users == 609
    assert movielens.notes["movies_with_metadata"] == "4041"
    splits = movielens.splits
    assert sum(len(s) for s in splits.values()) == 48580
    assert len(splits["test"]) == len(splits["valid"]) == splits["test"].n_users
    # Every valid / test user keeps train positives: the split never empties a history.
    train_users = set(splits["train"].users.tolist())
    assert set(splits["test"].users.tolist()) <= train_users


@pytest.mark.real_data
def test_ml_latest_small_items_are_joined_with_metadata(movielens: Dataset) -> None:
    heat = movielens.catalog.get("6")
    assert heat.title == "Heat (1995)"
    assert heat.attributes["director"] == ["Michael Mann"]
    assert heat.attributes["decade"] == ["1990s"]
    assert "Crime" in heat.attributes["genre"]
    assert heat.text
    assert "tag" in movielens.catalog.vocabulary
    assert all(item.popularity >= 0 for item in movielens.catalog)


@pytest.mark.real_data
def test_split_is_temporal_leave_last_out(movielens: Dataset) -> None:
    positives = movielens.positives
    assert positives.timestamps is not None
    test = movielens.splits["test"]
    assert test.timestamps is not None
    last_time = {}
    for user, stamp in zip(positives.users.tolist(), positives.timestamps.tolist(), strict=True):
        last_time[user] = max(stamp, last_time.get(user, stamp))
    for user, stamp in zip(test.users.tolist(), test.timestamps.tolist(), strict=True):
        assert stamp == last_time[user]
