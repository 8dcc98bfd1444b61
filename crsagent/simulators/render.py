"""Decisions -> words: fills a phrasing of the right kind, with seeded variety and typos.

The same renderer writes the rule user's plain log text (no ``RenderStyle``: the first
phrasing of each list, no typos, catalog spelling) and the template user's messages (a random
phrasing, lower-cased values now and then, typos at configurable rates). Slots that carry values
or titles get the value typo rate; the template's own words, the item noun and the attribute word
get the word typo rate, so NLU robustness to each can be measured apart.
"""

from __future__ import annotations

import re
import string

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from crsagent.data.text import move_trailing_article, split_title_year
from crsagent.simulators.decisions import AcceptItem, AnswerQuestion, Decision, Nudge, Open, RejectItems
from crsagent.simulators.phrasings import PhrasingBook
from crsagent.simulators.typos import add_typos

VALUE_SLOTS = frozenset({"value", "values", "rejected", "title"})
_ARTICLE_A = re.compile(r"\b([Aa]) (?=[aeiouAEIOU])")


class RenderStyle(BaseModel):
    """How noisy the template user's words are (the rates of its [simulator.config])."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    typo_rate: float = Field(
        default=0.03, ge=0, le=1, description="Chance of a typo in each word (4+ letters) outside values."
    )
    value_typo_rate: float = Field(
        default=0.0, ge=0, le=1, description="Chance of a typo in each word (4+ letters) of a value or title."
    )
    lowercase_rate: float = Field(
        default=0.3, ge=0, le=1, description="Chance a value is written in lower case."
    )
    title_year_rate: float = Field(
        default=0.3, ge=0, le=1, description="Chance an accepted title is written with its year."
    )
    accept_by_title_rate: float = Field(
        default=0.5, ge=0, le=1, description="Chance of accepting by title rather than by position."
    )


# The rule user's log text: catalog spelling, no typos, by title.
_PLAIN = RenderStyle(typo_rate=0, lowercase_rate=0, title_year_rate=0, accept_by_title_rate=1)


def display_title(title: str) -> tuple[str, int | None]:
    """A catalog title as a person writes it: "Matrix, The (1999)" -> ("The Matrix", 1999)."""
    body, year = split_title_year(title)
    return move_trailing_article(body), year


class Renderer:
    """Writes one decision as a message, drawing every choice from the given generator."""

    def __init__(self, book: PhrasingBook, domain: str, style: RenderStyle | None) -> None:
        """``style`` None: the plain words (the first phrasing of each list, no noise)."""
        if domain not in book.media:
            raise ValueError(
                f"no item nouns for domain {domain!r} in the phrasings (has: {sorted(book.media)})"
            )
        self.book = book
        self.domain = domain
        self.varied = style is not None
        self.style = style or _PLAIN
        self._protected = frozenset(word.lower() for word in book.no_typos)

    def render(self, decision: Decision, rng: np.random.Generator) -> str:
        template, slots = self._template(decision, rng)
        text = self._fill(template, slots, rng)
        text = _ARTICLE_A.sub(lambda m: f"{m.group(1)}n ", text)
        capital = bool(rng.random() < 0.5) or not self.varied
        return text[:1].upper() + text[1:] if capital else text

    # -- choosing ------------------------------------------------------------------------------------
    def _pick(self, phrases: list[str], rng: np.random.Generator) -> str:
        draw = int(rng.integers(len(phrases)))
        return phrases[draw] if self.varied else phrases[0]

    def _template(self, decision: Decision, rng: np.random.Generator) -> tuple[str, dict[str, list[str]]]:
        book = self.book
        if isinstance(decision, Open):
            if not decision.values:
                return self._pick(book.open_empty, rng), {}
            first = decision.values[0]
            typed = book.open.for_type(first.type)
            phrases = [*typed, *book.open.any] if self.varied else (typed or book.open.any)
            values = [v.value for v in decision.values]
            return self._pick(phrases, rng), {"value": values, "type": [first.type]}
        if isinstance(decision, AnswerQuestion):
            template, slots = self._answer(decision, rng)
            if decision.rejected_items:
                template = f"{template}. {self._pick(book.reject, rng)}"
            return template, slots
        if isinstance(decision, AcceptItem):
            by_title = rng.random() < self.style.accept_by_title_rate or decision.rank > len(book.ordinals)
            with_year = rng.random() < self.style.title_year_rate
            if by_title or not self.varied:
                body, year = display_title(decision.title)
                title = f"{body} ({year})" if with_year and year is not None else body
                return self._pick(book.accept_title, rng), {"title": [title]}
            return self._pick(book.accept_ordinal, rng), {"ordinal": [book.ordinals[decision.rank - 1]]}
        if isinstance(decision, RejectItems):
            return self._pick(book.reject, rng), {}
        assert isinstance(decision, Nudge)
        if decision.value is None:
            return self._pick(book.nudge_empty, rng), {}
        return self._pick(book.nudge, rng), {"value": [decision.value.value], "type": [decision.value.type]}

    def _answer(self, decision: AnswerQuestion, rng: np.random.Generator) -> tuple[str, dict[str, list[str]]]:
        book = self.book
        slots = {
            "values": list(decision.accepted),
            "rejected": list(decision.rejected),
            "type": [decision.attribute],
        }
        if decision.yes_no:
            phrases = book.yes if decision.accepted else book.no
            return self._pick(phrases, rng), {"value": list(decision.offered), "type": [decision.attribute]}
        if not decision.accepted:
            return self._pick(book.choose_none, rng), slots
        if not decision.rejected:
            return self._pick(book.choose_all, rng), slots
        return self._pick(book.choose_some, rng), slots

    # -- filling ----------------------------------------------------------------------------------
    def _fill(self, template: str, slots: dict[str, list[str]], rng: np.random.Generator) -> str:
        style = self.style
        # One pass over the template's pieces, literal text and slots alike, in order.
        parts: list[str] = []
        for literal, name, _, _ in string.Formatter().parse(template):
            parts.append(self._typos(literal, style.typo_rate, rng))
            if name is None:
                continue
            if name in VALUE_SLOTS:
                words = [self._value_text(v, rng) for v in slots.get(name, [])]
                if not words:
                    raise ValueError(f"phrasing {template!r} needs {{{name}}} but the decision has none")
                parts.append(self._join(words, name == "rejected", rng))
            elif name == "media":
                parts.append(self._typos(self._pick(self.book.media[self.domain], rng), style.typo_rate, rng))
            elif name == "type":
                attribute = slots.get("type", ["thing"])[0]
                word = self._pick(self.book.types.get(attribute, [attribute]), rng)
                parts.append(self._typos(word, style.typo_rate, rng))
            else:  # ordinal
                parts.append(self._typos(slots["ordinal"][0], style.typo_rate, rng))
        return "".join(parts)

    def _value_text(self, value: str, rng: np.random.Generator) -> str:
        lower = rng.random() < self.style.lowercase_rate
        text = value.lower() if lower else value
        return add_typos(text, self.style.value_typo_rate, rng)  # values: every word may get one

    def _typos(self, text: str, rate: float, rng: np.random.Generator) -> str:
        return add_typos(text, rate, rng, self._protected)

    def _join(self, words: list[str], negative: bool, rng: np.random.Generator) -> str:
        joiner = self._pick(self.book.list_or if negative else self.book.list_and, rng)
        if len(words) == 1:
            return words[0]
        return f"{', '.join(words[:-1])} {joiner} {words[-1]}"
