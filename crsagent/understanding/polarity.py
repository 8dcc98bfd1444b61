"""Which words the user negates, and whether the message answers yes, no or "don't mind"."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum
from functools import cache

from rapidfuzz.distance import OSA

from crsagent.understanding import lexicon
from crsagent.understanding.message import Message, PhraseSet


class Answer(Enum):
    """How a message answers a question, before it is tied to the offered values."""

    YES = "yes"
    NO = "no"
    NO_PREFERENCE = "no preference"
    ALL = "all offered"
    NONE = "none offered"


@dataclass(frozen=True)
class Polarity:
    """Per-token facts about negation and the cue phrases found."""

    negated: list[bool]
    """True for tokens inside the reach of a negation ("no [horror]", "[horror] is not for me")."""
    seen_clauses: frozenset[int]
    """Clause ids (``Message.clause_ids``) that say the user has seen / knows something."""
    cue_tokens: frozenset[int]
    """Tokens that are part of a cue phrase (not wishes, not titles)."""
    restart: bool
    """The message asks to start over."""


@cache
def _phrases() -> dict[str, PhraseSet]:
    return {
        "after": PhraseSet(lexicon.NEGATE_AFTER),
        "before": PhraseSet(lexicon.NEGATE_BEFORE),
        "neutral": PhraseSet(lexicon.NOT_NEGATING),
        "seen": PhraseSet(lexicon.SEEN),
        "restart": PhraseSet(lexicon.RESTART),
        "yes": PhraseSet(lexicon.YES),
        "no": PhraseSet(lexicon.NO),
        "no_preference": PhraseSet(lexicon.NO_PREFERENCE),
        "all": PhraseSet(lexicon.ALL_OFFERED),
        "none": PhraseSet(lexicon.NONE_OFFERED),
    }


_YEAR_WORD = re.compile(rf"^(?:1[89]\d\d|20\d\d|\d0s|(?:1[89]|20)\d0s|{'|'.join(lexicon.DECADE_WORDS)})$")
_YEAR_PREPOSITIONS = frozenset({"from", "after", "before", "since", "between", "during", "until", "in", "of"})


def _starts_year_phrase(norms: list[str], index: int) -> bool:
    """ "from the 90s", "after 2000", "in the early eighties"."""
    if norms[index] not in _YEAR_PREPOSITIONS:
        return False
    rest = [w for w in norms[index + 1 : index + 4] if w not in {"the", "early", "mid", "late"}]
    return bool(rest) and _YEAR_WORD.match(rest[0]) is not None


def _ends_reach(message: Message, index: int, reach_start: int) -> bool:
    norm = message.norms[index]
    if message.is_boundary(index) or norm in lexicon.CONTRAST_WORDS:
        return True
    if index == reach_start:
        return norm in {"i", "we"}
    # "no horror from the 90s": the years qualify the wish, they are not refused; but "no films
    # from the 90s" refuses the years (only a media noun came before them).
    if _starts_year_phrase(message.norms, index):
        passed = message.norms[reach_start:index]
        return any(w not in lexicon.STOPWORDS and w not in lexicon.MEDIA_NOUNS for w in passed)
    return norm in lexicon.NEW_CLAUSE_WORDS


def analyse_polarity(message: Message) -> Polarity:
    """Negation reach, seen-clauses, cue tokens and the restart flag of a message."""
    phrases = _phrases()
    norms = message.norms
    negated = [False] * len(message)
    seen: set[int] = set()
    cues: set[int] = set()
    restart = False
    index = 0
    while index < len(norms):
        # The longest phrase of any role wins at a position; ties go to the earlier role listed.
        length, role = 0, ""
        for candidate in ("restart", "neutral", "before", "after", "seen"):
            found = phrases[candidate].match(norms, index)
            if found > length:
                length, role = found, candidate
        if not length:
            index += 1
            continue
        cues.update(range(index, index + length))
        end = index + length
        if role == "restart":
            restart = True
        elif role == "seen":
            seen.add(message.clause_ids[index])
        elif role == "after":
            reach = end
            while reach < len(norms) and not _ends_reach(message, reach, end):
                negated[reach] = True
                reach += 1
        elif role == "before":
            back = index - 1
            if back > 0 and norms[back] in {"?", ",", ":"}:
                back -= 1  # "Horror? No thanks." refuses the word just asked about
            while back >= 0 and not message.is_boundary(back) and norms[back] not in lexicon.CONTRAST_WORDS:
                negated[back] = True
                back -= 1
        index = end
    return Polarity(negated, frozenset(seen), frozenset(cues), restart)


# Answer words are short and typed fast: "not rally", "noen of those". Only words of at least this
# many letters are corrected, so that short real words ("yet", "now") are never read as answers.
MIN_CORRECTED_LETTERS = 4


# Every word of the answer phrases ("yes", "none of these", ...), and those long enough to correct.
ANSWER_WORDS = frozenset(
    word
    for phrases in (lexicon.YES, lexicon.NO, lexicon.NO_PREFERENCE, lexicon.ALL_OFFERED, lexicon.NONE_OFFERED)
    for phrase in phrases
    for word in phrase.rstrip("$").split()
)
_CORRECTABLE = frozenset(w for w in ANSWER_WORDS if len(w) >= MIN_CORRECTED_LETTERS)
# Every word the lexicon knows: never corrected.
_KNOWN = ANSWER_WORDS.union(
    lexicon.STOPWORDS, lexicon.FILLERS, lexicon.SOCIAL, lexicon.MEDIA_NOUNS, lexicon.FEEDBACK_WORDS
)


def correct_answer_typos(norms: list[str]) -> list[str]:
    """Tokens one edit (or one swap) away from exactly one answer word become that word.

    Only unknown words are touched; a catalog value that happens to be close to an answer word is
    safe because values are matched on the original tokens, not on these.
    """
    corrected = []
    for norm in norms:
        if len(norm) >= MIN_CORRECTED_LETTERS and norm.isalpha() and norm not in _KNOWN:
            close = [word for word in _CORRECTABLE if OSA.distance(norm, word, score_cutoff=1) <= 1]
            if len(close) == 1:
                norm = close[0]
        corrected.append(norm)
    return corrected


def detect_answer(message: Message) -> tuple[Answer | None, frozenset[int]]:
    """The answer phrase of a message and its tokens.

    It counts at the start of the message (after fillers like "well," or "hmm"), or anywhere when it
    stands alone between punctuation ("Honestly? No."). Small typos in answer words are forgiven
    (``correct_answer_typos``).
    """
    phrases = _phrases()
    norms = correct_answer_typos(message.norms)
    roles = (
        ("none", Answer.NONE),
        ("all", Answer.ALL),
        ("no_preference", Answer.NO_PREFERENCE),
        ("no", Answer.NO),
        ("yes", Answer.YES),
    )
    # What may follow a stand-alone phrase ("no, thanks", "no I want drama"); not "not" or "say":
    # "I'm not into it" and "I'd say no" start with "i am" / "i would", which answer nothing there.
    followers = {"i", "but", "and", "so", "then", "please", "thanks", "thank", "sorry", "really", "sir"}

    def at(index: int) -> tuple[int, Answer | None]:
        best: tuple[int, Answer | None] = (0, None)
        for role, answer in roles:
            length = phrases[role].match(norms, index, alone_ok=followers)
            if length > best[0]:
                best = (length, answer)
        return best

    start = 0
    while start < len(norms):
        # An answer phrase wins over a filler at the same place ("ok", "I think so").
        length, answer = at(start)
        if answer is not None:
            return answer, frozenset(range(start, start + length))
        if norms[start] not in lexicon.FILLERS and norms[start][:1].isalnum():
            break
        start += 1
    for index in range(1, len(norms)):
        # Turning the offered set down is unambiguous anywhere: "show me something else".
        length = phrases["none"].match(norms, index, alone_ok=followers)
        if length:
            return Answer.NONE, frozenset(range(index, index + length))
        if not message.is_boundary(index - 1):
            continue
        length, answer = at(index)
        end = index + length
        if answer is not None and (end == len(norms) or message.is_boundary(end)):
            return answer, frozenset(range(index, end))
    return None, frozenset()
