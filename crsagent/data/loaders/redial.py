"""ReDial (``redial/``): the dialogues, the movie catalog, and the seekers' questionnaires as interactions.

Files read from the folder: ``valid_data.jsonl`` (one dialogue per line, the official schema) and
``movies_with_mentions.csv`` (``movieId,movieName,nbMentions``). Optional: ``id2info.json`` for
genre / director / writer / cast / plot, and MovieLens ``links.csv`` to map ReDial ids to MovieLens
movie ids through the imdb id.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import unquote

import numpy as np
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, PlainValidator, ValidationError
from pydantic.alias_generators import to_camel

from crsagent.data.catalog import Catalog
from crsagent.data.dataset import Dataset
from crsagent.data.files import iter_csv, iter_jsonl, parse_field
from crsagent.data.interactions import Interactions
from crsagent.data.item import Item
from crsagent.data.loaders.metadata import MovieMetadata, load_movie_metadata, read_movielens_imdb_links
from crsagent.data.text import split_title_year, year_attributes
from crsagent.errors import DataFileError
from crsagent.validation import describe_validation_error

DIALOGUES_FILE = "valid_data.jsonl"
MOVIES_FILE = "movies_with_mentions.csv"
PLACEHOLDER = re.compile(r"@([0-9]+)")  # a movie mention in a message: @<ReDial movie id>
_DIGITS = re.compile(r"[0-9]+")


def clean_movie_name(name: str) -> str:
    """ReDial's stored name made readable: ``"Why Him%3F  (2016)"`` -> ``"Why Him? (2016)"``.

    ReDial keeps some characters percent-encoded (``%3F``, ``%22``) and many names have double
    spaces before the year.
    """
    return " ".join(unquote(name).split())


class RedialMessage(BaseModel):
    """One chat message."""

    model_config = ConfigDict(frozen=True)

    sender_id: str = Field(description="Worker id of the sender (the seeker's or the recommender's).")
    text: str = Field(description="The text as stored, with '@<movieId>' placeholders and HTML entities.")
    text_resolved: str = Field(
        description="Placeholders replaced by movie names (the dialogue's movieMentions, else the movie "
        "CSV; an unknown id stays '@<id>') and HTML entities decoded."
    )
    time_offset: int = Field(description="Seconds since the dialogue started.")
    message_id: str = Field(description="ReDial's message id.")


class MovieFeedback(BaseModel):
    """One questionnaire answer about one movie: 0 = no, 1 = yes, 2 = did not say."""

    model_config = ConfigDict(frozen=True, strict=True)

    suggested: int = Field(ge=0, le=2, description="The recommender suggested the movie.")
    seen: int = Field(ge=0, le=2, description="The seeker has seen the movie.")
    liked: int = Field(ge=0, le=2, description="The seeker liked (or would like) the movie.")


class RedialDialogue(BaseModel):
    """One ReDial conversation between a seeker (the initiator) and a recommender (the respondent)."""

    model_config = ConfigDict(frozen=True)

    conversation_id: str = Field(description="ReDial's conversationId.")
    seeker_id: str = Field(description="initiatorWorkerId: the worker looking for a movie.")
    recommender_id: str = Field(description="respondentWorkerId: the worker recommending.")
    messages: tuple[RedialMessage, ...] = Field(description="Messages in file order.")
    movie_mentions: dict[str, str] = Field(
        description="Movie id -> name (cleaned, see clean_movie_name) of each movie mentioned."
    )
    seeker_feedback: dict[str, MovieFeedback] = Field(
        description="initiatorQuestions: the seeker's answers per movie id ({} when not filled in)."
    )
    recommender_feedback: dict[str, MovieFeedback] = Field(
        description="respondentQuestions: the recommender's answers about the seeker, per movie id."
    )

    def seeker_messages(self) -> list[RedialMessage]:
        """The seeker's messages, in order."""
        return [message for message in self.messages if message.sender_id == self.seeker_id]

    def liked_suggestions(self) -> list[str]:
        """Movie ids that the seeker's questionnaire marks suggested = 1 and liked = 1, in its order."""
        return [
            movie_id
            for movie_id, feedback in self.seeker_feedback.items()
            if feedback.suggested == 1 and feedback.liked == 1
        ]


@dataclass(frozen=True, eq=False, repr=False)
class RedialDataset(Dataset):
    """A ReDial ``Dataset`` with its dialogues and the ReDial -> MovieLens id map."""

    dialogues: tuple[RedialDialogue, ...] = ()
    """Every dialogue of the file, in file order."""
    to_movielens: dict[str, str] = field(default_factory=dict)
    """ReDial movie id -> MovieLens movieId (through id2info's imdb_id and links.csv). Several
    ReDial ids may map to one MovieLens movie (ReDial lists some films twice)."""


# --- reading the files -------------------------------------------------------------------------


def _read_movies(path: Path) -> dict[str, str]:
    """ReDial movie id -> cleaned name, in file order."""
    titles: dict[str, str] = {}
    for line, row in iter_csv(path, ("movieId", "movieName", "nbMentions")):
        movie_id = row["movieId"].strip()
        if not _DIGITS.fullmatch(movie_id):
            raise DataFileError(path, f"line {line}: column 'movieId' is not a number: {movie_id!r}")
        if movie_id in titles:
            raise DataFileError(path, f"line {line}: movie id {movie_id} appears twice")
        title = clean_movie_name(row["movieName"])
        if not title:
            raise DataFileError(path, f"line {line}: column 'movieName' is empty")
        parse_field(path, line, "nbMentions", row["nbMentions"].strip(), int)
        titles[movie_id] = title
    return titles


def _identifier(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, int | str) or str(value).strip() == "":
        raise ValueError(f"should be a number or text, found {value!r}")
    return str(value).strip()


def _object(value: Any) -> Any:
    """ReDial writes an empty questionnaire as ``[]``, which counts as ``{}``."""
    return {} if value is None or value == [] else value


_Id = Annotated[str, PlainValidator(_identifier)]
_Answers = Annotated[dict[_Id, MovieFeedback], BeforeValidator(_object)]


class _JsonMessage(BaseModel):
    """A message as the file has it (strict: a number in quotes is an error, not a number)."""

    model_config = ConfigDict(strict=True, alias_generator=to_camel)

    text: str
    time_offset: int
    sender_worker_id: _Id
    message_id: _Id


class _JsonDialogue(BaseModel):
    """A line of the file, checked; an error names the file's key (``initiatorQuestions.10.liked``)."""

    model_config = ConfigDict(strict=True, alias_generator=to_camel)

    conversation_id: _Id
    initiator_worker_id: _Id
    respondent_worker_id: _Id
    messages: list[_JsonMessage]
    movie_mentions: Annotated[dict[_Id, str | None], BeforeValidator(_object)]
    initiator_questions: _Answers
    respondent_questions: _Answers


def _resolve(text: str, mentions: dict[str, str], titles: dict[str, str]) -> str:
    def name(match: re.Match[str]) -> str:
        movie_id = match.group(1)
        return mentions.get(movie_id) or titles.get(movie_id) or match.group(0)

    return html.unescape(PLACEHOLDER.sub(name, text))


def _parse_dialogue(path: Path, line: int, record: Any, titles: dict[str, str]) -> RedialDialogue:
    if not isinstance(record, dict):
        raise DataFileError(path, f"line {line}: expected a JSON object, found {type(record).__name__}")
    try:
        raw = _JsonDialogue.model_validate(record)
    except ValidationError as error:
        raise DataFileError(path, f"line {line}: {describe_validation_error(error)}") from None
    # The official release has a few null names: fall back on the catalog's.
    named = {
        movie_id: clean_movie_name(name) if name else titles.get(movie_id, "")
        for movie_id, name in raw.movie_mentions.items()
    }
    mentions = {movie_id: name for movie_id, name in named.items() if name}
    return RedialDialogue(
        conversation_id=raw.conversation_id,
        seeker_id=raw.initiator_worker_id,
        recommender_id=raw.respondent_worker_id,
        messages=tuple(
            RedialMessage(
                sender_id=message.sender_worker_id,
                text=message.text,
                text_resolved=_resolve(message.text, mentions, titles),
                time_offset=message.time_offset,
                message_id=message.message_id,
            )
            for message in raw.messages
        ),
        movie_mentions=mentions,
        seeker_feedback=raw.initiator_questions,
        recommender_feedback=raw.respondent_questions,
    )


def read_dialogues(path: Path, titles: dict[str, str] | None = None) -> Iterator[RedialDialogue]:
    """The dialogues of a ReDial ``.jsonl`` file, in order; blank lines are skipped.

    ``titles`` (movie id -> name) resolves placeholders that the dialogue's own movieMentions lack.
    A line that is not JSON or not a dialogue is a ``DataFileError`` naming the file and the line.
    """
    titles = titles or {}
    for line, record in iter_jsonl(path):
        yield _parse_dialogue(path, line, record, titles)


# --- building the dataset ----------------------------------------------------------------------


def _referenced_ids(dialogue: RedialDialogue) -> set[str]:
    """Every movie id a dialogue refers to: mentions, questionnaires and placeholders."""
    ids = set(dialogue.movie_mentions) | set(dialogue.seeker_feedback) | set(dialogue.recommender_feedback)
    for message in dialogue.messages:
        ids.update(PLACEHOLDER.findall(message.text))
    return ids


def _item(movie_id: str, title: str, meta: MovieMetadata | None, popularity: float) -> Item:
    _, year = split_title_year(title)
    attributes: dict[str, list[str]] = {}
    if meta is not None:
        if meta.genres:
            attributes["genre"] = list(meta.genres)
        attributes.update(meta.people())
    attributes.update(year_attributes(year))
    return Item(
        id=movie_id,
        title=title,
        attributes=attributes,
        text=meta.plot if meta is not None else "",
        year=year,
        popularity=popularity,
    )


def _seeker_interactions(dialogues: list[RedialDialogue], index: dict[str, int]) -> Interactions:
    """One row per (dialogue, catalog movie) of the seeker's questionnaire; rating = its ``liked``."""
    user_of: dict[str, int] = {}
    users: list[int] = []
    items: list[int] = []
    ratings: list[float] = []
    for dialogue in dialogues:
        user = user_of.setdefault(dialogue.seeker_id, len(user_of))
        for movie_id, feedback in dialogue.seeker_feedback.items():
            if movie_id in index:
                users.append(user)
                items.append(index[movie_id])
                ratings.append(float(feedback.liked))
    return Interactions(
        tuple(user_of),
        np.asarray(users, dtype=np.int32),
        np.asarray(items, dtype=np.int32),
        np.asarray(ratings, dtype=np.float32),
    )


def load_redial(
    folder: Path, *, metadata_file: Path | None = None, movielens_links: Path | None = None
) -> RedialDataset:
    """Load ReDial from ``folder`` (``valid_data.jsonl`` + ``movies_with_mentions.csv``).

    Catalog: every movie of the CSV (id = ReDial movieId), with id2info's genre / director / writer
    / cast / plot when ``metadata_file`` is given, and year / decade from the title. Users are the
    seekers; interactions are their questionnaire answers (``initiatorQuestions``) about catalog
    movies, one row per (dialogue, movie), rating = ``liked`` (0 no, 1 yes, 2 did not say);
    positives are the rows with liked = 1 and form the only split, ``"valid"``. ``movielens_links``
    (MovieLens ``links.csv``) fills ``to_movielens`` and needs ``metadata_file`` for the imdb ids.
    """
    if movielens_links is not None and metadata_file is None:
        raise ValueError("movielens_links needs metadata_file: the imdb ids come from id2info.json")
    titles = _read_movies(folder / MOVIES_FILE)
    index = {movie_id: position for position, movie_id in enumerate(titles)}
    dialogues = list(read_dialogues(folder / DIALOGUES_FILE, titles))
    metadata = load_movie_metadata(metadata_file) if metadata_file is not None else {}
    links = read_movielens_imdb_links(movielens_links) if movielens_links is not None else {}
    to_movielens = {
        m: links[meta.imdb_id] for m, meta in metadata.items() if m in index and meta.imdb_id in links
    }

    interactions = _seeker_interactions(dialogues, index)
    assert interactions.ratings is not None
    positives = interactions.subset(interactions.ratings == 1.0)
    popularity = np.bincount(positives.items, minlength=len(titles))
    items = [
        _item(movie_id, title, metadata.get(movie_id), float(popularity[position]))
        for position, (movie_id, title) in enumerate(titles.items())
    ]
    unknown: set[str] = set()
    for dialogue in dialogues:
        unknown |= _referenced_ids(dialogue) - index.keys()
    notes = {
        "dialogues": str(len(dialogues)),
        "dialogues_without_seeker_questionnaire": str(sum(1 for d in dialogues if not d.seeker_feedback)),
        "movies_not_in_catalog": str(len(unknown)),
        "movies_with_metadata": str(sum(1 for movie_id in titles if movie_id in metadata)),
        "metadata_entries_not_in_catalog": str(sum(1 for movie_id in metadata if movie_id not in index)),
    }
    if movielens_links is not None:
        notes["movies_linked_to_movielens"] = str(len(to_movielens))
        notes["movielens_movies_linked"] = str(len(set(to_movielens.values())))
    return RedialDataset(
        name="redial",
        catalog=Catalog(items, name="redial"),
        interactions=interactions,
        positives=positives,
        splits={"valid": positives},
        source=folder,
        description=(
            f"ReDial {DIALOGUES_FILE}: KGSF's validation split of ReDial ({len(dialogues)} dialogues). "
            "Interactions are the seekers' questionnaire answers (rating = liked: 0 no, 1 yes, "
            "2 did not say); positives are liked = 1. There is no train split: the only split, "
            "'valid', holds all the positives, and item popularity counts them."
        ),
        notes=notes,
        dialogues=tuple(dialogues),
        to_movielens=to_movielens,
    )
