"""The template user's phrasings: a JSON file of paraphrases, validated on load.

The default file is ``crsagent/simulators/data/phrasings.json``. The agent's NLU must never read it
(it is the NL pipeline's test set); nothing under ``crsagent/agent`` imports this module.
"""

from __future__ import annotations

import json
import string
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import Self

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

SLOTS = frozenset({"value", "values", "rejected", "title", "media", "type", "ordinal"})
"""Placeholders a phrasing may use."""


def slots_of(template: str) -> list[str]:
    """The placeholder names of ``template``, in order."""
    return [name for _, name, _, _ in string.Formatter().parse(template) if name is not None]


Phrases = list[str]


class OpenPhrasings(BaseModel):
    """Opening lines: ``any`` fits every attribute type; the others one type each."""

    model_config = ConfigDict(extra="allow")
    # The extra keys (attribute type -> its openings), typed so that pydantic validates them.
    __pydantic_extra__: dict[str, Phrases] = Field(init=False)  # pyright: ignore[reportIncompatibleVariableOverride]

    any: Phrases = Field(min_length=1, description="Openings for any attribute type.")

    def for_type(self, attribute_type: str) -> Phrases:
        """The phrasings written for ``attribute_type`` ([] when there are none)."""
        return list(self.__pydantic_extra__.get(attribute_type, []))


class PhrasingBook(BaseModel):
    """Every list of the phrasings file; the first entry of each is the plain form."""

    model_config = ConfigDict(extra="forbid")

    about: str = ""
    media: dict[str, Phrases] = Field(description="Domain (movies, music) -> nouns for an item.")
    types: dict[str, Phrases] = Field(description="Attribute type -> words for it.")
    open: OpenPhrasings
    open_empty: Phrases = Field(min_length=1, description="Openings that name no value.")
    yes: Phrases = Field(min_length=1)
    no: Phrases = Field(min_length=1)
    choose_some: Phrases = Field(min_length=1, description="Some offered values taken, others not.")
    choose_all: Phrases = Field(min_length=1, description="Every offered value taken.")
    choose_none: Phrases = Field(min_length=1, description="No offered value taken.")
    reject: Phrases = Field(min_length=1, description="A list turned down.")
    accept_title: Phrases = Field(min_length=1)
    accept_ordinal: Phrases = Field(min_length=1)
    nudge: Phrases = Field(min_length=1, description="Naming one more value unasked.")
    nudge_empty: Phrases = Field(min_length=1, description="Asking for anything.")
    list_and: Phrases = Field(min_length=1, description="Words joining the last two wanted values.")
    list_or: Phrases = Field(min_length=1, description="Words joining the last two unwanted values.")
    ordinals: Phrases = Field(min_length=1, description="Position words, first = rank 1.")
    no_typos: Phrases = Field(
        default_factory=list,
        description="Words never misspelt: a typo would make a word of another sense (none -> one).",
    )

    @model_validator(mode="after")
    def _check_slots(self) -> Self:
        # Every list of phrases (the word lists among them hold no slots, so they pass).
        groups: dict[str, Phrases] = {name: value for name, value in self if isinstance(value, list)}
        groups["open.any"] = self.open.any
        groups |= {f"open.{kind}": phrases for kind, phrases in self.open.__pydantic_extra__.items()}
        for group, phrases in groups.items():
            for phrase in phrases:
                unknown = set(slots_of(phrase)) - SLOTS
                if unknown:
                    raise ValueError(
                        f"phrasing {phrase!r} in {group} uses unknown slot(s) {sorted(unknown)}; "
                        f"known: {sorted(SLOTS)}"
                    )
        return self


def load_phrasings(path: Path | None = None) -> PhrasingBook:
    """The phrasings of ``path``, or the packaged file; a clear error naming the file when it is bad."""
    if path is None:
        return _default_book()
    try:
        raw = path.read_text(encoding="utf-8")
    except OSError as error:
        raise ValueError(f"{path}: cannot read the phrasings file: {error.strerror}") from error
    return _parse(raw, str(path))


@cache
def _default_book() -> PhrasingBook:
    resource = files("crsagent.simulators") / "data" / "phrasings.json"
    return _parse(resource.read_text(encoding="utf-8"), "crsagent/simulators/data/phrasings.json")


def _parse(raw: str, where: str) -> PhrasingBook:
    try:
        return PhrasingBook.model_validate(json.loads(raw))
    except json.JSONDecodeError as error:
        raise ValueError(f"{where}: not JSON ({error.msg}, line {error.lineno})") from error
    except ValidationError as error:
        raise ValueError(f"{where}: not a valid phrasings file:\n{error}") from error
