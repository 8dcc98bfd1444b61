"""Titles after cue phrases: "more like X", "I loved X", "not X", "who directed X?"."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import Enum

from crsagent.agent.nlu_shown import JOINERS, ShownItems, function_words_only, title_variants
from crsagent.agent.nlu_text import Message, fold_tokens
from crsagent.data.catalog import Catalog
from crsagent.tools.context import TitleResolver

# Resolver calls per message: prefixes of long spans are tried one by one, so bound the work for a
# grounder that may be slower than a dict lookup.
MAX_RESOLVER_CALLS = 16
_X = r"(?P<x>[^?.!;]+?)"
_END = r"(?= ?[?.!;,]|$)"


class Role(Enum):
    """What a title mention does."""

    LIKE = "like"
    DISLIKE = "dislike"
    SEEN = "seen"
    ASK = "ask"


# (role, asked attribute, strong, pattern); a strong cue expects a title, so a name that grounds
# nowhere is reported as unplaced; a weak one ("I love X") is a title only when X grounds.
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
]
_MENTIONS = [
    (
        Role.LIKE,
        True,
        r"(?:more|something|anything|movies|films|ones|stuff|things|shows|music|songs|artists|bands|a movie|a film|one|some|bands|others) (?:just |a bit |a little |kind of |sort of )?like X",
    ),
    (
        Role.LIKE,
        True,
        r"(?:similar to|in the (?:style|vein|spirit) of|same vibe as|along the lines of|reminds? me of|comparable to|the likes of) X",
    ),
    (Role.LIKE, True, r"^like X"),
    (Role.DISLIKE, True, r"nothing like X"),
    (
        Role.DISLIKE,
        False,
        r"(?:i|we) (?:really |truly |just )?(?:hated|hate|disliked|dislike|can not stand|could not stand|did not like|do not like|did not enjoy) X",
    ),
    (Role.SEEN, False, r"(?:i|we) (?:have |had |already |just )*(?:seen|watched|saw|heard) X"),
    (Role.DISLIKE, False, r"(?:not|except|excluding|but not|other than|besides|apart from) X"),
    (
        Role.LIKE,
        False,
        r"(?:i|we) (?:really |also |just |totally |absolutely |truly )?(?:loved|love|liked|like|enjoyed|enjoy|adored|adore|dig|dug) X",
    ),
    (
        Role.LIKE,
        False,
        r"my (?:all time )?favou?rites? (?:movie |film |band |artist |singer |album )?(?:is|are|was|were) X",
    ),
    (Role.LIKE, False, r"(?:a )?(?:big |huge )?fan of X"),
]


def _compile(pattern: str) -> re.Pattern[str]:
    return re.compile(r"(?:(?<= )|^)" + pattern.replace("X", _X) + _END)


_QUESTION_PATTERNS = [(attribute, _compile(p)) for attribute, p in _QUESTIONS]
_MENTION_PATTERNS = [(role, strong, _compile(p)) for role, strong, p in _MENTIONS]
# Asked attribute -> catalog types that answer it, in order (crs-lastfm has only "tag").
_ATTRIBUTE_TYPES = {
    "genre": ("genre", "tag"),
    "cast": ("cast", "actor", "actors"),
    "writer": ("writer", "author"),
}


@dataclass(frozen=True)
class Piece:
    """Tokens ``start:end`` grounded to catalog ids."""

    start: int
    end: int
    ids: list[str]


@dataclass
class Mention:
    """A title span after a cue phrase and the pieces of it that grounded (none = unplaced)."""

    role: Role
    start: int
    end: int
    pieces: list[Piece]
    surface: str
    attribute: str | None = None

    @property
    def ids(self) -> list[str]:
        """Grounded ids in order, without repeats."""
        return list(dict.fromkeys(i for piece in self.pieces for i in piece.ids))


class ItemFinder:
    """Finds item mentions in a message for one catalog and one title resolver."""

    def __init__(self, catalog: Catalog, resolve_title: TitleResolver) -> None:
        self.catalog = catalog
        self.resolve_title = resolve_title
        self.shown = ShownItems(catalog)

    def _ground(
        self, message: Message, start: int, end: int, shown: Sequence[str], budget: list[int]
    ) -> list[Piece]:
        """Grounded pieces of tokens ``start:end``: a shown item, the whole span, its parts, or a prefix."""
        if message.norms[start] == '"' and '"' in message.norms[start + 1 : end]:
            end = message.norms.index('"', start + 1)
            start += 1
        if start >= end:
            return []

        def resolve(a: int, b: int) -> list[str]:
            shown_ids = self.shown.reference(message, a, b, shown)
            if shown_ids or budget[0] <= 0 or a >= b:
                return shown_ids
            if function_words_only(message, a, b):
                return []  # "it" points at nothing here; "It" would be the film
            budget[0] -= 1
            # Only catalog ids leave the NLU, whatever a plugged-in grounder returns.
            return [i for i in self.resolve_title(message.surface(a, b)) if i in self.catalog][:1]

        ids = resolve(start, end)
        if ids:
            return [Piece(start, end, ids)]
        cuts = [i for i in range(start, end) if message.norms[i] in JOINERS]
        if cuts:
            bounds = zip([start, *(c + 1 for c in cuts)], [*cuts, end], strict=True)
            pieces = [Piece(a, b, ids) for a, b in bounds if (ids := resolve(a, b))]
            if pieces:
                return pieces
        for stop in range(end - 1, start, -1):
            ids = resolve(start, stop)
            if ids:
                return [Piece(start, stop, ids)]
        return []

    def find_mentions(
        self,
        message: Message,
        usable: list[bool],
        shown: Sequence[str],
        is_value: Callable[[Message, int, int], bool],
    ) -> list[Mention]:
        """Item questions and title mentions; their cue words and grounded pieces are marked unusable.

        ``is_value(message, start, end)`` says a span is exactly an attribute value: after a weak
        cue that reading wins ("I love Romance" is the genre, not the 1999 film).
        """
        budget = [MAX_RESOLVER_CALLS]
        mentions: list[Mention] = []
        patterns = [(Role.ASK, True, pattern, attribute) for attribute, pattern in _QUESTION_PATTERNS]
        patterns += [(role, strong, pattern, None) for role, strong, pattern in _MENTION_PATTERNS]
        for role, strong, pattern, attribute in patterns:
            for match in pattern.finditer(message.norm_text):
                start, end = message.token_range(*match.span("x"))
                cue_start = message.token_range(*match.span())[0]
                # Only the title must be free: cue words may also be negation cues ("I hated X").
                if not all(usable[start:end]) or (not strong and is_value(message, start, end)):
                    continue
                only_function_words = function_words_only(message, start, end)
                if only_function_words and role is not Role.ASK:
                    continue  # "more like this", "I like that"
                pieces = self._ground(message, start, end, shown, budget)
                if not strong:  # "I love X" is about a title only if X is written or spelled as one
                    pieces = [
                        p
                        for p in pieces
                        if self._title_like(message, p) and not is_value(message, p.start, p.end)
                    ]
                if not pieces and not strong:
                    continue
                match_end = message.token_range(*match.span())[1]
                usable[cue_start:start] = [False] * (start - cue_start)
                usable[end:match_end] = [False] * (match_end - end)
                for piece in pieces:
                    usable[piece.start : piece.end] = [False] * (piece.end - piece.start)
                surface = "" if only_function_words else message.surface(start, end).strip('"').strip()
                mentions.append(Mention(role, start, end, pieces, surface, self._attribute(attribute)))
        return mentions

    def _attribute(self, attribute: str | None) -> str | None:
        if attribute is None:
            return None
        types = self.catalog.vocabulary
        return next((t for t in _ATTRIBUTE_TYPES.get(attribute, ()) if t in types), attribute)

    def _title_like(self, message: Message, piece: Piece) -> bool:
        """A weakly cued piece: capitalised, quoted or spelled exactly like its item's title.

        A fuzzy grounder places almost any words somewhere; after "I like" that is no evidence.
        """
        if fold_tokens(message.surface(piece.start, piece.end)) in title_variants(
            self.catalog.get(piece.ids[0]).title
        ):
            return True
        quoted = piece.start > 0 and message.norms[piece.start - 1] == '"'
        return quoted or (message.capitalised(piece.start) and not message.sentence_start(piece.start))
