"""Mapping what a person or an LLM writes ("comedy", "nolan") onto the catalog's attribute values."""

from __future__ import annotations

from functools import cached_property

from rapidfuzz import fuzz, process, utils

from crsagent.data.catalog import Catalog
from crsagent.errors import CrsAgentError


class UnknownValueError(CrsAgentError):
    """A value that matches no attribute value of the catalog; the message offers close ones."""


class Vocabulary:
    """Case-, accent- and typo-tolerant lookup of attribute values, per attribute type."""

    def __init__(self, catalog: Catalog, *, fuzzy_cutoff: float = 88.0) -> None:
        self.catalog = catalog
        self.fuzzy_cutoff = fuzzy_cutoff

    @cached_property
    def _folded(self) -> dict[str, dict[str, str]]:
        """type -> folded value -> value."""
        return {
            t: {utils.default_process(v): v for v in values} for t, values in self.catalog.vocabulary.items()
        }

    @cached_property
    def _by_last_word(self) -> dict[str, dict[str, list[str]]]:
        """type -> last word ("nolan") -> values ending in it, for people named by surname."""
        index: dict[str, dict[str, list[str]]] = {attribute_type: {} for attribute_type in self._folded}
        for attribute_type, folded in self._folded.items():
            for key, value in folded.items():
                if len(parts := key.split()) > 1:
                    index[attribute_type].setdefault(parts[-1], []).append(value)
        return index

    def resolve(self, attribute_type: str, text: str) -> str:
        """The catalog's spelling of ``text`` under ``attribute_type``; ``UnknownValueError`` if none."""
        if attribute_type not in self._folded:
            known = ", ".join(self.catalog.vocabulary) or "none"
            raise UnknownValueError(f"unknown attribute type {attribute_type!r} (known: {known})")
        folded = self._folded[attribute_type]
        key = utils.default_process(text)
        if key in folded:
            return folded[key]
        by_surname = self._by_last_word[attribute_type].get(key, [])
        if len(by_surname) == 1:
            return by_surname[0]
        match = process.extractOne(key, list(folded), scorer=fuzz.ratio, score_cutoff=self.fuzzy_cutoff)
        if match is not None:
            return folded[match[0]]
        close = process.extract(key, list(folded), scorer=fuzz.WRatio, limit=5)
        suggestions = ", ".join(repr(folded[c[0]]) for c in close) or "none"
        raise UnknownValueError(f"{text!r} is not a known {attribute_type} (closest: {suggestions})")
