"""iEvaLM-style ReDial targets: movies the recommender suggested and the seeker liked, with personas.

A target is a (dialogue, movie) pair whose seeker questionnaire says ``suggested = 1`` and
``liked = 1``, mapped from ReDial's movie id into the evaluated catalog (ml-latest-small) through
imdbId. The persona is what the seeker said before the recommender's first suggestion, with every
movie masked: the simulated user learns the seeker's taste and wording, never a title to copy.
"""

from __future__ import annotations

import html

from crsagent.config import Settings
from crsagent.data.dataset import Dataset
from crsagent.data.loaders.redial import PLACEHOLDER, RedialDataset, RedialDialogue
from crsagent.data.registry import load_dataset
from crsagent.errors import CrsAgentError
from crsagent.evals.spec import RedialTargets
from crsagent.simulators.base import Target
from crsagent.simulators.leak import LeakDetector

MOVIE_MASK = "[a movie]"


def mask_movies(text: str, titles: list[str]) -> str:
    """``text`` with every ``@id`` placeholder and every spelling of ``titles`` masked.

    Titles are found by the simulators' leak detector, so a persona passes the same check that the
    simulated user's messages do.
    """
    masked = html.unescape(PLACEHOLDER.sub(MOVIE_MASK, text))
    for title in titles:
        masked = LeakDetector(title, mask=MOVIE_MASK).mask(masked)
    return masked


def opening_messages(dialogue: RedialDialogue, limit: int) -> list[str]:
    """The seeker's messages before the recommender first mentions a movie (at least the first one)."""
    opening: list[str] = []
    for message in dialogue.messages:
        if message.sender_id != dialogue.seeker_id:
            if PLACEHOLDER.search(message.text):
                break
            continue
        opening.append(message.text)
        if len(opening) >= limit:
            break
    if not opening:
        seeker = dialogue.seeker_messages()
        opening = [seeker[0].text] if seeker else []
    return opening


def persona(dialogue: RedialDialogue, limit: int, titles: list[str]) -> str:
    """The masked opening messages, one per line."""
    lines = (mask_movies(text, titles).strip() for text in opening_messages(dialogue, limit))
    return "\n".join(line for line in lines if line)


def load_redial(name: str, settings: Settings | None, where: str) -> RedialDataset:
    """The ReDial dataset with its ReDial -> MovieLens map, or an error (naming ``where``) saying what
    is missing."""
    redial = load_dataset(name, settings=settings)
    if not isinstance(redial, RedialDataset):
        raise CrsAgentError(f"{where}: {name!r} is not a ReDial dataset ({redial.name})")
    if not redial.to_movielens:
        raise CrsAgentError(
            f"{where}: ReDial movies cannot be mapped to MovieLens: the map needs "
            "movie-metadata/id2info.json (imdb ids) and ml-latest-small/links.csv beside the redial folder"
        )
    return redial


def redial_targets(dataset: Dataset, spec: RedialTargets, settings: Settings | None = None) -> list[Target]:
    """One target per (dialogue, liked suggestion) that maps into ``dataset``'s catalog, file order."""
    redial = load_redial(spec.redial, settings, "targets.redial")
    targets: list[Target] = []
    for dialogue in redial.dialogues:
        seen: set[str] = set()
        for movie_id in dialogue.liked_suggestions():
            item_id = redial.to_movielens.get(movie_id)
            if item_id is None or item_id not in dataset.catalog or item_id in seen:
                continue
            seen.add(item_id)
            # Every '@id' mention is masked; spelled-out titles only the target's (its ReDial and
            # MovieLens spellings): the leak detector is tuned to find a title, not every title.
            titles = [dataset.catalog.get(item_id).title, dialogue.movie_mentions.get(movie_id, "")]
            text = persona(dialogue, spec.persona_messages, [t for t in titles if t])
            targets.append(Target(item_id=item_id, persona=text))
    return targets
