"""Evaluation points of real ReDial dialogues.

A recommendation sample is one (recommender message, movie it mentions) pair: the context is every
earlier message of the dialogue in both roles (seeker = user, recommender = assistant), names
rendered; the target is the movie, mapped into the evaluated catalog through imdbId (unmapped
targets are counted and skipped). One target = one sample, as in CRSLab.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

from crsagent.agent.conversation import ChatMessage
from crsagent.data.loaders.redial import RedialDialogue
from crsagent.evals.redial.render import Rendering, mentioned_ids, movie_name, render_message


@dataclass(frozen=True)
class RecommendationPoint:
    """A recommender message that mentions movies, with its context and its targets."""

    point_id: str
    """``conversation id:message index``."""
    context: tuple[ChatMessage, ...]
    targets: tuple[str, ...]
    """Catalog ids of the mapped movies the message mentions, each once."""
    new: tuple[bool, ...]
    """Per target: not mentioned earlier in the dialogue."""
    named_before: tuple[str, ...]
    """The movie names the context holds, rendered (for the mentions-CF baseline)."""


@dataclass
class PointCounts:
    """What building the points found."""

    messages: int = 0
    targets_total: int = 0
    targets_unmapped: int = 0
    points_without_user_message: int = 0


def recommendation_points(
    dialogues: Sequence[RedialDialogue],
    to_catalog: Mapping[str, str],
    rendering: Rendering,
    catalog_ids: set[str],
    counts: PointCounts,
) -> Iterator[RecommendationPoint]:
    """Every evaluation point of the dialogues, in file order. ``to_catalog``: ReDial movie id ->
    catalog id."""
    for dialogue in dialogues:
        context: list[ChatMessage] = []
        named: list[str] = []
        seen_ids: set[str] = set()
        for index, message in enumerate(dialogue.messages):
            text = render_message(dialogue, message, rendering)
            movies = mentioned_ids(message)
            is_recommender = message.sender_id == dialogue.recommender_id
            if is_recommender and movies:
                counts.messages += 1
                targets: list[str] = []
                new: list[bool] = []
                for movie_id in movies:
                    counts.targets_total += 1
                    item_id = to_catalog.get(movie_id)
                    if item_id is None or item_id not in catalog_ids:
                        counts.targets_unmapped += 1
                        continue
                    if item_id not in targets:
                        targets.append(item_id)
                        new.append(movie_id not in seen_ids)
                if targets and any(m.role == "user" for m in context):
                    yield RecommendationPoint(
                        f"{dialogue.conversation_id}:{index}",
                        tuple(context),
                        tuple(targets),
                        tuple(new),
                        tuple(named),
                    )
                elif targets:
                    counts.points_without_user_message += 1
            role = "assistant" if is_recommender else "user"
            context.append(ChatMessage(role=role, content=text))
            seen_ids.update(movies)
            seed = f"{dialogue.conversation_id}:{message.message_id}"
            for movie_id in movies:
                rendered = movie_name(dialogue, movie_id, rendering, seed)
                if rendered:
                    named.append(rendered)
