"""A tiny data folder for ReDial evaluations, written in code: ml-latest-small, movie-metadata and
redial side by side, as the registry expects them (the ReDial -> MovieLens map goes through imdbId)."""

from __future__ import annotations

import json
from pathlib import Path

# (MovieLens id, title, genres, ReDial id): ReDial ids are 100 + the MovieLens id.
MOVIES = [
    (1, "Heat (1995)", "Action|Crime|Thriller"),
    (2, "Toy Story (1995)", "Animation|Children|Comedy"),
    (3, "Superbad (2007)", "Comedy"),
    (4, "Step Brothers (2008)", "Comedy"),
    (5, "Alien (1979)", "Horror|Sci-Fi"),
    (6, "Up (2009)", "Animation|Adventure|Comedy"),
    (7, "Se7en (1995)", "Crime|Mystery|Thriller"),
    (8, "Anchorman (2004)", "Comedy"),
]
UNLINKED_REDIAL_ID = "999"  # in ReDial's list, but neither in id2info nor in MovieLens


def _dialogue(
    conversation: str, seeker: int, messages: list[tuple[int, str]], liked: list[str]
) -> dict[str, object]:
    mentioned = sorted({word[1:] for _, text in messages for word in text.split() if word.startswith("@")})
    names = {str(100 + m): t for m, t, _ in MOVIES} | {UNLINKED_REDIAL_ID: "Lost Film (2001)"}
    return {
        "conversationId": conversation,
        "initiatorWorkerId": seeker,
        "respondentWorkerId": seeker + 1,
        "movieMentions": {movie: names[movie] for movie in mentioned},
        "messages": [
            {"timeOffset": i, "text": text, "senderWorkerId": sender, "messageId": i}
            for i, (sender, text) in enumerate(messages)
        ],
        "initiatorQuestions": {
            movie: {"suggested": 1 if movie in liked else 0, "seen": 0, "liked": 1} for movie in mentioned
        },
        "respondentQuestions": [],
    }


DIALOGUES = [
    _dialogue(
        "c1",
        7,
        [
            (7, "Hi there"),
            (7, "I want a silly comedy like @108 tonight"),
            (8, "What kind of humour?"),
            (7, "Anything loud. Not Superbad though, seen it"),
            (8, "Try @103 or @104"),
            (7, "thanks!"),
        ],
        liked=["103", "104"],
    ),
    _dialogue(
        "c2", 9, [(9, "Something scary please"), (10, "@105 or @999")], liked=["105", UNLINKED_REDIAL_ID]
    ),
]


def write_tiny_redial_data(root: Path) -> Path:
    """The data dir (``--data-dir``) holding ml-latest-small/, movie-metadata/ and redial/."""
    movielens = root / "ml-latest-small"
    movielens.mkdir(parents=True)
    movies = ["movieId,title,genres"] + [f'{m},"{t}",{g}' for m, t, g in MOVIES]
    (movielens / "movies.csv").write_text("\n".join(movies) + "\n")
    links = ["movieId,imdbId,tmdbId"] + [f"{m},{m:07d},{m}" for m, _, _ in MOVIES]
    (movielens / "links.csv").write_text("\n".join(links) + "\n")
    ratings = ["userId,movieId,rating,timestamp"]
    for user in range(1, 7):
        for step, movie in enumerate([(user + k) % 8 + 1 for k in range(5)]):
            ratings.append(f"{user},{movie},{4.0 + (step % 2) * 0.5},{1000 * user + step}")
    (movielens / "ratings.csv").write_text("\n".join(ratings) + "\n")
    (movielens / "tags.csv").write_text("userId,movieId,tag,timestamp\n")
    metadata = root / "movie-metadata"
    metadata.mkdir()
    info = {
        str(100 + m): {
            "name": t, "genre": [g.lower() for g in genres.split("|")], "plot": "", "director": [f"Director {m}"],
            "writer": [], "star": [], "imdb_id": f"tt{m:07d}",
        }
        for m, t, genres in MOVIES
    }  # fmt: skip
    (metadata / "id2info.json").write_text(json.dumps(info))
    redial = root / "redial"
    redial.mkdir()
    rows = ["movieId,movieName,nbMentions"] + [f'{100 + m},"{t}",1' for m, t, _ in MOVIES]
    rows.append(f"{UNLINKED_REDIAL_ID},Lost Film (2001),1")
    (redial / "movies_with_mentions.csv").write_text("\n".join(rows) + "\n")
    (redial / "valid_data.jsonl").write_text("\n".join(json.dumps(d) for d in DIALOGUES) + "\n")
    return root
