"""The LLM user's system prompt: the target's attributes, a few titles from the user's own train
history, an optional free-text persona — and never the target's title.

The prompt template is package data (``prompts/llm_user.md``, ``$name`` placeholders).
"""

from __future__ import annotations

from functools import cache
from importlib.resources import files
from string import Template

import numpy as np
from numpy.typing import NDArray

from crsagent.data.catalog import Catalog
from crsagent.data.dataset import Dataset
from crsagent.recommenders.sequences import user_sequences
from crsagent.simulators.leak import LeakDetector
from crsagent.simulators.render import display_title

MEDIA_NOUNS = {"movies": "movie", "music": "artist"}


@cache
def prompt_template() -> Template:
    return Template((files("crsagent.simulators") / "prompts" / "llm_user.md").read_text(encoding="utf-8"))


def describe_attributes(
    attributes: dict[str, list[str]], detector: LeakDetector, *, per_type: int, types: list[str] | None
) -> str:
    """One "- type: a, b" line per attribute type (at most ``per_type`` values each).

    Values that name the title are left out: MovieLens tags such as "star wars" would tell it.
    """
    lines = []
    for attribute_type, values in attributes.items():
        kept = [v for v in values if not detector.leaks(v)][:per_type]
        if kept and (types is None or attribute_type in types):
            lines.append(f"- {attribute_type}: {', '.join(kept)}")
    return "\n".join(lines) or "- (nothing specific: you are open to suggestions)"


class PersonaBuilder:
    """Writes the system prompt for one target."""

    def __init__(
        self,
        catalog: Catalog,
        dataset: Dataset | None,
        *,
        domain: str,
        history_items: int,
        values_per_type: int,
        attribute_types: list[str] | None,
    ) -> None:
        self.catalog = catalog
        self.domain = domain
        self.history_items = history_items
        self.values_per_type = values_per_type
        self.attribute_types = attribute_types
        # Each user's train items, most recent last (by timestamp when there are some, else row order).
        self._history: dict[int, NDArray[np.int64]] = {}
        if dataset is not None and history_items > 0:
            self._history = user_sequences(dataset.split("train"))

    def history_titles(self, user: int | None, target_id: str, detector: LeakDetector) -> list[str]:
        """Titles of the user's recent train items, without the target or any item sharing its name."""
        recent = self._history.get(user) if user is not None else None
        if recent is None:
            return []
        titles = []
        # Ask for extra items: some may be dropped below.
        for index in recent[::-1][: self.history_items * 2]:
            item = self.catalog.at(int(index))
            if item.id == target_id or detector.leaks(item.title):
                continue
            body, year = display_title(item.title)
            titles.append(f"{body} ({year})" if year is not None else body)
            if len(titles) == self.history_items:
                break
        return titles

    def system_prompt(self, target_id: str, user: int | None, persona: str, detector: LeakDetector) -> str:
        item = self.catalog.get(target_id)
        noun = MEDIA_NOUNS.get(self.domain, "item")
        titles = self.history_titles(user, target_id, detector)
        history = (
            f"Some {noun}s you enjoyed before (none of them is the one you want now): {'; '.join(titles)}.\n\n"
            if titles
            else ""
        )
        # A persona from real messages (ReDial) is masked upstream; masking again costs nothing.
        about = (
            f"About you, in your own earlier words: {detector.mask(persona.strip())}\n\n"
            if persona.strip()
            else ""
        )
        return prompt_template().substitute(
            media_noun=noun,
            attributes=describe_attributes(
                item.attributes, detector, per_type=self.values_per_type, types=self.attribute_types
            ),
            history=history,
            persona=about,
        )
