"""Vague words by meaning: "mind-bending", "feel-good", "tense" -> the catalog's genres and tags, as soft values.

The offline NLU reads what the catalog spells out; the words it leaves over (its residual) may still
say what the person wants in words no catalog has. ``VagueMatcher`` embeds the catalog's soft
vocabulary once (every genre by its name and its everyday words, every user tag; stored on disk per
catalog and model) and returns, for each leftover phrase, the closest values above a cosine
threshold. The embedding function is given by the caller (the agent runtime owns the models), so this
layer needs none: anything mapping texts to unit-length rows works.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from pydantic import BaseModel, ConfigDict, Field
from rapidfuzz.distance import OSA
from wordfreq import zipf_frequency

from crsagent.data.catalog import Catalog
from crsagent.pickle_cache import cached_build, keyed_path
from crsagent.understanding import lexicon
from crsagent.understanding.message import Message, fold_tokens
from crsagent.understanding.surfaces import genre_words

logger = logging.getLogger(__name__)

Embed = Callable[[list[str]], NDArray[np.float32]]
"""Texts -> a (len(texts), dim) matrix of L2-normalised rows (a dot product is the cosine)."""

# Attribute types whose values are moods and themes a vague word can lean to (people and years are not).
SOFT_TYPES = ("genre", "tag")
# Punctuation that joins the words of one phrase ("sci/fi").
_JOINERS = frozenset({"-", "/", "'"})
# Words rarer than this (Zipf scale: 2 is about once per 100 million words) are mostly typos; the
# template user's "sugegstions" and "suonds" lay close to Thriller.
MIN_WORD_ZIPF = 2.0
_LONG_MEDIA_NOUNS = tuple(noun for noun in lexicon.MEDIA_NOUNS if len(noun) >= 5)
# Words about items in general, about the chat, or praise, not a mood or a theme: on the ReDial valid
# split "genre", "stories", "weekend" and "excellent" lay close to some value without meaning it; the template
# user's "a rock musician" (crs-lastfm) named the tag "vocalist".
_TALK_WORDS = frozenset(
    {
        "actor", "amazing", "awesome", "brilliant", "excellent", "fantastic", "incredible", "interesting",
        "super", "terrific", "wonderful", "actors", "actress", "actresses", "author", "authors", "cast",
        "character", "characters", "director", "directors", "choice", "choices", "day", "days", "evening",
        "genre", "genres", "idea", "ideas", "keyword", "keywords", "musician", "musicians", "night",
        "option", "options", "plot", "plots", "recommendation", "recommendations", "role", "roles",
        "scene", "scenes", "screenwriter", "screenwriters", "stories", "story", "suggestion",
        "suggestions", "tag", "tags", "theme", "themes", "time", "times", "today", "tonight", "week",
        "weekend", "year", "writer", "writers", "years",
    }
)  # fmt: skip


class VagueConfig(BaseModel):
    """Limits of the matcher; the threshold was tuned on the ReDial valid split (docs/results/redial.md)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    threshold: float = Field(
        default=0.7, gt=0.0, lt=1.0, description="Least cosine similarity of a phrase and a value."
    )
    max_values: int = Field(default=3, ge=1, le=20, description="Values added per message, closest first.")
    max_phrases: int = Field(default=8, ge=1, le=64, description="Leftover phrases embedded per message.")
    max_phrase_words: int = Field(default=4, ge=1, le=16, description="Words kept of a longer leftover run.")
    phrase_cache: int = Field(
        default=4096, ge=0, description="Phrase vectors kept in memory (replayed dialogues repeat them)."
    )


@dataclass(frozen=True, slots=True)
class VagueMatch:
    """One leftover phrase and a value it means."""

    phrase: str
    type: str
    value: str
    similarity: float

    def describe(self) -> str:
        return f"{self.phrase!r} -> {self.type}:{self.value} ({self.similarity:.2f})"


@dataclass
class VagueVocabulary:
    """The catalog's soft values, each with the texts that describe it, and their vectors."""

    values: list[tuple[str, str]]
    """(type, value) per value."""
    texts: list[str]
    owners: NDArray[np.int64]
    """Per text, the index of its value in ``values`` (texts of one value are contiguous)."""
    vectors: NDArray[np.float32]


def vocabulary_texts(catalog: Catalog) -> tuple[list[tuple[str, str]], list[str], list[int]]:
    """The soft values of ``catalog`` and their describing texts: a genre's name and everyday words
    (package data), a tag's own spelling."""
    vocabulary = catalog.vocabulary
    everyday = genre_words()
    values: list[tuple[str, str]] = []
    texts: list[str] = []
    owners: list[int] = []
    for attribute_type in SOFT_TYPES:
        for value in vocabulary.get(attribute_type, []):
            if not value.strip() or value.startswith("("):  # "(no genres listed)" means nothing
                continue
            words = [value]
            if attribute_type == "genre":
                spec = everyday.get(value, {})
                words += [w for w in (*spec.get("hard", []), *spec.get("soft", [])) if w]
            seen: set[str] = set()
            unique = [w for w in words if not (w.lower() in seen or seen.add(w.lower()))]
            owners.extend([len(values)] * len(unique))
            texts.extend(unique)
            values.append((attribute_type, value))
    return values, texts, owners


def residual_phrases(message: Message, residual: Sequence[int], negated: Sequence[bool]) -> list[str]:
    """The leftover words as phrases: runs of adjacent residual tokens (joined across hyphens and
    slashes), negated words left out (a soft value cannot be refused)."""
    kept = [i for i in residual if not negated[i] and _may_mean_something(message.norms[i])]
    runs: list[list[int]] = []
    for index in kept:
        if runs and all(message.norms[j] in _JOINERS for j in range(runs[-1][-1] + 1, index)):
            runs[-1].append(index)
        else:
            runs.append([index])
    phrases = []
    for run in runs:
        start, end = run[0], run[-1] + 1
        # A hyphenated word is read whole even when the reader took one half ("mind" of "mind-bending").
        while start > 0 and _joined(message, start - 1):
            start -= 1
        while end < len(message) and _joined(message, end - 1):
            end += 1
        phrases.append(message.surface(start, end).lower())
    return list(dict.fromkeys(phrases))


def _may_mean_something(word: str) -> bool:
    """False for words about items in general, typos of them ("movei", "move" for movie) and strings
    too rare to be words (other typos: "sugegstions"): a model would still find a nearest value."""
    if word in _TALK_WORDS or zipf_frequency(word, "en") < MIN_WORD_ZIPF:
        return False
    return len(word) < 4 or not any(
        OSA.distance(word, noun, score_cutoff=1) <= 1 for noun in _LONG_MEDIA_NOUNS
    )


def _joined(message: Message, index: int) -> bool:
    """True when word ``index`` and the next are one hyphenated word ("feel-good")."""
    first, second = message.tokens[index], message.tokens[index + 1]
    return first.is_word and second.is_word and message.text[first.end : second.start] == "-"


class VagueMatcher:
    """Leftover phrases -> the closest genres and tags of one catalog (thread-safe, built on first use)."""

    def __init__(
        self,
        catalog: Catalog,
        embed: Embed,
        fingerprint: str,
        *,
        cache_dir: Path | None = None,
        config: VagueConfig | None = None,
    ) -> None:
        self.catalog = catalog
        self.embed = embed
        self.fingerprint = fingerprint
        self.cache_dir = cache_dir
        self.config = config or VagueConfig()
        self._vocabulary: VagueVocabulary | None = None
        self._spelled: frozenset[tuple[str, ...]] = frozenset()
        self._phrases: OrderedDict[str, NDArray[np.float32]] = OrderedDict()
        self._lock = threading.Lock()

    def path(self) -> Path | None:
        """Where this catalog's vectors by this model are stored (None without a cache folder)."""
        if self.cache_dir is None:
            return None
        _, texts, owners = vocabulary_texts(self.catalog)
        digest = hashlib.sha256(
            "\x1f".join(f"{o}\x1e{t}" for o, t in zip(owners, texts, strict=True)).encode()
        )
        return keyed_path(
            self.cache_dir,
            "vague",
            self.catalog.name,
            self.catalog.content_hash,
            self.fingerprint,
            digest.hexdigest(),
        )

    def vocabulary(self) -> VagueVocabulary:
        """The embedded soft vocabulary: read back from disk, or embedded now (the model loads here)."""
        with self._lock:
            if self._vocabulary is None:
                self._vocabulary = cached_build(self.path(), self._build, VagueVocabulary)
                self._spelled = frozenset(fold_tokens(text) for text in self._vocabulary.texts)
            return self._vocabulary

    def _build(self) -> VagueVocabulary:
        values, texts, owners = vocabulary_texts(self.catalog)
        logger.info("embedding %d texts of %d soft values of %s", len(texts), len(values), self.catalog.name)
        vectors = self.embed(texts) if texts else np.zeros((0, 1), dtype=np.float32)
        return VagueVocabulary(
            values, texts, np.asarray(owners, dtype=np.int64), np.asarray(vectors, np.float32)
        )

    def _phrase_vectors(self, phrases: list[str]) -> NDArray[np.float32]:
        with self._lock:
            missing = [p for p in dict.fromkeys(phrases) if p not in self._phrases]
        fresh = self.embed(missing) if missing else None
        with self._lock:
            if fresh is not None:
                for phrase, vector in zip(missing, fresh, strict=True):
                    self._phrases[phrase] = np.asarray(vector, dtype=np.float32)
            rows = [self._phrases[p] for p in phrases]
            for phrase in phrases:
                self._phrases.move_to_end(phrase)
            while len(self._phrases) > self.config.phrase_cache:
                self._phrases.popitem(last=False)
        return np.stack(rows)

    def match(self, phrases: Sequence[str]) -> list[VagueMatch]:
        """The closest values to ``phrases`` at or above the threshold, closest first, at most
        ``max_values`` (each value once, for its closest phrase)."""
        cut = [" ".join(p.split()[: self.config.max_phrase_words]) for p in phrases if p.strip()]
        cut = list(dict.fromkeys(cut))[: self.config.max_phrases]
        if not cut:
            return []
        vocabulary = self.vocabulary()
        # A phrase spelled as a genre word or a tag was seen by the catalog reader, which chose not to
        # read it as one ("that sounds interesting" is no wish for the tag "interesting").
        cut = [p for p in cut if fold_tokens(p) not in self._spelled]
        if not vocabulary.values or not cut:
            return []
        similarity = self._phrase_vectors(cut) @ vocabulary.vectors.T  # phrases x texts
        # A value is as close as its closest text; the texts of one value are contiguous.
        starts = np.flatnonzero(np.r_[True, vocabulary.owners[1:] != vocabulary.owners[:-1]])
        per_value = np.maximum.reduceat(similarity, starts, axis=1)  # phrases x values
        best_phrase = per_value.argmax(axis=0)
        best = per_value.max(axis=0)
        order = [int(v) for v in np.argsort(-best, kind="stable") if best[v] >= self.config.threshold]
        matches = []
        for v in order[: self.config.max_values]:
            attribute_type, value = vocabulary.values[v]
            matches.append(VagueMatch(cut[best_phrase[v]], attribute_type, value, float(best[v])))
        return matches

    def match_words(
        self, message: Message, residual: Sequence[int], negated: Sequence[bool]
    ) -> list[VagueMatch]:
        """``match`` over the leftover phrases of ``message`` (see ``residual_phrases``)."""
        return self.match(residual_phrases(message, residual, negated))
