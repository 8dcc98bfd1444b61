"""The ReDial loader: dialogues, placeholders, questionnaires, catalog and the MovieLens map."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from crsagent.data.loaders.redial import (
    MovieFeedback,
    RedialDataset,
    clean_movie_name,
    load_redial,
    read_dialogues,
)
from crsagent.errors import DataFileError

MOVIES_CSV = """movieId,movieName,nbMentions
10,Heat  (1995),4
20,Why Him%3F (2016),1
30,Okja,2
40,Alien (1979),0
"""

FIRST = {
    "movieMentions": {"10": "Heat  (1995)", "30": None},
    "respondentQuestions": [],
    "messages": [
        {"timeOffset": 0, "text": "Hi, I loved @10 !", "senderWorkerId": 7, "messageId": 1},
        {"timeOffset": 5, "text": "Try @20 or @30, or @999", "senderWorkerId": 8, "messageId": 2},
        {"timeOffset": 9, "text": "&quot;Great&quot; &amp; thanks", "senderWorkerId": 7, "messageId": 3},
    ],
    "conversationId": "c1",
    "initiatorWorkerId": 7,
    "initiatorQuestions": {
        "10": {"suggested": 0, "seen": 1, "liked": 1},
        "20": {"suggested": 1, "seen": 0, "liked": 2},
        "30": {"suggested": 1, "seen": 0, "liked": 1},
    },
    "respondentWorkerId": 8,
}

SECOND = {
    "movieMentions": {"40": "Alien (1979)", "555": "Not In Csv (2001)"},
    "respondentQuestions": {"40": {"suggested": 1, "seen": 2, "liked": 0}},
    "messages": [{"timeOffset": 0, "text": "@555 and @40", "senderWorkerId": 9, "messageId": 4}],
    "conversationId": "c2",
    "initiatorWorkerId": 9,
    "initiatorQuestions": [],
    "respondentWorkerId": 7,
}

ID2INFO = {
    "10": {
        "name": "Heat (1995)",
        "genre": ["crime", "drama"],
        "plot": "A heist.",
        "director": ["Michael Mann"],
        "writer": ["Michael Mann"],
        "star": ["Al Pacino", "Robert De Niro"],
        "imdb_id": "tt0113277",
    },
    "30": {
        "name": "Okja",
        "genre": ["adventure"],
        "plot": "",
        "director": ["Bong Joon Ho"],
        "writer": [],
        "star": [],
        "imdb_id": "tt3967856",
    },
    "40": {
        "name": "Alien (1979)",
        "genre": ["horror"],
        "plot": "",
        "director": [],
        "writer": [],
        "star": [],
        "imdb_id": "tt0078748",
    },
}

LINKS_CSV = "movieId,imdbId,tmdbId\n6,0113277,949\n1214,0078748,348\n"


def write_redial(
    folder: Path, dialogues: list[Any] | None = None, *, raw_lines: list[str] | None = None
) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "movies_with_mentions.csv").write_text(MOVIES_CSV, encoding="utf-8")
    lines = raw_lines if raw_lines is not None else [json.dumps(d) for d in (dialogues or [FIRST, SECOND])]
    (folder / "valid_data.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder


@pytest.fixture
def tiny(tmp_path: Path) -> RedialDataset:
    folder = write_redial(tmp_path / "redial")
    metadata = tmp_path / "id2info.json"
    metadata.write_text(json.dumps(ID2INFO), encoding="utf-8")
    links = tmp_path / "links.csv"
    links.write_text(LINKS_CSV, encoding="utf-8")
    return load_redial(folder, metadata_file=metadata, movielens_links=links)


def test_clean_movie_name() -> None:
    assert clean_movie_name("Why Him%3F  (2016)") == "Why Him? (2016)"
    assert clean_movie_name("%22Crocodile%22 Dundee (1986)") == '"Crocodile" Dundee (1986)'
    assert clean_movie_name("100% Wolf (2020) ") == "100% Wolf (2020)"


def test_dialogues_and_placeholder_resolution(tiny: RedialDataset) -> None:
    first, second = tiny.dialogues
    assert (first.conversation_id, first.seeker_id, first.recommender_id) == ("c1", "7", "8")
    # A null mention name falls back on the CSV's; whitespace is normalised.
    assert first.movie_mentions == {"10": "Heat (1995)", "30": "Okja"}
    texts = [message.text_resolved for message in first.messages]
    assert texts[0] == "Hi, I loved Heat (1995) !"
    # @20 is not among the mentions: the CSV name (decoded) is used; @999 is unknown and kept.
    assert texts[1] == "Try Why Him? (2016) or Okja, or @999"
    assert texts[2] == '"Great" & thanks'
    assert first.messages[1].text == "Try @20 or @30, or @999"
    reply = first.messages[1]
    assert (reply.sender_id, reply.message_id, reply.time_offset) == ("8", "2", 5)
    assert second.messages[0].text_resolved == "Not In Csv (2001) and Alien (1979)"
    assert [m.message_id for m in first.seeker_messages()] == ["1", "3"]


def test_feedback_parsing_accepts_empty_lists(tiny: RedialDataset) -> None:
    first, second = tiny.dialogues
    assert first.seeker_feedback["20"] == MovieFeedback(suggested=1, seen=0, liked=2)
    assert first.recommender_feedback == {}
    assert second.seeker_feedback == {}
    assert second.recommender_feedback == {"40": MovieFeedback(suggested=1, seen=2, liked=0)}
    assert first.liked_suggestions() == ["30"]


def test_interactions_are_seeker_answers_in_order(tiny: RedialDataset) -> None:
    # Every seeker is a user, the one without answers included.
    assert tiny.user_ids == ("7", "9")
    ids = tiny.catalog.ids
    interactions = tiny.interactions
    assert interactions.users.tolist() == [0, 0, 0]
    assert [ids[i] for i in interactions.items.tolist()] == ["10", "20", "30"]
    assert interactions.ratings is not None
    assert interactions.ratings.tolist() == [1.0, 2.0, 1.0]
    assert [ids[i] for i in tiny.positives.items.tolist()] == ["10", "30"]
    assert list(tiny.splits) == ["valid"]
    assert tiny.split("valid") is tiny.positives
    assert [item.popularity for item in tiny.catalog] == [1.0, 0.0, 1.0, 0.0]


def test_catalog_items(tiny: RedialDataset) -> None:
    assert tiny.catalog.name == "redial"
    assert tiny.catalog.ids == ["10", "20", "30", "40"]
    heat = tiny.catalog.get("10")
    assert heat.title == "Heat (1995)"
    assert heat.year == 1995
    assert heat.text == "A heist."
    assert heat.attributes == {
        "genre": ["crime", "drama"],
        "director": ["Michael Mann"],
        "writer": ["Michael Mann"],
        "cast": ["Al Pacino", "Robert De Niro"],
        "year": ["1995"],
        "decade": ["1990s"],
    }
    okja = tiny.catalog.get("30")
    assert (okja.year, okja.attributes) == (None, {"genre": ["adventure"], "director": ["Bong Joon Ho"]})
    why_him = tiny.catalog.get("20")
    assert why_him.title == "Why Him? (2016)"
    assert why_him.attributes == {"year": ["2016"], "decade": ["2010s"]}
    assert why_him.text == ""


def test_movielens_map_and_notes(tiny: RedialDataset) -> None:
    assert tiny.to_movielens == {"10": "6", "40": "1214"}
    assert tiny.notes["movies_not_in_catalog"] == "2"  # 555 (mentioned) and 999 (placeholder)
    assert tiny.notes["dialogues_without_seeker_questionnaire"] == "1"
    assert tiny.notes["movies_with_metadata"] == "3"
    assert tiny.notes["movies_linked_to_movielens"] == "2"
    assert "KGSF" in tiny.description and "valid" in tiny.description
    assert repr(tiny) == "Dataset('redial', 4 items, 2 users, valid=2)"


def test_without_metadata(tmp_path: Path) -> None:
    dataset = load_redial(write_redial(tmp_path / "redial"))
    assert dataset.to_movielens == {}
    assert dataset.catalog.get("10").attributes == {"year": ["1995"], "decade": ["1990s"]}
    with pytest.raises(ValueError, match=r"movielens_links needs metadata_file"):
        load_redial(tmp_path / "redial", movielens_links=tmp_path / "links.csv")


def test_malformed_json_line_names_file_and_line(tmp_path: Path) -> None:
    folder = write_redial(tmp_path / "redial", raw_lines=[json.dumps(FIRST), "", '{"movieMentions": {'])
    with pytest.raises(DataFileError, match=r"jsonl: line 3, column \d+: malformed JSON") as caught:
        load_redial(folder)
    assert caught.value.path == folder / "valid_data.jsonl"


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (
            {"initiatorQuestions": {"10": {"suggested": 1, "seen": 0, "liked": 3}}},
            r"initiatorQuestions\.10\.liked: Input should be less than or equal to 2",
        ),
        (
            {"initiatorQuestions": {"10": {"suggested": True, "seen": 0, "liked": 1}}},
            r"\.suggested: Input should be a valid integer",
        ),
        ({"respondentQuestions": [1]}, "respondentQuestions: Input should be a valid dictionary"),
        ({"messages": {"0": "hi"}}, "messages: Input should be a valid list"),
        (
            {"messages": [{"timeOffset": "5", "text": "x", "senderWorkerId": 7, "messageId": 1}]},
            r"messages\.0\.timeOffset: Input should be a valid integer",
        ),
        ({"messages": [{"timeOffset": 5, "text": None, "senderWorkerId": 7, "messageId": 1}]}, r"\.text"),
        ({"initiatorWorkerId": None}, "initiatorWorkerId: Value error, should be a number or text"),
        ({"movieMentions": {"10": 5}}, r"movieMentions\.10: Input should be a valid string"),
    ],
)
def test_malformed_dialogue_names_line_and_field(
    tmp_path: Path, change: dict[str, Any], problem: str
) -> None:
    folder = write_redial(tmp_path / "redial", [FIRST, FIRST | change])
    with pytest.raises(DataFileError, match=rf"valid_data.jsonl: line 2: .*{problem}"):
        load_redial(folder)


def test_dialogue_missing_keys_or_not_an_object(tmp_path: Path) -> None:
    partial = {key: value for key, value in FIRST.items() if key != "messages"}
    folder = write_redial(tmp_path / "a", [partial])
    with pytest.raises(DataFileError, match=r"line 1: messages: Field required"):
        load_redial(folder)
    folder = write_redial(tmp_path / "b", raw_lines=["[1, 2]"])
    with pytest.raises(DataFileError, match=r"line 1: expected a JSON object"):
        load_redial(folder)


def test_missing_files_are_named(tmp_path: Path) -> None:
    with pytest.raises(DataFileError, match=r"movies_with_mentions.csv: file is missing"):
        load_redial(tmp_path / "empty")
    folder = write_redial(tmp_path / "redial")
    (folder / "valid_data.jsonl").unlink()
    with pytest.raises(DataFileError, match=r"valid_data.jsonl: file is missing"):
        load_redial(folder)
    with pytest.raises(DataFileError, match=r"nothing.jsonl: file is missing"):
        list(read_dialogues(tmp_path / "nothing.jsonl"))


def test_bad_movies_csv(tmp_path: Path) -> None:
    folder = write_redial(tmp_path / "redial")
    (folder / "movies_with_mentions.csv").write_text(
        "movieId,movieName,nbMentions\n1,A (2000),1\n1,B (2001),2\n"
    )
    with pytest.raises(DataFileError, match=r"line 3: movie id 1 appears twice"):
        load_redial(folder)
    (folder / "movies_with_mentions.csv").write_text("movieId,movieName,nbMentions\n1,A (2000),many\n")
    with pytest.raises(DataFileError, match=r"line 2: column 'nbMentions'"):
        load_redial(folder)


@pytest.mark.real_data
def test_real_redial(real_data_dir: Path) -> None:
    dataset = load_redial(
        real_data_dir / "redial",
        metadata_file=real_data_dir / "movie-metadata" / "id2info.json",
        movielens_links=real_data_dir / "ml-latest-small" / "links.csv",
    )
    assert len(dataset.dialogues) == 901
    assert len(dataset.catalog) == 6924
    assert len(dataset.user_ids) == 259  # distinct seekers
    assert len(dataset.interactions) == 4711
    assert len(dataset.positives) == 3828
    assert dataset.interactions.ratings is not None
    assert np.unique(dataset.interactions.ratings, return_counts=True)[1].tolist() == [210, 3828, 673]
    assert dataset.notes["movies_not_in_catalog"] == "0"
    assert dataset.notes["dialogues_without_seeker_questionnaire"] == "10"
    assert dataset.notes["movies_with_metadata"] == "6583"
    # Every ReDial id whose imdb id is in ml-latest-small, duplicates included: 4,041 movies.
    assert len(dataset.to_movielens) == 4231
    assert len(set(dataset.to_movielens.values())) == 4041
    assert all("%3F" not in item.title and "  " not in item.title for item in dataset.catalog)
    assert sum(item.popularity for item in dataset.catalog) == len(dataset.positives)
    # Every placeholder of the file resolves to a name.
    resolved = [m.text_resolved for d in dataset.dialogues for m in d.messages]
    assert not [text for text in resolved if re.search(r"@[0-9]", text)]
    print(
        f"redial: {len(dataset.catalog)} items, {len(dataset.user_ids)} users, "
        f"{len(dataset.interactions)} interactions, {len(dataset.positives)} positives"
    )
