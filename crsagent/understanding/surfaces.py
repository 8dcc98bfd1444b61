"""Every way a catalog's things can be written: titles, people, genres and their everyday words,
tags, decades and relative periods — as canonical word sequences (``understanding.text``).

One table of surfaces per catalog; the spotter compiles it into an Aho-Corasick automaton.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from enum import IntEnum
from functools import cache
from importlib import resources
from typing import Any

from wordfreq import zipf_frequency

from crsagent.data.catalog import Catalog
from crsagent.data.titles import parse_title
from crsagent.understanding import lexicon
from crsagent.understanding.message import fold_tokens
from crsagent.understanding.text import Text

PERSON_TYPES = ("director", "cast", "writer", "artist")
GENRE_TYPE = "genre"
PERIOD_TYPES = ("year", "decade")  # read as periods, never as words
TAG_TYPE = "tag"
_ARTICLES = frozenset({"the", "a", "an"})
# A surname alone names a person only when it is this rare in English (Zipf scale: 3 = once per
# million words; famous surnames score high through their owners): "Nolan" (3.6) yes, "Stone" (4.6)
# no; and only when its most popular owner has this many times the weight of the next.
SURNAME_MAX_ZIPF = 4.0
SURNAME_DOMINANCE = 2.0
# Words at least this frequent (about once in 100,000 words) are everyday words.
EVERYDAY_WORD_ZIPF = 5.0
# First names are shared far more often: only rare ones, owned many times over ("Denzel", "Keanu").
FIRST_NAME_MAX_ZIPF = 2.5
FIRST_NAME_DOMINANCE = 10.0


class Kind(IntEnum):
    """What a surface names; lower is more specific when two readings cover the same words."""

    TITLE_YEAR = 0  # "the matrix 1999"
    PERSON = 1  # "christopher nolan"
    TITLE = 2  # "the matrix", "matrix", "se7en"
    GENRE = 3  # "sci fi", "horror", "rom com"
    DECADE = 4  # "90s", "nineties"
    TITLE_PREFIX = 5  # "star wars" for "Star Wars: Episode IV - A New Hope"
    SURNAME = 6  # "nolan"
    RECENT = 7  # "newer", "recent"
    OLDER = 8  # "classic", "old" (over the user tag "classic")
    MOOD = 9  # "scary" -> Horror (soft)
    TAG = 10  # a user tag (soft)


TITLE_KINDS = frozenset({Kind.TITLE_YEAR, Kind.TITLE, Kind.TITLE_PREFIX})
HARD_KINDS = frozenset({Kind.PERSON, Kind.SURNAME, Kind.GENRE, Kind.DECADE})


@dataclass(frozen=True, slots=True)  # slots: a million-title catalog has two million entries
class Entry:
    """One reading of a surface."""

    kind: Kind
    target: str
    """Item id (titles), ``type:value`` key (values), decade start year (decades), '' (periods)."""
    weight: float
    """Popularity, to order readings of one surface."""


def words_of(name: str) -> str:
    """A name's canonical words joined by spaces (the surface key)."""
    return " ".join(Text.of(name).norms)


@cache
def commonness(key: str) -> float:
    """How often the words of ``key`` would occur together in English by chance (Zipf scale): a word's
    own frequency; for several words, their frequencies multiplied (as if independent), so "mean
    girls" (1.9) is rare as a phrase though both words are common."""
    zipfs = [zipf_frequency(word, "en") for word in key.split()]
    if all(z >= EVERYDAY_WORD_ZIPF for z in zipfs):
        # Everyday words together ("something else", "one i love") form everyday phrases: the
        # independence estimate would call them rare, so the rarest word decides.
        return min(zipfs)
    return sum(zipfs) - 9.0 * (len(zipfs) - 1)


@cache
def _lexicon(name: str) -> dict[str, Any]:
    data = resources.files("crsagent.understanding").joinpath("data", name).read_text(encoding="utf-8")
    return json.loads(data)


def genre_words() -> dict[str, dict[str, list[str]]]:
    """Genre -> {"hard": [...], "soft": [...]} everyday words (package data)."""
    return {k: v for k, v in _lexicon("genres.json").items() if not k.startswith("_")}


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


def value_spellings(value: str, *, person: bool) -> list[tuple[str, ...]]:
    """The word sequences a person would write for ``value``: as is, without hyphens, plural and
    singular (things), without middle initials and by surname (people), and everyday aliases."""
    base = fold_tokens(value)
    if not base:
        return []
    keys = [base, fold_tokens(value.replace("-", "").replace("'", ""))]
    if person:
        keys.append(tuple(word for word in base if len(word) > 1))
        if len(base) >= 2:
            keys.append((base[-1],))
    elif base[-1].isalpha():
        keys.append((*base[:-1], _plural(base[-1])))
        singular = _singular(base[-1])
        if singular and singular not in lexicon.STOPWORDS:
            keys.append((*base[:-1], singular))
    keys.extend(fold_tokens(alias) for alias in lexicon.ALIASES.get(value.casefold(), ()))
    return [key for key in dict.fromkeys(keys) if key]


class SurfaceTable:
    """surface key -> readings, built from one catalog."""

    def __init__(self) -> None:
        self.entries: dict[str, list[Entry]] = defaultdict(list)
        self.cued_surnames: dict[str, list[Entry]] = defaultdict(list)
        """Surnames too common in English to name a person alone ("Stone", "Hill"): a name only
        written with a capital right after a person cue ("something with Stone")."""

    def add(self, key: str, entry: Entry, *, cued_only: bool = False) -> None:
        if not key:
            return
        readings = (self.cued_surnames if cued_only else self.entries)[key]
        if all((e.kind, e.target) != (entry.kind, entry.target) for e in readings):
            readings.append(entry)

    @classmethod
    def from_catalog(cls, catalog: Catalog) -> SurfaceTable:
        table = cls()
        _add_titles(table, catalog)
        _add_values(table, catalog)
        if any(item.year is not None for item in catalog):
            _add_periods(table)
        for readings in table.entries.values():
            readings.sort(key=lambda e: (e.kind, -e.weight))
        return table


def _title_names(title: str) -> list[str]:
    """Keys of every name of a title, article dropped (the spotter lets an article precede any)."""
    keys: list[str] = []
    for name in parse_title(title).names:
        words = words_of(name).split()
        if len(words) > 1 and words[0] in _ARTICLES:
            words = words[1:]
        if words:
            keys.append(" ".join(words))
            if "-" in name and len(words) > 1:  # "Spider-Man" is also typed "spiderman"
                keys.append("".join(words))
    return list(dict.fromkeys(keys))


def _prefix(title: str) -> str | None:
    """The name before a subtitle ("Star Wars" of "Star Wars: Episode IV - A New Hope")."""
    main = parse_title(title).main
    for separator in (":", " - "):
        if separator in main:
            head = words_of(main.split(separator, 1)[0]).split()
            if head and head[0] in _ARTICLES and len(head) > 1:
                head = head[1:]
            return " ".join(head) if head else None
    return None


def _franchise(title: str) -> str | None:
    """The series name before "and the" ("Harry Potter" of "Harry Potter and the Goblet of Fire")."""
    words = words_of(parse_title(title).main).split()
    start = 1 if words[:1] and words[0] in _ARTICLES else 0  # "The Fox and the Hound": no series
    for index in range(start + 2, len(words) - 2):
        if words[index : index + 2] == ["and", "the"]:
            return " ".join(words[start:index])
    return None


def _add_franchises(table: SurfaceTable, catalog: Catalog) -> None:
    """A series name shared by two titles or more names the series' films, most popular first."""
    members: dict[str, list[tuple[float, str]]] = defaultdict(list)
    for item in catalog:
        head = _franchise(item.title)
        if head:
            members[head].append((float(item.popularity), item.id))
    for head, films in members.items():
        for weight, item_id in films if len(films) >= 2 else ():
            table.add(head, Entry(Kind.TITLE_PREFIX, item_id, weight))


def _add_titles(table: SurfaceTable, catalog: Catalog) -> None:
    _add_franchises(table, catalog)
    for item in catalog:
        weight = float(item.popularity)
        prefix = _prefix(item.title)
        keys = [(key, Kind.TITLE) for key in _title_names(item.title)]
        for key, kind in keys + ([(prefix, Kind.TITLE_PREFIX)] if prefix else []):
            table.add(key, Entry(kind, item.id, weight))
            if item.year is not None:
                table.add(f"{key} {item.year}", Entry(Kind.TITLE_YEAR, item.id, weight))


def _value_weights(catalog: Catalog) -> dict[tuple[str, str], float]:
    """Per (type, value): the summed popularity of the items that carry it, plus their count."""
    weights: dict[tuple[str, str], float] = defaultdict(float)
    for item in catalog:
        for attribute_type, values in item.attributes.items():
            for value in values:
                weights[attribute_type, value] += 1.0 + float(item.popularity)
    return weights


def _add_values(table: SurfaceTable, catalog: Catalog) -> None:
    weights = _value_weights(catalog)
    surnames: dict[str, list[tuple[float, str]]] = defaultdict(list)
    first_names: dict[str, list[tuple[float, str]]] = defaultdict(list)
    genres = set(catalog.vocabulary.get(GENRE_TYPE, []))
    for (attribute_type, value), weight in weights.items():
        key = words_of(value)
        if attribute_type in PERSON_TYPES:
            table.add(key, Entry(Kind.PERSON, f"{attribute_type}:{value}", weight))
            words = key.split()
            if len(words) > 1 and len(words[-1]) >= 4:
                surnames[words[-1]].append((weight, f"{attribute_type}:{value}"))
            if len(words) > 1 and len(words[0]) >= 4:
                first_names[words[0]].append((weight, f"{attribute_type}:{value}"))
        elif attribute_type == GENRE_TYPE:
            table.add(key, Entry(Kind.GENRE, f"{attribute_type}:{value}", weight))
        elif attribute_type not in (TAG_TYPE, *PERIOD_TYPES):
            # Any other attribute of a catalog (an imported one's brand, colour, type): a named value
            # filters like a genre, in every spelling a person writes ("sneakers" for "sneaker").
            for spelling in value_spellings(value, person=False):
                table.add(" ".join(spelling), Entry(Kind.GENRE, f"{attribute_type}:{value}", weight))
        elif attribute_type == TAG_TYPE:
            # User tags are sparse (soft); a catalog whose tags are its only attributes (crs-lastfm's
            # 33 curated ones) uses them as genres.
            kind = Kind.TAG if genres else Kind.GENRE
            if key not in lexicon.EVALUATIVE:
                table.add(key, Entry(kind, f"{attribute_type}:{value}", weight))
    for genre, words in genre_words().items():
        if genre not in genres:
            continue
        target = f"{GENRE_TYPE}:{genre}"
        weight = weights[GENRE_TYPE, genre]
        for phrase in words["hard"]:
            table.add(words_of(phrase), Entry(Kind.GENRE, target, weight))
        for phrase in words["soft"]:
            table.add(words_of(phrase), Entry(Kind.MOOD, target, weight))
    # A surname alone names its owner ("Nolan"), unless it is also someone's first name ("Seth").
    for surname, people in surnames.items():
        if len({t for _, t in first_names.get(surname, [])}) < 2:
            _add_owned(table, surname, people, cued_only=commonness(surname) > SURNAME_MAX_ZIPF)
    # A rare first name alone names its famous owner ("Denzel"), unless it is also a surname.
    for first, people in first_names.items():
        if commonness(first) <= FIRST_NAME_MAX_ZIPF and first not in surnames:
            _add_owned(table, first, people, dominance=FIRST_NAME_DOMINANCE)


def _add_owned(
    table: SurfaceTable,
    word: str,
    people: list[tuple[float, str]],
    dominance: float = 0.0,
    *,
    cued_only: bool = False,
) -> None:
    """``word`` as a name (a surname reading) for the person who clearly owns it in this catalog
    ("Nolan": Christopher, not Jonathan), under each of their roles."""
    by_name: dict[str, float] = defaultdict(float)
    for weight, target in people:
        by_name[target.split(":", 1)[1]] += weight
    ranked = sorted(by_name.items(), key=lambda pair: -pair[1])
    if len(ranked) > 1 and ranked[0][1] < (dominance or SURNAME_DOMINANCE) * ranked[1][1]:
        return
    for weight, target in people:
        if target.split(":", 1)[1] == ranked[0][0]:
            table.add(word, Entry(Kind.SURNAME, target, weight), cued_only=cued_only)


def _add_periods(table: SurfaceTable) -> None:
    periods = _lexicon("periods.json")  # decade spellings and relative period words
    for spelling, start in periods["decades"].items():
        entry = Entry(Kind.DECADE, str(start), 0.0)
        table.add(words_of(spelling), entry)
        table.add(words_of(spelling.replace("s", "") + " s") if spelling[0].isdigit() else "", entry)
    for phrase in periods["recent"]:
        table.add(words_of(phrase), Entry(Kind.RECENT, "", 0.0))
    for phrase in periods["older"]:
        table.add(words_of(phrase), Entry(Kind.OLDER, "", 0.0))
