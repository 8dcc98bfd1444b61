"""The items the agent just showed, as the user names them: by title, by position, by "it";
and the title variants those references and the simulators' leak detector share."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from crsagent.data.catalog import Catalog
from crsagent.data.text import move_trailing_article, split_title_year
from crsagent.understanding import lexicon
from crsagent.understanding.message import Message, fold_tokens

JOINERS = frozenset({"and", "or", ",", "&", "nor"})


@dataclass
class ShownRefs:
    """References to the items the agent showed."""

    accepted: list[str] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)


@lru_cache(maxsize=8192)
def title_variants(title: str) -> tuple[tuple[str, ...], ...]:
    """Token sequences a person may use for a title: without year, article in front or dropped,
    without parentheticals, and each alternate title ("Seven (a.k.a. Se7en)")."""
    body, _ = split_title_year(title)
    texts = [body, re.sub(r"\s*\([^)]*\)", "", body)]
    texts += [
        re.sub(r"^(?:a\.k\.a\.|aka)\s*", "", part, flags=re.I) for part in re.findall(r"\(([^)]*)\)", body)
    ]
    variants: list[tuple[str, ...]] = []
    for text in texts:
        words = fold_tokens(move_trailing_article(text))
        for candidate in (words, words[1:] if words[:1] in {("the",), ("a",), ("an",)} else ()):
            if candidate and candidate not in variants:
                variants.append(candidate)
    return tuple(variants)


def plausible_one_word_title(message: Message, index: int, word: str) -> bool:
    """ "It" or "Up" count only quoted or capitalised inside a sentence; other words as written."""
    if word not in lexicon.PRONOUN_LIKE and word not in lexicon.STOPWORDS:
        return True
    quoted = 0 < index < len(message) - 1 and message.norms[index - 1] == '"' == message.norms[index + 1]
    return quoted or (message.capitalised(index) and not message.sentence_start(index))


class ShownItems:
    """Finds references to shown items (ids of one catalog) in messages."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog

    def reference(self, message: Message, start: int, end: int, shown: Sequence[str]) -> list[str]:
        """Shown items that tokens ``start:end`` name as a whole ("it", "the second one", "Heat")."""
        words = tuple(w for w in message.norms[start:end] if w not in {"the", "one", "movie", "film", '"'})
        if not shown:
            return []
        if " ".join(message.norms[start:end]) in lexicon.POINTING or not words:
            return [shown[0]] if len(shown) == 1 else []
        if len(words) == 1 and words[0] in lexicon.ORDINALS:
            return [shown[lexicon.ORDINALS[words[0]]]] if lexicon.ORDINALS[words[0]] < len(shown) else []
        for item_id in shown:
            if words in title_variants(self.catalog.get(item_id).title):
                return [item_id]
        return []

    def find(
        self,
        message: Message,
        usable: list[bool],
        shown: Sequence[str],
        negated: list[bool],
        seen: frozenset[int],
    ) -> ShownRefs:
        """Shown items named anywhere by title, position or "it"; each accepted unless negated or seen."""
        refs = ShownRefs()
        if not shown:
            return refs
        hits: list[tuple[int, int, str]] = self._title_hits(message, usable, shown)
        hits += self.position_hits(message, usable, shown)
        if not hits and len(shown) == 1:
            hits += [
                (i, i + 1, shown[0])
                for i, w in enumerate(message.norms)
                if w in {"it", "that", "this"} and usable[i]
            ]
        for start, end, item_id in sorted(hits):
            usable[start:end] = [False] * (end - start)
            target = refs.rejected if negated[start] or message.clause_ids[start] in seen else refs.accepted
            if item_id not in refs.accepted and item_id not in refs.rejected:
                target.append(item_id)
        return refs

    def _title_hits(
        self, message: Message, usable: list[bool], shown: Sequence[str]
    ) -> list[tuple[int, int, str]]:
        candidates = [
            (variant, item_id)
            for item_id in shown
            for variant in title_variants(self.catalog.get(item_id).title)
        ]
        candidates.sort(key=lambda pair: -len(pair[0]))
        hits: list[tuple[int, int, str]] = []
        taken = list(usable)
        for variant, item_id in candidates:
            length = len(variant)
            for start in range(len(message) - length + 1):
                end = start + length
                if tuple(message.norms[start:end]) != variant or not all(taken[start:end]):
                    continue
                if length == 1 and not plausible_one_word_title(message, start, variant[0]):
                    continue
                hits.append((start, end, item_id))
                taken[start:end] = [False] * length
        return hits

    def position_hits(
        self, message: Message, usable: list[bool], shown: Sequence[str]
    ) -> list[tuple[int, int, str]]:
        """List positions ("the second one", "number 3", "2") -> ``(start, end, shown[position])``."""
        hits: list[tuple[int, int, str]] = []
        norms = message.norms
        words_only = all(w.isdigit() or w in JOINERS or w in {"#", "and"} for w in norms)
        for index, word in enumerate(norms):
            if not usable[index]:
                continue
            nxt = norms[index + 1] if index + 1 < len(norms) else ""
            position: int | None = None
            count = lexicon.NUMBER_WORDS.get(nxt) or (int(nxt) if nxt.isdigit() and len(nxt) < 3 else 0)
            if word in {"first", "top", "last"} and 1 < count <= len(shown):
                # "the first two", "top 3", "the last two"
                chosen = shown[:count] if word != "last" else shown[-count:]
                hits.extend((index, index + 2, item) for item in chosen)
                continue
            if word in lexicon.ORDINALS and (
                nxt in lexicon.MEDIA_NOUNS
                or nxt in JOINERS
                or nxt in {"", "option", "choice", "please"}
                or message.is_boundary(index + 1)
            ):
                position = lexicon.ORDINALS[word]
            elif (word.isdigit() or word in lexicon.NUMBER_WORDS) and (
                words_only or (index and norms[index - 1] in lexicon.POSITION_MARKERS)
            ):
                position = (int(word) if word.isdigit() else lexicon.NUMBER_WORDS[word]) - 1
            if position is not None and -len(shown) <= position < len(shown):
                hits.append((index, index + 1, shown[position]))
        return hits
