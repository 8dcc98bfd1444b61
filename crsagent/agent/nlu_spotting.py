"""Finding attribute values in a message: after cue words, among offered values, anywhere."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import cache

from crsagent.agent import nlu_lexicon as lexicon
from crsagent.agent.nlu_text import Message, PhraseSet, fold_tokens
from crsagent.agent.nlu_values import Entry, Kind, ValueIndex, value_keys

# Longest person name tried after a cue word, in tokens.
_MAX_NAME_TOKENS = 5
_LIST_JOINERS = frozenset({"and", "or", ",", "nor", "&"})
# Chooses the (type, value) a key starting at a token names, or None.
_Picker = Callable[[tuple[str, ...], int], "tuple[str, str] | None"]


@dataclass(frozen=True, slots=True)
class Spot:
    """An attribute value found at tokens ``start:end``."""

    start: int
    end: int
    type: str
    value: str


@cache
def _cue_phrases() -> tuple[PhraseSet, PhraseSet]:
    return PhraseSet(lexicon.STRONG_PERSON_CUES), PhraseSet(lexicon.WEAK_PERSON_CUES)


class Spotter:
    """Spots values of one catalog in messages; ``usable`` masks tokens other layers consumed."""

    def __init__(self, index: ValueIndex) -> None:
        self.index = index

    def _name_allowed(self, entry: Entry, message: Message, start: int, length: int) -> bool:
        """A one-word person key that is also an ordinary word needs a capital letter ("Stone")."""
        if length > 1 or (entry.type not in self.index.person_types and entry.kind != Kind.SURNAME):
            return True
        return message.norms[start] not in self.index.common_words or message.capitalised(start)

    def _window_ok(self, message: Message, usable: Sequence[bool], start: int, length: int) -> bool:
        end = start + length
        if end > len(message):
            return False
        return all(usable[j] and message.tokens[j].is_word for j in range(start, end))

    # --- people after cue words ("directed by Nolan", "starring Tom Hanks") -----------------------
    def spot_cued_people(self, message: Message, words: list[str], usable: list[bool]) -> list[Spot]:
        """People named after cue words and before media nouns ("a Nolan film"); marks them used."""
        strong, weak = _cue_phrases()
        spots: list[Spot] = []
        index = 0
        while index < len(message):
            found = None
            for phrases, cues, is_weak in (
                (strong, lexicon.STRONG_PERSON_CUES, False),
                (weak, lexicon.WEAK_PERSON_CUES, True),
            ):
                length, phrase = phrases.match(message.norms, index)
                if length and all(usable[index : index + length]):
                    found = (length, cues[phrase], is_weak)
                    break
            if found is None:
                index += 1
                continue
            length, cue_types, is_weak = found
            types = [t for t in cue_types if t in self.index.person_types]
            position = index + length
            names = self._names_from(message, words, usable, position, types, weak=is_weak)
            if names:
                usable[index:position] = [False] * length
                spots.extend(names)
                position = names[-1].end
            index = max(position, index + 1)
        spots.extend(self._before_media_nouns(message, words, usable))
        return spots

    def _names_from(
        self,
        message: Message,
        words: list[str],
        usable: list[bool],
        start: int,
        types: list[str],
        *,
        weak: bool,
    ) -> list[Spot]:
        """One name at ``start`` and more joined by "and" / "or" / commas, all of ``types``."""
        spots: list[Spot] = []
        position = start
        while types and position < len(message):
            spot = self._person_at(message, words, usable, position, types, weak=weak)
            if spot is None:
                break
            spots.append(spot)
            usable[spot.start : spot.end] = [False] * (spot.end - spot.start)
            position = spot.end
            if position < len(message) and message.norms[position] in _LIST_JOINERS:
                position += 1
            else:
                break
        return spots

    def _person_at(
        self,
        message: Message,
        words: list[str],
        usable: list[bool],
        start: int,
        types: list[str],
        *,
        weak: bool,
    ) -> Spot | None:
        longest = 0
        while longest < _MAX_NAME_TOKENS and self._window_ok(message, usable, start, longest + 1):
            if message.norms[start + longest] in _LIST_JOINERS:
                break
            longest += 1
        for length in range(longest, 0, -1):
            entries = [
                entry
                for entry in self.index.lookup(tuple(words[start : start + length]))
                if entry.type in types and (not weak or self._name_allowed(entry, message, start, length))
            ]
            if entries:
                entry = self.index.choose(entries, prefer=types)
                return Spot(start, start + length, entry.type, entry.value)
            if weak or length < 2:
                continue
            # A strong cue vouches for a name the index does not know as written ("Tom Hank"):
            # a close full name of that length beats an exact shorter match ("Tom" the surname).
            for attribute_type in types:
                value = self.index.fuzzy(attribute_type, " ".join(words[start : start + length]))
                if value is not None:
                    return Spot(start, start + length, attribute_type, value)
        return None

    def _before_media_nouns(self, message: Message, words: list[str], usable: list[bool]) -> list[Spot]:
        types = [
            t for t in ("director", "cast", "writer", "artist", "author") if t in self.index.person_types
        ]
        spots: list[Spot] = []
        for noun in range(1, len(message)):
            if message.norms[noun] not in lexicon.MEDIA_NOUNS or not types:
                continue
            for length in range(min(_MAX_NAME_TOKENS, noun), 0, -1):
                start = noun - length
                if not self._window_ok(message, usable, start, length):
                    continue
                entries = [
                    e
                    for e in self.index.lookup(tuple(words[start:noun]))
                    if e.type in types and self._name_allowed(e, message, start, length)
                ]
                if entries:
                    entry = self.index.choose(entries, prefer=types)
                    spots.append(Spot(start, noun, entry.type, entry.value))
                    usable[start:noun] = [False] * length
                    break
        return spots

    # --- values the agent offered --------------------------------------------------------------
    def spot_offered(
        self, message: Message, words: list[str], usable: list[bool], asked_type: str, offered: Iterable[str]
    ) -> list[Spot]:
        """Offered values of the asked type, with every variant and surname, even verdict words."""
        person = asked_type in lexicon.PERSON_TYPES
        keys: dict[tuple[str, ...], list[str]] = {}
        for value in offered:
            for key, _ in value_keys(value, person=person):
                keys.setdefault(key, []).append(value)
            for alias in lexicon.ALIASES.get(value.casefold(), ()):
                keys.setdefault(fold_tokens(alias), []).append(value)
            if person and len(key_words := value_keys(value, person=True)[0][0]) >= 2:
                keys.setdefault((key_words[-1],), []).append(value)
        longest: dict[str, int] = {}
        for key in keys:
            longest[key[0]] = max(longest.get(key[0], 0), len(key))
        return self._greedy(
            message,
            words,
            usable,
            lambda key, start: _single(keys.get(key, []), asked_type),
            lambda word: longest.get(word, 0),
        )

    # --- anything else ------------------------------------------------------------------------
    def spot_values(
        self, message: Message, words: list[str], usable: list[bool], prefer: Iterable[str]
    ) -> list[Spot]:
        """Values anywhere, longest match first, left to right."""
        preferred = list(prefer)

        def pick(key: tuple[str, ...], start: int) -> tuple[str, str] | None:
            if len(key) == 1 and (key[0] in lexicon.STOPWORDS or key[0] in lexicon.EVALUATIVE):
                return None
            entries = [e for e in self.index.lookup(key) if self._name_allowed(e, message, start, len(key))]
            if not entries:
                return None
            entry = self.index.choose(entries, prefer=preferred)
            return entry.type, entry.value

        return self._greedy(message, words, usable, pick, self.index.longest_key_from)

    def _greedy(
        self,
        message: Message,
        words: list[str],
        usable: list[bool],
        pick: _Picker,
        longest_from: Callable[[str], int],
    ) -> list[Spot]:
        """Left to right, the longest key starting at each usable word that ``pick`` accepts."""
        spots: list[Spot] = []
        start = 0
        while start < len(message):
            hit = None
            longest = longest_from(words[start]) if usable[start] else 0
            run = 0  # usable words from ``start`` on: no key may cross a used token or punctuation
            while run < longest and start + run < len(message) and usable[start + run]:
                if not message.tokens[start + run].is_word:
                    break
                run += 1
            for length in range(run, 0, -1):
                found = pick(tuple(words[start : start + length]), start)
                if found is not None:
                    hit = Spot(start, start + length, found[0], found[1])
                    break
            if hit is None:
                start += 1
                continue
            spots.append(hit)
            usable[hit.start : hit.end] = [False] * (hit.end - hit.start)
            start = hit.end
        return spots


def _single(values: list[str], attribute_type: str) -> tuple[str, str] | None:
    """The one value a key names among offered values (a surname two offered people share is no answer)."""
    distinct = list(dict.fromkeys(values))
    return (attribute_type, distinct[0]) if len(distinct) == 1 else None
