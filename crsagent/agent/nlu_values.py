"""A multi-type index of the catalog's attribute values for spotting them in free text.

Every value is indexed under its folded tokens plus variants a person would write: plurals and
singulars ("musicals"), hyphen-free spellings ("scifi"), general English aliases ("science
fiction"), names without middle initials and, for people, the surname when one person dominates
it ("Nolan"). Typos are corrected per token against the index's own words before lookup.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from enum import IntEnum
from functools import cached_property

from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA

from crsagent.agent import nlu_lexicon as lexicon
from crsagent.agent.nlu_text import fold_tokens
from crsagent.data.catalog import Catalog

# A word seen in lower case this often in item texts is ordinary English, not a name.
_COMMON_IN_TEXT = 2
# Per message: at most this many unknown words are typo-corrected (bounds work on junk input).
MAX_CORRECTIONS = 24
_LOWER_WORD = re.compile(r"\b[a-z]+\b")


class Kind(IntEnum):
    """How a key names a value; lower is more direct."""

    FULL = 0
    VARIANT = 1
    ALIAS = 2
    SURNAME = 3


@dataclass(frozen=True, slots=True)
class Entry:
    """One value reachable from a key."""

    type: str
    value: str
    kind: Kind
    weight: int
    """Items carrying the value (breaks ties between people sharing a name or surname)."""


def _plural(word: str) -> str:
    if word.endswith("y") and len(word) > 2 and word[-2] not in "aeiou":
        return word[:-1] + "ies"
    if word.endswith(("s", "x", "z", "ch", "sh")):
        return word + "es"
    return word + "s"


def _singular(word: str) -> str | None:
    if len(word) <= 3 or word.endswith("ss"):
        return None
    if word.endswith("ies"):
        return word[:-3] + "y"
    if word.endswith("s"):
        return word[:-1]
    return None


def value_keys(value: str, *, person: bool) -> list[tuple[tuple[str, ...], Kind]]:
    """The keys under which a value is found (without surnames and aliases)."""
    base = fold_tokens(value)
    if not base:
        return []
    keys = [(base, Kind.FULL)]
    joined = fold_tokens(value.replace("-", "").replace("'", ""))
    if joined != base:
        keys.append((joined, Kind.VARIANT))
    if person:
        without_initials = tuple(word for word in base if len(word) > 1)
        if len(without_initials) >= 2 and without_initials != base:
            keys.append((without_initials, Kind.VARIANT))
        return keys
    last = base[-1]
    if last.isalpha():
        keys.append(((*base[:-1], _plural(last)), Kind.VARIANT))
        singular = _singular(last)
        if singular and singular not in lexicon.STOPWORDS:
            keys.append(((*base[:-1], singular), Kind.VARIANT))
    return keys


class ValueIndex:
    """Folded token sequences -> attribute values of every type (``year`` is left to the year parser)."""

    def __init__(self, catalog: Catalog, *, skip_types: Iterable[str] = ("year",)) -> None:
        self.catalog = catalog
        self.skip_types = frozenset(skip_types)

    @cached_property
    def types(self) -> list[str]:
        """Indexed attribute types."""
        return [t for t in self.catalog.vocabulary if t not in self.skip_types]

    @cached_property
    def person_types(self) -> frozenset[str]:
        """Indexed types whose values are people."""
        return frozenset(t for t in self.types if t in lexicon.PERSON_TYPES)

    @cached_property
    def entries(self) -> dict[tuple[str, ...], list[Entry]]:
        """Key -> values it names."""
        index: dict[tuple[str, ...], list[Entry]] = defaultdict(list)
        counts = self.catalog.value_counts
        for attribute_type in self.types:
            person = attribute_type in self.person_types
            for value in self.catalog.vocabulary[attribute_type]:
                weight = counts[attribute_type][value]
                for key, kind in value_keys(value, person=person):
                    index[key].append(Entry(attribute_type, value, kind, weight))
        full_keys = set(index)
        for attribute_type in self.types:
            if attribute_type in self.person_types:
                self._add_surnames(index, attribute_type)
                continue
            for value in self.catalog.vocabulary[attribute_type]:
                for alias in lexicon.ALIASES.get(value.casefold(), ()):
                    key = fold_tokens(alias)
                    if key not in full_keys:
                        weight = counts[attribute_type][value]
                        index[key].append(Entry(attribute_type, value, Kind.ALIAS, weight))
        return dict(index)

    def _add_surnames(self, index: dict[tuple[str, ...], list[Entry]], attribute_type: str) -> None:
        counts = self.catalog.value_counts[attribute_type]
        by_surname: dict[str, list[str]] = defaultdict(list)
        for value in self.catalog.vocabulary[attribute_type]:
            words = fold_tokens(value)
            if len(words) >= 2 and len(words[-1]) >= 3:
                by_surname[words[-1]].append(value)
        for surname, values in by_surname.items():
            if self._first_names[surname] >= max(2, len(values)):
                continue  # "Tom" is a first name far more often than a surname
            ranked = sorted(values, key=lambda v: -counts[v])
            # A surname names a person only when one of its bearers dominates ("Hanks" is Tom).
            if len(ranked) == 1 or counts[ranked[0]] >= 2 * counts[ranked[1]]:
                index[(surname,)].append(Entry(attribute_type, ranked[0], Kind.SURNAME, counts[ranked[0]]))

    @cached_property
    def _first_names(self) -> Counter[str]:
        """How many people (of any person type) have each first name."""
        names = {value for t in self.person_types for value in self.catalog.vocabulary[t]}
        return Counter(words[0] for value in names if len(words := fold_tokens(value)) >= 2)

    @cached_property
    def _folded_people(self) -> dict[str, tuple[list[str], list[str]]]:
        """Person type -> (folded names, names), for fuzzy lookup."""
        return {
            t: (
                [" ".join(fold_tokens(v)) for v in self.catalog.vocabulary[t]],
                list(self.catalog.vocabulary[t]),
            )
            for t in self.person_types
        }

    def fuzzy(self, attribute_type: str, text: str, *, cutoff: float = 88.0) -> str | None:
        """The person of ``attribute_type`` whose folded name is closest to ``text`` (ratio >= cutoff)."""
        if attribute_type not in self._folded_people:
            return None
        folded, names = self._folded_people[attribute_type]
        match = process.extractOne(text, folded, scorer=fuzz.ratio, score_cutoff=cutoff)
        return names[match[2]] if match is not None else None

    @cached_property
    def _longest_by_first_word(self) -> dict[str, int]:
        longest: dict[str, int] = {}
        for key in self.entries:
            longest[key[0]] = max(longest.get(key[0], 0), len(key))
        return longest

    def longest_key_from(self, word: str) -> int:
        """Length of the longest key starting with ``word`` (0: no value starts with it)."""
        return self._longest_by_first_word.get(word, 0)

    @cached_property
    def common_words(self) -> frozenset[str]:
        """Ordinary English words: stop words, the lexicon's words, lower-case words of item texts."""
        counts: Counter[str] = Counter()
        for item in self.catalog:
            if item.text:
                counts.update(_LOWER_WORD.findall(item.text))
        words = {word for word, count in counts.items() if count >= _COMMON_IN_TEXT}
        return frozenset(words | lexicon.STOPWORDS | lexicon.MEDIA_NOUNS | lexicon.SOCIAL | lexicon.FILLERS)

    @cached_property
    def _known_words(self) -> frozenset[str]:
        return frozenset({word for key in self.entries for word in key} | self.common_words)

    @cached_property
    def _correction_targets(self) -> dict[tuple[str, int], list[tuple[str, int]]]:
        """(first letter, length) -> (index word, total weight) for typo correction."""
        weights: Counter[str] = Counter()
        for key, entries in self.entries.items():
            for word in key:
                if word.isalpha() and len(word) >= 4:
                    weights[word] += sum(entry.weight for entry in entries)
        buckets: dict[tuple[str, int], list[tuple[str, int]]] = defaultdict(list)
        for word, weight in weights.items():
            buckets[(word[0], len(word))].append((word, weight))
        return dict(buckets)

    def correct(self, norms: list[str]) -> list[str]:
        """``norms`` with unknown words of 5+ letters replaced by the closest index word, if close."""
        corrected = list(norms)
        attempts = 0
        for position, word in enumerate(norms):
            if len(word) < 5 or not word.isalpha() or word in self._known_words:
                continue
            attempts += 1
            if attempts > MAX_CORRECTIONS:
                break
            allowed = 1 if len(word) <= 7 else 2
            best: tuple[int, int, str] | None = None
            for length in range(len(word) - allowed, len(word) + allowed + 1):
                for candidate, weight in self._correction_targets.get((word[0], length), ()):
                    distance = OSA.distance(word, candidate, score_cutoff=allowed)
                    if distance <= allowed and (best is None or (distance, -weight) < best[:2]):
                        best = (distance, -weight, candidate)
            if best is not None:
                corrected[position] = best[2]
        return corrected

    def lookup(self, key: tuple[str, ...]) -> list[Entry]:
        """Values named by exactly this key."""
        return self.entries.get(key, [])

    def find(self, spellings: Iterable[str], types: Iterable[str]) -> tuple[str, str] | None:
        """The first ``(type, value)`` spelled as one of ``spellings`` (full match) among ``types``."""
        wanted = list(types)
        for spelling in spellings:
            for entry in self.lookup(fold_tokens(spelling)):
                if entry.type in wanted and entry.kind <= Kind.VARIANT:
                    return entry.type, entry.value
        return None

    def type_rank(self, attribute_type: str) -> int:
        """Preference among types matching the same words: genre, people, others, tags."""
        if attribute_type in lexicon.TYPE_ORDER:
            return lexicon.TYPE_ORDER.index(attribute_type)
        if attribute_type in lexicon.LAST_TYPES:
            return 100
        return 50

    def choose(self, entries: list[Entry], prefer: Iterable[str] = ()) -> Entry:
        """The entry meant, from several a key names.

        Among people, the most frequent reading wins unless a reading in an earlier type has at
        least half its items ("Tom Hanks" is cast, "Quentin Tarantino" a director); then the
        preferred types (asked about, named by a cue), then genre over people over tags.
        """
        preferred = list(prefer)
        people = [e for e in entries if e.type in self.person_types and e.type not in preferred]
        others = [e for e in entries if e.type not in self.person_types or e.type in preferred]
        if people:
            top = max(e.weight for e in people)
            strong = [e for e in people if 2 * e.weight >= top]
            others.append(min(strong, key=lambda e: (self.type_rank(e.type), e.kind, -e.weight)))

        def order(entry: Entry) -> tuple[int, int, int, int]:
            rank = preferred.index(entry.type) if entry.type in preferred else len(preferred)
            return rank, self.type_rank(entry.type), entry.kind, -entry.weight

        return min(others, key=order)
