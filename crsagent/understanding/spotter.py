"""The catalog spotter: every title, person, genre, decade and tag a message names, in one pass.

An Aho-Corasick automaton (pyahocorasick) holds every surface of the catalog (``surfaces``); a
message's canonical words are matched against it at once, then overlapping readings are resolved
longest first. Titles that are ordinary English ("Up", "Heat", "Her") need evidence before they
count: a capital letter mid-sentence, quotes, a year, a cue such as "loved" or "seen" just before,
or the message being little more than the title. Typos in titles after such a cue are found with
rapidfuzz. Readings of one surface are ordered by popularity (the item, or the person, people mean).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property

import ahocorasick
from rapidfuzz import fuzz, process
from rapidfuzz.distance import Levenshtein

from crsagent.data.catalog import Catalog
from crsagent.understanding.surfaces import (
    EVERYDAY_WORD_ZIPF,
    HARD_KINDS,
    TITLE_KINDS,
    Entry,
    Kind,
    SurfaceTable,
    commonness,
)
from crsagent.understanding.text import Text

# A title whose words are this common in English (Zipf scale) needs evidence that it is a title.
COMMON_TITLE_ZIPF = 3.5
# Words right before a title that say "a title follows" (canonical spellings).
TITLE_CUES = frozenset(
    {
        "like", "liked", "likes", "love", "loved", "loves", "enjoyed", "enjoy", "seen", "saw", "watched",
        "watch", "watching", "favorite", "favourite", "favorites", "favourites", "called", "titled",
        "recommend", "recommended", "suggest", "try", "about", "than", "movie", "movies", "film",
        "films", "adore", "adored", "hated", "hate", "dislike", "disliked", "remember", "rewatch",
        "rewatched", "fan", "abt", "bout", "including", "include", "check", "similar", "see", "lines",
    }
)  # fmt: skip
# Words right after a title that judge it ("X was great", "X isn't bad"): evidence for several-word titles.
TITLE_AFTER_CUES = frozenset(
    {"great", "good", "awesome", "amazing", "funny", "hilarious", "scary", "bad", "terrible", "fantastic",
     "classic", "favorite", "favourite", "best", "excellent", "brilliant", "boring", "overrated", "movie",
     "movies", "film", "films", "series", "sequel", "franchise", "trilogy", "another", "fan", "fans"}
)  # fmt: skip
CUE_WINDOW = 3
# Titles in a list ("halloween, get out, and shining"): members joined by these, and how many
# members prove a list of unproven titles.
_LIST_SEPARATOR = re.compile(r"\s*(?:,|&|/)?\s*(?:(?:and|or|n)\s+)?", re.IGNORECASE)
LIST_PROOF = 3
# A one-word title judged right after ("lincoln is another", "elf is a funny movie") counts when the
# word is this rare in English ("heat is great" stays the weather's).
SINGLE_TITLE_VERDICT_ZIPF = 4.5
# Words for the kind of item asked for ("a rock band", "a good film"): never a one-word title
# ("The Band", "Movie") unless written as one.
MEDIA_NOUNS = frozenset(
    {"band", "bands", "artist", "artists", "group", "singer", "song", "songs", "music", "album", "film",
     "films", "movie", "movies", "flick", "show", "series"}
)  # fmt: skip
FUNCTION_WORD_ZIPF = 5.5
FUZZY_MIN_SCORE = 88.0
FUZZY_MAX_WORDS = 6
# A misspelt name scores this against the person's (rapidfuzz ratio: "steven king" / "stephen
# king" is 87), over at most this many words.
FUZZY_PERSON_SCORE = 86.0
FUZZY_PERSON_WORDS = 3
# Words before a name that say a person follows: there a misspelt name needs no capital letter
# ("directed by cristopher nolan", "starring tom hanx").
PERSON_CUES = frozenset(
    {"by", "starring", "stars", "featuring", "feat", "with", "actor", "actress", "director", "directed"}
)
# A misspelt genre word must itself be rare in English ("horor" yes, "honor" no).
FUZZY_WORD_MAX_ZIPF = 2.5


@dataclass(frozen=True)
class Mention:
    """Something the message names, at words ``start:end``."""

    start: int
    end: int
    kind: Kind
    targets: tuple[str, ...]
    """Item ids (titles) or ``type:value`` keys (values), most likely first; the decade start for
    decades; empty for relative periods."""
    surface: str
    """The words as written."""
    char_start: int = 0
    char_end: int = 0
    """Where the words stand in the message."""
    fuzzy: bool = False

    @property
    def is_title(self) -> bool:
        return self.kind in TITLE_KINDS

    @property
    def hard(self) -> bool:
        """A named genre, person or decade (a filter); moods, tags and periods are soft (a score)."""
        return self.kind in HARD_KINDS


def _mention(
    message: Text, start: int, end: int, kind: Kind, targets: tuple[str, ...], fuzzy: bool = False
) -> Mention:
    words = message.words
    return Mention(
        start, end, kind, targets, message.span(start, end), words[start].start, words[end - 1].end, fuzzy
    )


@dataclass
class _Candidate:
    start: int
    end: int
    entries: list[Entry] = field(default_factory=list)

    @property
    def kind(self) -> Kind:
        return min(entry.kind for entry in self.entries)


def _lists(members: Sequence[_Candidate | Mention], message: Text) -> list[list[_Candidate | Mention]]:
    """Runs of members joined only by list separators (commas, "and", "or", "&"), in reading order."""
    ordered = sorted(members, key=lambda m: (m.start, -(m.end - m.start)))
    runs: list[list[_Candidate | Mention]] = []
    for member in ordered:
        last = runs[-1][-1] if runs else None
        if last is not None and member.start >= last.end:
            between = message.original[message.words[last.end - 1].end : message.words[member.start].start]
            if between.strip() and _LIST_SEPARATOR.fullmatch(between):
                runs[-1].append(member)
                continue
        if last is None or member.start >= last.end:
            runs.append([member])
    return [run for run in runs if len(run) > 1]


_VERDICTS = TITLE_AFTER_CUES - MEDIA_NOUNS - {"series", "sequel", "franchise", "trilogy", "fan", "fans"}


class CatalogSpotter:
    """Spots one catalog's things in messages (built once per catalog; thread-safe to read)."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self.table = SurfaceTable.from_catalog(catalog)

    def __getstate__(self) -> dict[str, object]:
        # Not the automaton: pyahocorasick's pickle takes ~0.8 GB more to read back at a million
        # titles than building it again from the table (2.6 s), which ``prepare`` does.
        return {name: value for name, value in vars(self).items() if name != "automaton"}

    @cached_property
    def automaton(self) -> ahocorasick.Automaton:
        automaton = ahocorasick.Automaton()
        for key in self.table.entries:
            automaton.add_word(f" {key} ", key)
        automaton.make_automaton()
        return automaton

    @cached_property
    def _title_keys(self) -> list[str]:
        """Title surfaces of two or more letters, for fuzzy matching."""
        return [
            key
            for key, entries in self.table.entries.items()
            if len(key) >= 5 and any(e.kind is Kind.TITLE for e in entries)
        ]

    @cached_property
    def _genre_words(self) -> list[str]:
        """One-word genre and mood surfaces long enough to spell wrong ("horor", "comdy")."""
        return [
            key
            for key, entries in self.table.entries.items()
            if " " not in key and len(key) >= 5 and any(e.kind in (Kind.GENRE, Kind.MOOD) for e in entries)
        ]

    @cached_property
    def _person_keys(self) -> list[str]:
        """Full names (two words or more), for misspelt people ("Jennifer Lawerence", "robert deniro")."""
        return [
            key
            for key, entries in self.table.entries.items()
            if " " in key and any(e.kind is Kind.PERSON for e in entries)
        ]

    @cached_property
    def _attribute_names(self) -> frozenset[str]:
        """The catalog's own words for its kinds of values ("tag", "genre", "director"): like "movie",
        never a one-word title unless written as one ("with tag emotional" is no "Tag" (2018))."""
        names = {" ".join(Text.of(name.replace("_", " ")).norms) for name in self.catalog.vocabulary}
        return frozenset(names | {name + "s" for name in names})

    def prepare(self) -> CatalogSpotter:
        """Builds the automaton and the fuzzy lists now, not on the first message."""
        _ = self.automaton, self._title_keys, self._genre_words, self._person_keys, self._attribute_names
        return self

    def _fuzzy_people(self, message: Text, taken: list[bool]) -> list[Mention]:
        """A misspelt full name written with a capital or after a cue word ("starring"): two or
        three words close to a person's name ("Steven King", "M. Night Shamalayn")."""
        found: list[Mention] = []
        for index in range(len(message) - 1):
            cued = index > 0 and message.norms[index - 1] in PERSON_CUES
            if taken[index] or not (cued or message.capitalised(index)):
                continue
            best: tuple[float, int, str] | None = None
            for end in range(index + 2, min(len(message), index + FUZZY_PERSON_WORDS) + 1):
                if any(taken[index:end]) or len(message.norms[end - 1]) < 3:
                    break
                query = " ".join(message.norms[index:end])
                match = process.extractOne(
                    query, self._person_keys, scorer=fuzz.ratio, score_cutoff=FUZZY_PERSON_SCORE
                )
                if match is not None and (best is None or match[1] > best[0]):
                    best = (match[1], end, match[0])
            if best is None:
                continue
            _, end, key = best
            entries = sorted(
                (e for e in self.table.entries[key] if e.kind is Kind.PERSON), key=lambda e: -e.weight
            )
            found.append(
                _mention(message, index, end, Kind.PERSON, tuple(e.target for e in entries), fuzzy=True)
            )
            taken[index:end] = [True] * (end - index)
        return found

    # --- spotting --------------------------------------------------------------------------------
    def spot(self, text: str | Text, *, expect: Sequence[str] = ()) -> list[Mention]:
        """Mentions in reading order, none overlapping. ``expect``: item ids the context makes likely
        (the items just shown): a common-word title among them needs no other evidence."""
        message = text if isinstance(text, Text) else Text.of(text)
        if not message.words:
            return []
        candidates = self._candidates(message)
        chosen: list[Mention] = []
        taken = [False] * len(message)
        expected = set(expect)
        unproven: list[_Candidate] = []
        for candidate in sorted(candidates, key=lambda c: (-(c.end - c.start), c.kind, c.start)):
            if any(taken[candidate.start : candidate.end]):
                continue
            mention = self._reading(message, candidate, expected)
            if mention is None:
                unproven.append(candidate)
                continue
            chosen.append(mention)
            taken[mention.start : mention.end] = [True] * (mention.end - mention.start)
        chosen.extend(self._listed_titles(message, unproven, chosen, taken))
        # A capitalised name close to a person's beats a title close to its first word ("I like
        # Jennifer Lawerence" is no "Jennifer 8").
        chosen.extend(self._fuzzy_people(message, taken))
        chosen.extend(self._fuzzy_titles(message, taken))
        chosen.extend(self._fuzzy_genres(message, taken))
        chosen.extend(self._cued_surnames(message, taken))
        return sorted(chosen, key=lambda m: m.start)

    def _candidates(self, message: Text) -> list[_Candidate]:
        found: list[_Candidate] = []
        offsets = message.word_at_offset
        for end_offset, key in self.automaton.iter(message.padded):
            # The match " key " ends at end_offset (its trailing space); its first word starts
            # one character after the leading space.
            first = end_offset - len(key) - 1 + 1
            start = offsets.get(first)
            if start is None:
                continue
            length = key.count(" ") + 1
            found.append(_Candidate(start, start + length, list(self.table.entries[key])))
        return found

    def _reading(self, message: Text, candidate: _Candidate, expected: set[str]) -> Mention | None:
        """The candidate's best reading, or None when a common-word title lacks evidence."""
        entries = candidate.entries
        kind = candidate.kind
        if kind in TITLE_KINDS:
            titles = [e for e in entries if e.kind == kind]
            if kind is not Kind.TITLE_YEAR and not self._title_evidence(message, candidate, titles, expected):
                others = [e for e in entries if e.kind not in TITLE_KINDS]
                if not others:
                    return None
                entries, kind = others, min(e.kind for e in others)
            else:
                entries = titles
        start = candidate.start
        # "the matrix": the article belongs to the title when the catalog key dropped it.
        if kind in TITLE_KINDS and start > 0 and message.norms[start - 1] in ("the", "a", "an"):
            start -= 1
        soft = (Kind.MOOD, Kind.TAG)
        same_kind = [e for e in entries if e.kind == kind or (kind in soft and e.kind in soft)]
        preferred = [e for e in same_kind if e.target in expected]
        ordered = preferred + sorted((e for e in same_kind if e not in preferred), key=lambda e: -e.weight)
        targets = tuple(dict.fromkeys(e.target for e in ordered))
        return _mention(message, start, candidate.end, kind, targets)

    def _title_evidence(
        self, message: Text, candidate: _Candidate, titles: list[Entry], expected: set[str]
    ) -> bool:
        key = " ".join(message.norms[candidate.start : candidate.end])
        # One-word titles that are function words ("It", "Up", "Them!", "Her", "Big") count only as
        # written (a capital mid-sentence) or said alone: a cue word before "it" proves nothing.
        short = candidate.end - candidate.start == 1 and (
            len(key) <= 3
            or commonness(key) >= FUNCTION_WORD_ZIPF
            or key in MEDIA_NOUNS
            or key in self._attribute_names
        )
        # Words that also name a genre or a person ("Romance", "Electronic") are read as those unless
        # quoted or just shown: a cue word or a capital is not enough.
        # A surname rivals only a title less known than its owner ("Goldfinger" is the 1964 film
        # before it is a writer of two obscure ones).
        best_title = max(e.weight for e in titles)
        rival = any(
            e.kind in (Kind.GENRE, Kind.PERSON) or (e.kind is Kind.SURNAME and e.weight > best_title)
            for e in candidate.entries
        )
        if commonness(key) < COMMON_TITLE_ZIPF and not short and not rival:
            return True
        if rival:  # "a Romance film", "anything electronic?": the genre, unless quoted or just shown
            return any(e.target in expected for e in titles) or self._quoted(message, candidate)
        words = range(candidate.start, candidate.end)
        if any(e.target in expected for e in titles) and not short:
            return True
        if len(key) == 1 and key.isalpha():  # "I" (always a capital), "a": a one-letter title only quoted
            return self._quoted(message, candidate)
        if short:  # "it", "up", "her": only as written ("It", "UP") or said alone, or a rare one judged
            verdict = set(message.norms[candidate.end : candidate.end + CUE_WINDOW]) & _VERDICTS
            return (
                any(message.capitalised(i) and not message.sentence_start(i) for i in words)
                or len(message) == 1
                or (len(key) == 3 and commonness(key) < SINGLE_TITLE_VERDICT_ZIPF and bool(verdict))
            )  # "elf is a funny movie"; "any of hem" (them) is no band Hem
        if self._written_as_title(message, candidate):
            return True
        cue_from = max(0, candidate.start - CUE_WINDOW)
        if not rival and any(word in TITLE_CUES for word in message.norms[cue_from : candidate.start]):
            return True
        after = message.norms[candidate.end : candidate.end + CUE_WINDOW]
        several = candidate.end - candidate.start > 1
        # One rare word judged right after ("elf is a funny movie") counts; one followed by a word for
        # films ("a good alien movie") is a kind of film more often than a title.
        cues = TITLE_AFTER_CUES if several else _VERDICTS
        if (
            (several or commonness(key) < SINGLE_TITLE_VERDICT_ZIPF)
            and not rival
            and any(word in cues for word in after)
        ):
            return True  # "mean girls was great too", "elf is a funny movie"
        # The message is (nearly) just the title: an answer such as "heat" or "Up!" — but not an
        # everyday phrase ("nope, anything else?" does not name "Anything Else").
        return len(message) - (candidate.end - candidate.start) <= 1 and commonness(key) < EVERYDAY_WORD_ZIPF

    @staticmethod
    def _written_as_title(message: Text, candidate: _Candidate) -> bool:
        """A capital mid-sentence, every word capitalised, or quotes / emphasis just before."""
        words = range(candidate.start, candidate.end)
        if any(message.capitalised(i) and not message.sentence_start(i) for i in words):
            return True
        if all(message.capitalised(i) for i in words) and candidate.end - candidate.start > 1:
            return True
        return CatalogSpotter._quoted(message, candidate)

    @staticmethod
    def _quoted(message: Text, candidate: _Candidate) -> bool:
        before = message.original[: message.words[candidate.start].start].rstrip()
        return before.endswith(('"', "“", "'", "‘", "*"))

    def _listed_titles(
        self, message: Text, unproven: list[_Candidate], chosen: list[Mention], taken: list[bool]
    ) -> list[Mention]:
        """Titles that lacked evidence alone but stand in a list of titles: "halloween, get out, and
        shining", "heat and manhunter". A list proves itself with a title already found in it, or with
        three members."""
        pool = [c for c in unproven if not self._function_word(message, c)]
        found: list[Mention] = []
        for chain in _lists([*pool, *(m for m in chosen if m.is_title)], message):
            proven = any(isinstance(member, Mention) for member in chain) or len(chain) >= LIST_PROOF
            for member in chain if proven else ():
                if isinstance(member, _Candidate) and not any(taken[member.start : member.end]):
                    titles = sorted(
                        (e for e in member.entries if e.kind in TITLE_KINDS), key=lambda e: -e.weight
                    )
                    targets = tuple(dict.fromkeys(e.target for e in titles))
                    found.append(_mention(message, member.start, member.end, Kind.TITLE, targets))
                    taken[member.start : member.end] = [True] * (member.end - member.start)
        return found

    @staticmethod
    def _function_word(message: Text, candidate: _Candidate) -> bool:
        key = " ".join(message.norms[candidate.start : candidate.end])
        return candidate.end - candidate.start == 1 and (
            len(key) <= 2 or commonness(key) >= FUNCTION_WORD_ZIPF or key in MEDIA_NOUNS
        )

    def _cued_surnames(self, message: Text, taken: list[bool]) -> list[Mention]:
        """A common-word surname written with a capital after a person cue: "something with Stone"."""
        found: list[Mention] = []
        for index in range(1, len(message)):
            entries = self.table.cued_surnames.get(message.norms[index])
            if (
                entries
                and not taken[index]
                and message.norms[index - 1] in PERSON_CUES
                and message.capitalised(index)
            ):
                targets = tuple(e.target for e in sorted(entries, key=lambda e: -e.weight))
                found.append(_mention(message, index, index + 1, Kind.SURNAME, targets))
                taken[index] = True
        return found

    def _fuzzy_genres(self, message: Text, taken: list[bool]) -> list[Mention]:
        """A genre word one edit away ("thriler", "horor") that is no English word itself."""
        found: list[Mention] = []
        for index, word in enumerate(message.norms):
            if taken[index] or len(word) < 4 or not word.isalpha() or commonness(word) >= FUZZY_WORD_MAX_ZIPF:
                continue
            match = process.extractOne(word, self._genre_words, scorer=Levenshtein.distance, score_cutoff=1)
            if match is None:
                continue
            entries = [e for e in self.table.entries[match[0]] if e.kind in (Kind.GENRE, Kind.MOOD)]
            kind = min(e.kind for e in entries)
            targets = tuple(e.target for e in entries if e.kind == kind)
            found.append(_mention(message, index, index + 1, kind, targets, fuzzy=True))
            taken[index] = True
        return found

    def _fuzzy_titles(self, message: Text, taken: list[bool]) -> list[Mention]:
        """Misspelt titles right after a cue word ("i loved the matrx"), matched with rapidfuzz."""
        found: list[Mention] = []
        index = 0
        while index < len(message):
            after_title = message.norms[index] in ("and", "or") and index > 0 and taken[index - 1]
            if (message.norms[index] not in TITLE_CUES and not after_title) or taken[index]:
                index += 1
                continue
            start = index + 1
            if start < len(message) and message.norms[start] in ("the", "a", "an"):
                start += 1
            best: tuple[float, int, str] | None = None
            for end in range(start + 1, min(len(message), start + FUZZY_MAX_WORDS) + 1):
                if any(taken[start:end]):
                    break
                query = " ".join(message.norms[start:end])
                if len(query) < 5 or (end - start == 1 and commonness(query) >= FUZZY_WORD_MAX_ZIPF):
                    continue  # one real English word is no typo of a title ("slash" is no "Splash")
                match = process.extractOne(
                    query, self._title_keys, scorer=fuzz.ratio, score_cutoff=FUZZY_MIN_SCORE
                )
                if match is not None and (best is None or match[1] > best[0]):
                    best = (match[1], end, match[0])
            if best is None:
                index += 1
                continue
            _, end, key = best
            entries = [e for e in self.table.entries[key] if e.kind is Kind.TITLE]
            targets = tuple(e.target for e in sorted(entries, key=lambda e: -e.weight))
            found.append(_mention(message, start, end, Kind.TITLE, targets, fuzzy=True))
            taken[start:end] = [True] * (end - start)
            index = end
        return found
