"""Data files cut short or out of step with each other fail loudly, naming the file and the line.

A copy that stopped early used to load as a smaller catalog: each case writes such a file into a
temporary folder and expects a ``DataFileError`` instead.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from crsagent.data.loaders.movielens import MovieLensOptions, load_movielens
from crsagent.data.loaders.redial import load_redial
from crsagent.data.loaders.scpr import load_scpr
from crsagent.errors import DataFileError
from tests.builders import write_scpr_folder
from tests.data.test_movielens import LINKS, MOVIES, write_movielens
from tests.data.test_redial import write_redial

# Movie 4 is neither rated nor tagged: losing it is visible only against links.csv.
MOVIES_4 = MOVIES + "4,Unrated Film (2001),Drama\n"
LINKS_4 = LINKS + "4,0000004,4\n"


def _load_error(folder: Path, **options: bool) -> DataFileError:
    with pytest.raises(DataFileError) as caught:
        load_movielens(folder, options=MovieLensOptions(**options))
    return caught.value


def test_a_movies_file_cut_at_a_line_end_is_caught_by_links(tmp_path: Path) -> None:
    folder = write_movielens(tmp_path / "ml", **{"movies.csv": MOVIES, "links.csv": LINKS_4})
    error = _load_error(folder)
    assert error.path.name == "movies.csv"
    assert "line 4 is the last of 3 movies but links.csv lists 4" in error.problem
    assert "movieId 4 (links.csv line 5)" in error.problem and "truncated" in error.problem


def test_a_links_file_cut_short_is_named(tmp_path: Path) -> None:
    folder = write_movielens(tmp_path / "ml", **{"movies.csv": MOVIES_4, "links.csv": LINKS})
    error = _load_error(folder)
    assert error.path.name == "links.csv"
    assert "movieId 4 (movies.csv line 5) has no link" in error.problem


def test_a_filtered_movies_file_loads_when_the_links_check_is_off(tmp_path: Path) -> None:
    folder = write_movielens(tmp_path / "ml", **{"movies.csv": MOVIES, "links.csv": LINKS_4})
    dataset = load_movielens(folder, options=MovieLensOptions(check_links=False))
    assert len(dataset.catalog) == 3


def test_without_links_the_ratings_still_catch_a_lost_movie(tmp_path: Path) -> None:
    folder = write_movielens(tmp_path / "ml", **{"movies.csv": MOVIES.rsplit("3,", 1)[0]})
    (folder / "links.csv").unlink()
    error = _load_error(folder)
    assert error.path.name == "ratings.csv" and "line 4: movieId '3' is not in movies.csv" in str(error)


@pytest.mark.parametrize(
    ("file", "text", "message"),
    [
        # The last row cut inside its last column: it parses, only the missing line end tells.
        ("movies.csv", MOVIES_4[:-4], "line 5: the last line has no line end"),
        # Cut inside a quoted title: the quote never closes.
        ("movies.csv", MOVIES_4 + '5,"Matrix, The (19', "line 6: a quoted field is not closed"),
        # A quoted title that swallows the next lines and the end of the file.
        ("movies.csv", 'movieId,title,genres\n1,"Toy Story (1995),Comedy\n2,Up,Drama\n', "line 2: a quoted"),
        # Cut before the last column.
        ("movies.csv", MOVIES_4 + "5,Cut Film (2000)\n", "line 6: wrong number of fields"),
        (
            "ratings.csv",
            "userId,movieId,rating,timestamp\n10,1,5.0,100\n10,2,4.0,10",
            "line 3: the last line",
        ),
        ("tags.csv", "userId,movieId,tag,timestamp\n2,1,pixar,3\n2,2,cyber", "line 3: the last line"),
        ("links.csv", LINKS_4[:-3], "line 5: the last line has no line end"),
        ("movies.csv", 'movieId,title,genres\n1,"Toy" Story,Comedy\n', "line 2: malformed CSV"),
    ],
)
def test_a_file_cut_mid_row_names_the_file_and_line(
    tmp_path: Path, file: str, text: str, message: str
) -> None:
    files = {"movies.csv": MOVIES_4, "links.csv": LINKS_4, file: text}
    folder = write_movielens(tmp_path / "ml", **files)
    error = _load_error(folder)
    assert error.path.name == file
    assert message in error.problem


def test_an_scpr_attribute_missing_from_the_name_map_is_named(tmp_path: Path) -> None:
    folder = write_scpr_folder(tmp_path / "bench")
    names = folder / "ID_map_info" / "tag_reverse_map.json"
    reverse = json.loads(names.read_text())
    del reverse["2"]  # item 2's only attribute
    names.write_text(json.dumps(reverse))
    with pytest.raises(DataFileError, match=r"item_dict\.json: item 2: attribute id 2 is not in"):
        load_scpr(folder)


def test_an_scpr_artists_file_cut_mid_row_is_named(tmp_path: Path) -> None:
    folder = write_scpr_folder(tmp_path / "bench")
    artists = tmp_path / "artists.dat"
    artists.write_text("id\tname\turl\tpictureURL\n11\tMUSE\tu\tp\n12")
    with pytest.raises(DataFileError, match=r"artists\.dat: line 3: wrong number of fields"):
        load_scpr(folder, artists_file=artists)
    artists.write_text("id\tname\turl\tpictureURL\n11\tMUSE\tu\tp\n12\tABBA\tu\tp")
    with pytest.raises(DataFileError, match=r"artists\.dat: line 3: the last line has no line end"):
        load_scpr(folder, artists_file=artists)


def test_a_redial_movie_list_cut_mid_row_is_named(tmp_path: Path) -> None:
    folder = write_redial(tmp_path / "redial")
    movies = folder / "movies_with_mentions.csv"
    movies.write_text(movies.read_text(encoding="utf-8")[:-1], encoding="utf-8")
    with pytest.raises(
        DataFileError, match=r"movies_with_mentions\.csv: line \d+: the last line has no line"
    ):
        load_redial(folder)
