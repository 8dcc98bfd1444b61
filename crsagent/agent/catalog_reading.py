"""What a message names from the catalog, as the turn needs it: titles with a role, values with a
strength, a lean to newer or older items, a change of topic.

The catalog spotter (``crsagent.understanding``) finds the titles, people, genres, moods and tags;
this layer reads each one in its clause: negated ("not into Saw", "no horror"), not yet seen ("I
haven't seen Halloween": a neutral mention), asked about ("who directed Heat?"), or liked (the
default: people name films they like, or want more like). Tokens it reads are marked used, so the
year and answer layers do not read inside a title ("Close Encounters of the Third Kind (1977)").
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from crsagent.agent.turns import ValueRef
from crsagent.understanding import lexicon
from crsagent.understanding.message import Message
from crsagent.understanding.polarity import Polarity
from crsagent.understanding.spotter import CatalogSpotter, Mention
from crsagent.understanding.surfaces import Kind

_X = r"(?P<x>[^?.!;]+?)"
_END = r"(?= ?[?.!;,]|$)"
# Questions about one item: (asked attribute, pattern; X is the title).
_QUESTIONS = [
    ("director", r"who (?:directed|direct|directs|helmed) X"),
    ("director", r"who (?:is|was) the director of X"),
    ("director", r"who (?:is|was) X directed by"),
    ("director", r"(?:the )?director of X"),
    ("cast", r"who (?:is|was|are|were) (?:starring |acting |playing )?in X"),
    ("cast", r"who (?:stars|starred|acts|acted|plays|played|appears|appeared) in X"),
    ("cast", r"who (?:is|are|was|were) the (?:actors|actor|cast|stars|star|lead|leads) (?:of|in) X"),
    ("cast", r"(?:the )?(?:cast|actors|stars) (?:of|in) X"),
    ("writer", r"who (?:wrote|writes|penned) (?:the (?:script|screenplay|story|book) (?:of|for) )?X"),
    ("writer", r"who (?:is|was) the (?:writer|screenwriter|author) of X"),
    ("writer", r"(?:the )?(?:writer|screenwriter) of X"),
    (
        "genre",
        r"what (?:genre|genres|kind|type|sort) (?:of (?:movie|film|music|thing|artist|band) )?(?:is|was|are) X",
    ),
    ("genre", r"(?:the )?genres? of X"),
    ("year", r"when (?:did|does) X (?:come out|came out|release|premiere)"),
    ("year", r"when (?:was|is) X (?:released|made|out|from|filmed|shot|produced)"),
    ("year", r"what year (?:did|was|is) X (?:come out|released|made|from|out)"),
    ("year", r"what year (?:is|was) X"),
    ("year", r"(?:the )?(?:release date|release year|year) of X"),
    ("year", r"how old is X"),
    ("text", r"what (?:is|was|are) X about"),
    ("text", r"what (?:is|was) the (?:plot|story|storyline|premise) of X"),
    ("text", r"(?:the )?(?:plot|story|storyline|premise|summary|synopsis) of X"),
    ("text", r"what happens in X"),
    ("text", r"tell me (?:more |a bit |a little )?about X"),
    ("text", r"describe X"),
    (
        "why",
        r"why (?:did you (?:pick|choose|suggest|recommend|show) |would i like |should i (?:watch|like) |is |was )?X",
    ),
]
_QUESTION_PATTERNS = [
    (attribute, re.compile(r"(?:(?<= )|^)" + pattern.replace("X", _X) + _END))
    for attribute, pattern in _QUESTIONS
]
# Asked attribute -> catalog types that answer it, in order (crs-lastfm has only "tag").
_ATTRIBUTE_TYPES = {
    "genre": ("genre", "tag"),
    "cast": ("cast", "actor", "actors"),
    "writer": ("writer", "author"),
    "why": ("why",),
}
# Roles of a person value in order of preference when a name has several ("Nolan" directs first).
_PERSON_ROLES = ("director", "cast", "artist", "writer")
_ROLE_CUES = {
    "starring": "cast", "stars": "cast", "actor": "cast", "actress": "cast", "with": "cast", "featuring": "cast",
    "directed": "director", "director": "director", "written": "writer", "writer": "writer",
}  # fmt: skip
_SEEING = frozenset({"seen", "see", "watched", "watch", "saw", "heard", "hear", "watching", "seeing"})
_NOT = frozenset({"not", "never", "no", "nt", "havent", "hasnt", "didnt", "dont", "yet"})
_TASTE_WORDS = frozenset(
    {"love", "loved", "like", "liked", "enjoy", "enjoyed", "fan", "crush", "favorite", "favourite", "adore"}
)
_REQUEST_WORDS = frozenset(
    {"want", "wanted", "looking", "recommend", "recommendation", "recommendations", "suggest", "suggestion",
     "suggestions", "something", "anything", "any", "show", "find", "need", "mood", "give", "starring",
     "featuring", "directed", "written", "with", "by", "please", "what", "watch", "should", "have", "got"}
)  # fmt: skip
_SEEN = frozenset({"seen", "saw", "watched"})
_VERDICT = frozenset(
    {"love", "loved", "like", "liked", "enjoyed", "great", "good", "amazing", "awesome", "best"}
)
_DISLIKING = frozenset({"hate", "hated", "dislike", "disliked", "awful", "terrible", "worst", "boring"})
_LIKING_VERBS = frozenset({"like", "liked", "into", "enjoy", "enjoyed", "love", "loved", "a", "fan", "my"})
_LOOKBACK = 6
# "more like X": X should be a title; words there that named nothing are a title the catalog lacks.
_STRONG_LIKE = frozenset(
    {("more", "like"), ("something", "like"), ("anything", "like"), ("movies", "like"), ("films", "like"),
     ("similar", "to"), ("stuff", "like"), ("ones", "like"), ("one", "like")}
)  # fmt: skip
# Words for the items themselves ("new movies", "a classic film"); "one" points at an item instead.
_FILM_WORDS = lexicon.MEDIA_NOUNS - {"one", "ones", "thing", "things"}
_PRONOUNS = frozenset({"it", "this", "that", "these", "those", "them"})
# A request to see results now rather than answer more questions.
SHOW_NOW = (
    ("show", "me"), ("just", "show"), ("just", "recommend"), ("recommend", "something"), ("surprise", "me"),
    ("give", "me", "something"), ("you", "pick"), ("you", "choose"), ("just", "pick"),
    ("what", "would", "you", "suggest"), ("any", "ideas"), ("anything", "is", "fine"), ("whatever", "you", "like"),
)  # fmt: skip
# A change of topic: what was asked before stops applying when a new request comes with one.
TOPIC_CHANGES = (
    ("forget", "that"), ("forget", "all", "that"), ("forget", "about", "that"), ("forget", "it"),
    ("never", "mind"), ("nevermind",), ("scratch", "that"), ("something", "different"),
    ("something", "else", "entirely"), ("change", "of", "plans"), ("changed", "my", "mind"), ("actually",),
    ("instead",),
)  # fmt: skip


@dataclass
class CatalogReading:
    """The catalog's things in one message."""

    liked: list[str] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)
    mentioned: list[str] = field(default_factory=list)
    """Items named without a polarity ("I haven't seen X")."""
    asked: str | None = None
    asked_attribute: str | None = None
    hard: list[tuple[int, ValueRef, bool]] = field(default_factory=list)
    """Named genres and people: first token, value, negated."""
    soft: list[ValueRef] = field(default_factory=list)
    recency: Literal["recent", "older"] | None = None
    relative_to: str | None = None
    """A title the lean is relative to ("newer than Alien", "I loved Alien, something newer")."""
    topic_change: bool = False
    show_now: bool = False
    open_asks: list[tuple[int, int, str]] = field(default_factory=list)
    """Questions about an item whose words named no title (token span, attribute): "who directed it?"."""
    unplaced: list[str] = field(default_factory=list)
    """Names after a strong cue ("more like X") that are no catalog title."""
    value_tokens: set[int] = field(default_factory=set)

    @property
    def items(self) -> list[str]:
        return [*self.liked, *self.rejected, *self.mentioned, *([self.asked] if self.asked else [])]


def _add(target: list[str], item_id: str, reading: CatalogReading) -> None:
    if item_id not in reading.items:
        target.append(item_id)


def _value_refs(mention: Mention, before: Sequence[str] = ()) -> list[ValueRef]:
    """The values a mention names. A person under the role the cue before them says ("starring",
    "directed by"), else under every role they hold (any of them will do); a mood or a tag under every
    reading (they only rank); a genre word under its first genre (see ``_genre_blend`` for the rest)."""
    keys = list(mention.targets)
    if mention.kind in (Kind.PERSON, Kind.SURNAME):
        cued = next((_ROLE_CUES[w] for w in reversed(before) if w in _ROLE_CUES), None)
        roles: list[str] = [cued, *_PERSON_ROLES] if cued else list(_PERSON_ROLES)

        def rank(key: str) -> int:
            role = key.split(":", 1)[0]
            return roles.index(role) if role in roles else len(roles)

        keys.sort(key=rank)
        if cued is not None and keys[0].startswith(f"{cued}:"):
            keys = keys[:1]
    elif mention.kind not in (Kind.MOOD, Kind.TAG):
        keys = keys[:1]
    return [ValueRef(type=key.split(":", 1)[0], value=key.split(":", 1)[1]) for key in keys]


def _genre_blend(mention: Mention) -> list[ValueRef]:
    """A genre word that names several genres at once ("romantic comedy", "murder mystery"): the
    first filters, the others rank (a blend is not an alternative: comedies, romantic ones first)."""
    if mention.kind is not Kind.GENRE:
        return []
    return [ValueRef(type=key.split(":", 1)[0], value=key.split(":", 1)[1]) for key in mention.targets[1:]]


def _seen_only(message: Message, start: int) -> bool:
    """ "I've seen Heat" with no verdict in the clause."""
    clause = message.clause_ids[start]
    words = {w for w, c in zip(message.norms, message.clause_ids, strict=True) if c == clause}
    return bool(words & _SEEN) and not words & _VERDICT


def _title_years(message: Message, usable: list[bool]) -> None:
    """ "(2015)" after words is a title's year (a film the catalog may lack), never a wish: used up."""
    norms = message.norms
    for i in range(1, len(norms) - 1):
        if norms[i - 1] == "(" and norms[i + 1] == ")" and len(norms[i]) == 4 and norms[i].isdigit():
            usable[i - 1 : i + 2] = [False, False, False]


def _disliked(message: Message, start: int) -> bool:
    """A dislike earlier in the clause: "I don't like movies like Saw", "not into Saw", "hated Saw"."""
    clause = message.clause_ids[start]
    before = [message.norms[i] for i in range(start) if message.clause_ids[i] == clause]
    if any(word in _DISLIKING for word in before):
        return True
    return any(a in _NOT and b in _LIKING_VERBS for a, b in itertools.pairwise(before))


def _not_seen(message: Message, start: int) -> bool:
    """ "haven't seen X", "never watched X": a seeing verb with a negation just before the title."""
    clause = message.clause_ids[start]
    window = [
        message.norms[i] for i in range(max(0, start - _LOOKBACK), start) if message.clause_ids[i] == clause
    ]
    return any(w in _SEEING for w in window) and any(w in _NOT for w in window)


def _a_verdict(message: Message, start: int, end: int) -> bool:
    """ "that classic", "a classic." (a film judged), "too old for them": no lean to older items."""
    before = message.norms[start - 1] if start else ""
    after = message.norms[end] if end < len(message.norms) else ""
    if before == "too":
        return True
    return before in ("a", "that", "this") and message.norms[start] == "classic" and after not in _FILM_WORDS


def _new_releases(message: Message, usable: list[bool], genre_starts: set[int]) -> bool:
    """ "new horror movies", "anything new with him": "new" asks for recent releases before a genre or
    a word for films, or after "anything" / "something"; alone ("the new one") it points at a film."""
    norms = message.norms
    for index, word in enumerate(norms):
        if word != "new" or not usable[index]:
            continue
        after = index + 1
        if after in genre_starts or (after < len(norms) and norms[after] in _FILM_WORDS):
            return True
        if index and norms[index - 1] in ("anything", "something") and index not in genre_starts:
            return True
    return False


def _has_phrase(norms: Sequence[str], phrases: tuple[tuple[str, ...], ...]) -> bool:
    return any(tuple(norms[i : i + len(phrase)]) == phrase for phrase in phrases for i in range(len(norms)))


class CatalogReader:
    """Reads one catalog's mentions in messages."""

    def __init__(self, spotter: CatalogSpotter) -> None:
        self.spotter = spotter
        types = spotter.catalog.vocabulary
        self.attributes = {
            attribute: next((t for t in _ATTRIBUTE_TYPES.get(attribute, ()) if t in types), attribute)
            for attribute, _ in _QUESTIONS
        }

    def read(
        self,
        message: Message,
        polarity: Polarity,
        usable: list[bool],
        shown: Sequence[str],
        protected: frozenset[int] = frozenset(),
    ) -> CatalogReading:
        """The reading of ``message``; marks the tokens it used in ``usable``. ``protected``: answer
        and cue words ("yes", "seen it"), which a title may hold only with its year."""
        reading = CatalogReading(
            topic_change=_has_phrase(message.norms, TOPIC_CHANGES),
            show_now=_has_phrase(message.norms, SHOW_NOW),
        )
        asks = self._questions(message, usable)
        # "something with Tom Hanks" asks for him; "I love Tarantino" tells a taste (a person then
        # ranks). A named genre filters either way: tried as a taste on ReDial valid, ranking "I like
        # comedies" instead of filtering moved Recall@50 by less than .003.
        words = set(message.norms)
        taste_only = bool(words & _TASTE_WORDS) and not words & _REQUEST_WORDS
        genre_starts: set[int] = set()
        for mention in self.spotter.spot(message.text, expect=shown):
            start, end = self._tokens(message, mention)
            if mention.kind in (Kind.GENRE, Kind.MOOD):
                genre_starts.add(start)
            if start >= end or not all(usable[start:end]):
                continue
            negated = any(polarity.negated[start:end])
            if (
                mention.is_title
                and mention.kind is not Kind.TITLE_YEAR
                and all(i in protected for i in range(start, end))
            ):
                continue  # "yes" is an answer before it is the band Yes
            if mention.is_title:
                self._title(message, mention, (start, end), negated, asks, shown, reading)
            elif mention.kind in (Kind.PERSON, Kind.SURNAME) and not negated and taste_only:
                reading.soft.extend(_value_refs(mention, message.norms[max(0, start - 2) : start]))
            elif mention.kind in (Kind.GENRE, Kind.PERSON, Kind.SURNAME) or (
                negated and mention.kind in (Kind.MOOD, Kind.TAG)
            ):  # a named genre or a requested person filters, and so does any refusal ("nothing scary")
                cue = message.norms[max(0, start - 2) : start]
                reading.hard.extend((start, ref, negated) for ref in _value_refs(mention, cue))
                if not negated:
                    reading.soft.extend(_genre_blend(mention))
            elif mention.kind in (Kind.MOOD, Kind.TAG):
                reading.soft.extend(_value_refs(mention))
            elif (
                mention.kind in (Kind.RECENT, Kind.OLDER)
                and not negated
                and not _a_verdict(message, start, end)
            ):
                reading.recency = "recent" if mention.kind is Kind.RECENT else "older"
                if mention.surface.lower().endswith("er"):  # "newer", "older": than something named
                    reading.relative_to = "pending"
            else:
                continue
            if not mention.is_title:
                reading.value_tokens.update(range(start, end))
            usable[start:end] = [False] * (end - start)
        if reading.recency is None and _new_releases(message, usable, genre_starts):
            reading.recency = "recent"
        if reading.relative_to == "pending":  # "newer" compares with the title the message names
            named = [*reading.liked, *reading.mentioned, *reading.rejected]
            reading.relative_to = named[-1] if named else None
        for start, end, attribute in asks:
            if reading.asked is None and all(usable[start:end]):
                self._ask_by_span(message, (start, end), attribute, shown, usable, reading)
        self._unplaced(message, usable, reading)
        _title_years(message, usable)
        return reading

    def _ask_by_span(
        self,
        message: Message,
        span_tokens: tuple[int, int],
        attribute: str,
        shown: Sequence[str],
        usable: list[bool],
        reading: CatalogReading,
    ) -> None:
        """A question whose span is the title alone: "what's the dark knight about" (no capital, no
        cue, but the question says a title stands there)."""
        start, end = span_tokens
        if all(
            word in _PRONOUNS or word in ("one", "the", "first", "last", "second")
            for word in message.norms[start:end]
        ):
            reading.open_asks.append((start, end, attribute))  # "who directed it?": the shown item
            return
        span = message.text[message.tokens[start].start : message.tokens[end - 1].end]
        titles = [m for m in self.spotter.spot(span, expect=shown) if m.is_title]
        if titles and len(titles[0].surface.split()) >= len(span.split()) - 1:
            reading.asked, reading.asked_attribute = titles[0].targets[0], attribute
            usable[start:end] = [False] * (end - start)
        else:
            reading.open_asks.append((start, end, attribute))

    @staticmethod
    def _unplaced(message: Message, usable: list[bool], reading: CatalogReading) -> None:
        """Words after "more like" / "similar to" that named nothing: a title the catalog lacks."""
        norms = message.norms
        for index in range(len(norms)):
            cue = tuple(norms[index : index + 2])
            start = (
                index + 2 if cue in _STRONG_LIKE else index + 1 if index == 0 and norms[0] == "like" else 0
            )
            if not start:
                continue
            clause = message.clause_ids[index]
            end = start
            while (
                end < len(norms)
                and message.clause_ids[end] == clause
                and usable[end]
                and message.tokens[end].is_word
            ):
                end += 1
            if end > start and not (end - start == 1 and norms[start] in _PRONOUNS):
                reading.unplaced.append(message.surface(start, end).strip('"').strip())
                usable[start:end] = [False] * (end - start)

    def _title(
        self,
        message: Message,
        mention: Mention,
        span: tuple[int, int],
        negated: bool,
        asks: list[tuple[int, int, str]],
        shown: Sequence[str],
        reading: CatalogReading,
    ) -> None:
        start, end = span
        item_id = mention.targets[0]
        for ask_start, ask_end, attribute in asks:
            if ask_start <= start and end <= ask_end and reading.asked is None:
                reading.asked, reading.asked_attribute = item_id, attribute
                return
        if _not_seen(message, start):
            _add(reading.mentioned, item_id, reading)
        elif negated or _disliked(message, start) or (item_id in shown and _seen_only(message, start)):
            _add(reading.rejected, item_id, reading)  # "seen it" of a suggestion: not that one
        else:  # liked, wanted, or seen ("I've seen Heat": people name what they watched and enjoyed)
            _add(reading.liked, item_id, reading)

    @staticmethod
    def _tokens(message: Message, mention: Mention) -> tuple[int, int]:
        """The message tokens a spotter mention covers (the spotter ran on ``message.text``)."""
        start, end = mention.char_start, mention.char_end
        covered = [i for i, t in enumerate(message.tokens) if t.start >= start and t.end <= end]
        return (covered[0], covered[-1] + 1) if covered else (0, 0)

    def _questions(self, message: Message, usable: list[bool]) -> list[tuple[int, int, str]]:
        """Token spans that a question about an item would name ("who directed X?"), with the
        attribute; the question's own words are marked used (they are no wish)."""
        spans: list[tuple[int, int, str]] = []
        for attribute, pattern in _QUESTION_PATTERNS:
            for match in pattern.finditer(message.norm_text):
                start, end = message.token_range(*match.span("x"))
                cue_start, cue_end = message.token_range(*match.span())
                usable[cue_start:start] = [False] * (start - cue_start)
                usable[end:cue_end] = [False] * (cue_end - end)
                spans.append((start, end, self.attributes[attribute]))
        return spans
