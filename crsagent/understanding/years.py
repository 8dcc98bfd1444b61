"""Release-year constraints in plain English: "after 2000", "the 90s", "between 1995 and 2005", "recent".

Rules (the catalog's clock, never the wall clock):
- "after Y" -> year_min Y+1; "since Y", "Y or later", "from Y on" -> year_min Y;
  "before Y" -> year_max Y-1; "until Y", "Y or earlier" -> year_max Y.
- A decade is its ten years ("90s", "1990s", "the nineties"); "early" / "mid" / "late" take its
  first, middle or last four years; two-digit decades 00s and 10s are 2000s / 2010s, 20s-90s are 1900s.
- "around Y" is Y-2..Y+2; a bare year is that year.
- Negated: "not after Y" -> year_max Y, "nothing before Y" -> year_min Y; a negated decade becomes a
  rejected decade value when the catalog has one (a year range cannot exclude a middle interval).
"recent", "newer", "old" are a lean, not bounds: the catalog spotter's periods (``surfaces``) read them.
Several plain eras are a union ("80s or 90s"); bounds intersect with them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from crsagent.understanding import lexicon
from crsagent.understanding.message import Message

_DECADE_WORDS = "|".join(lexicon.DECADE_WORDS)
_ERA = (
    r"(?:the )?(?:(?:early|mid|middle|late) )?"
    rf"(?:1[89]\d\d|20\d\d|(?:1[89]|20)\d0s|\d0s|{_DECADE_WORDS})(?= |$)"
)
_YEAR = r"(?:1[89]\d\d|20\d\d)(?= |$)"
_START = r"(?:(?<= )|^)"
# (kind, pattern) in the order they are tried; earlier ones consume their tokens first.
_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    (kind, re.compile(_START + pattern))
    for kind, pattern in [
        ("range", rf"(?:between|from) (?P<a>{_ERA}) (?:and|to|till|until|through|thru) (?P<b>{_ERA})"),
        ("range", rf"(?P<a>{_YEAR})(?: (?:to|till|until|through|thru))? (?P<b>{_YEAR})"),
        (
            "since",
            rf"from (?P<a>{_ERA}) (?:on|onwards|onward|forward|and later|or later|and newer|or newer|and up)",
        ),
        ("since", rf"(?:since|starting from|starting in|starting|as of|no earlier than) (?P<a>{_ERA})"),
        ("since", rf"(?P<a>{_ERA}) (?:or|and) (?:later|newer|after|up|above|beyond)"),
        ("since", rf"(?P<a>{_ERA}) (?:onwards|onward|plus)"),
        ("after", rf"(?:after|post|later than|newer than|more recent than|younger than) (?P<a>{_ERA})"),
        ("before", rf"(?:before|pre|prior to|older than|earlier than) (?P<a>{_ERA})"),
        ("until", rf"(?:until|till|up to|up until|through|no later than|not later than|by) (?P<a>{_ERA})"),
        ("until", rf"(?P<a>{_ERA}) (?:or|and) (?:earlier|older|before|below|prior)"),
        ("around", rf"(?:around|circa|about|approximately|roughly) (?P<a>{_YEAR})"),
        ("era", rf"(?:(?:in|from|of|during|made in|released in) )?(?P<a>{_ERA})"),
    ]
]


@dataclass
class Era:
    """A year or decade mentioned on its own: its span and, for a decade, its first year."""

    start: int
    end: int
    low: int
    high: int
    decade: int | None
    negated: bool


@dataclass
class YearFacts:
    """What a message says about release years."""

    year_min: int | None = None
    year_max: int | None = None
    eras: list[Era] = field(default_factory=list)
    """Plain eras, kept so that an answer to a decade question becomes a decade value."""


def _bounds(text: str) -> tuple[int, int, int | None]:
    """``"the late 90s"`` -> ``(1996, 1999, 1990)``; a year -> ``(y, y, None)``."""
    words = text.split()
    if words[0] == "the":
        words = words[1:]
    modifier = words[0] if len(words) == 2 else None
    core = words[-1]
    if core in lexicon.DECADE_WORDS:
        decade = lexicon.DECADE_WORDS[core]
    elif core.endswith("s"):
        digits = core[:-1]
        decade = int(digits) if len(digits) == 4 else (2000 if int(digits) < 20 else 1900) + int(digits)
    else:
        return int(core), int(core), None
    low, high = {"early": (0, 3), "mid": (3, 6), "middle": (3, 6), "late": (6, 9)}.get(modifier or "", (0, 9))
    return decade + low, decade + high, decade


def parse_years(message: Message, usable: list[bool], negated: list[bool]) -> YearFacts:
    """Year constraints of a message; the tokens used are marked unusable."""
    facts = YearFacts()
    lows: list[int] = []
    highs: list[int] = []
    for kind, pattern in _PATTERNS:
        for match in pattern.finditer(message.norm_text):
            start, end = message.token_range(*match.span())
            if not all(usable[start:end]):
                continue
            usable[start:end] = [False] * (end - start)
            low, high, decade = _bounds(match.group("a"))
            is_negated = negated[start]
            if kind == "range":
                other_low, other_high, _ = _bounds(match.group("b"))
                if not is_negated:
                    lows.append(min(low, other_low))
                    highs.append(max(high, other_high))
            elif kind == "era":
                facts.eras.append(Era(start, end, low, high, decade, is_negated))
            elif kind == "around" and not is_negated:
                lows.append(low - 2)
                highs.append(high + 2)
            elif kind in {"after", "since"}:
                bound = high + 1 if kind == "after" else low
                (highs.append(bound - 1) if is_negated else lows.append(bound))
            elif kind in {"before", "until"}:
                bound = low - 1 if kind == "before" else high
                (lows.append(bound + 1) if is_negated else highs.append(bound))
    year_min = max(lows) if lows else None
    year_max = min(highs) if highs else None
    if year_min is not None and year_max is not None and year_min > year_max:
        year_min = year_max = None  # contradictory: keep nothing rather than guess
    facts.year_min, facts.year_max = year_min, year_max
    return facts


def add_eras(facts: YearFacts, eras: list[Era]) -> None:
    """Plain eras (not turned into values) as one union range, intersected with the bounds."""
    wanted = [era for era in eras if not era.negated]
    if not wanted:
        return
    low = min(era.low for era in wanted)
    high = max(era.high for era in wanted)
    year_min = max(low, facts.year_min) if facts.year_min is not None else low
    year_max = min(high, facts.year_max) if facts.year_max is not None else high
    if year_min <= year_max:
        facts.year_min, facts.year_max = year_min, year_max
