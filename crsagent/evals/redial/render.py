"""How movie names are written into a dialogue's text: as ReDial's database spells them, or as
people type without an autocomplete (no year, lower case, a leading article sometimes dropped)."""

from __future__ import annotations

import hashlib
import html
import re
from typing import Literal

from crsagent.data.loaders.redial import PLACEHOLDER, RedialDialogue, RedialMessage
from crsagent.data.text import move_trailing_article, split_title_year

Rendering = Literal["canonical", "casual"]
_LEADING_ARTICLE = re.compile(r"^(?:the|a|an)\s+", re.IGNORECASE)


def _coin(*parts: str) -> bool:
    """A seeded fair coin (the same text always gets the same casual spelling)."""
    return hashlib.sha256("|".join(parts).encode()).digest()[0] % 2 == 0


def casual_name(name: str, seed: str) -> str:
    """``"The Matrix (1999)"`` -> ``"the matrix"`` or ``"matrix"``."""
    body, _ = split_title_year(name)
    body = move_trailing_article(body).lower()
    if _LEADING_ARTICLE.match(body) and _coin(seed, name):
        body = _LEADING_ARTICLE.sub("", body, count=1)
    return body


def movie_name(dialogue: RedialDialogue, movie_id: str, rendering: Rendering, seed: str) -> str | None:
    """The name of ``movie_id`` in this dialogue, rendered; None when ReDial has no name for it."""
    name = dialogue.movie_mentions.get(movie_id)
    if not name:
        return None
    return name if rendering == "canonical" else casual_name(name, seed)


def render_message(dialogue: RedialDialogue, message: RedialMessage, rendering: Rendering) -> str:
    """The message with each ``@id`` replaced by the movie's rendered name (unknown ids stay)."""

    def replace(match: re.Match[str]) -> str:
        seed = f"{dialogue.conversation_id}:{message.message_id}"
        return movie_name(dialogue, match.group(1), rendering, seed) or match.group(0)

    return html.unescape(PLACEHOLDER.sub(replace, message.text))


def mentioned_ids(message: RedialMessage) -> list[str]:
    """ReDial movie ids the message names, in order, each once."""
    return list(dict.fromkeys(PLACEHOLDER.findall(message.text)))
