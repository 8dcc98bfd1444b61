"""Typed hard-condition queries over the catalog, and their compilation to parameterised SQL.

``ItemQuery`` is what the planner (or an LLM tool call) fills in; ``compile_query`` turns it into one
SQL statement over the tables below whose every value travels as a bound parameter, so quotes,
semicolons or ``%`` in a value are only data.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

ITEMS_TABLE = "items"
"""One row per catalog item: ``id, idx, title, year, popularity, text``."""

ATTRIBUTES_TABLE = "item_attributes"
"""One row per (item, attribute type, value): ``item_id, type, value``."""

CASEFOLD_FUNCTION = "crs_casefold"
"""SQL function (registered by the store) folding case the Unicode way; SQLite's own is ASCII-only."""

LIKE_ESCAPE = "\\"


class AttributeCondition(BaseModel):
    """One attribute value, e.g. ``{"type": "genre", "value": "Comedy"}``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    type: str = Field(min_length=1, description="Attribute type, e.g. 'genre', 'director', 'cast', 'tag'.")
    value: str = Field(
        min_length=1,
        description="Attribute value exactly as the catalog spells it (case-sensitive), e.g. 'Comedy'.",
    )


class ItemQuery(BaseModel):
    """Hard conditions on catalog items. All given conditions must hold; results are ordered by
    popularity (most popular first), ties by catalog order."""

    model_config = ConfigDict(extra="forbid")

    include: list[AttributeCondition] = Field(
        default_factory=list,
        description="Attribute values the item must have, every one of them.",
    )
    include_any: list[AttributeCondition] = Field(
        default_factory=list,
        description="When not empty: the item must have at least one of these attribute values.",
    )
    exclude: list[AttributeCondition] = Field(
        default_factory=list,
        description="Attribute values the item must not have, none of them.",
    )
    year_min: int | None = Field(
        default=None,
        description="Earliest release year, inclusive. Items without a known year are left out when set.",
    )
    year_max: int | None = Field(
        default=None,
        description="Latest release year, inclusive. Items without a known year are left out when set.",
    )
    text_contains: str | None = Field(
        default=None,
        min_length=1,
        description="Case-insensitive substring that the title or the description must contain.",
    )
    limit: int = Field(default=20, ge=1, le=1000, description="Most items to return.")

    @model_validator(mode="after")
    def _check_year_range(self) -> Self:
        if self.year_min is not None and self.year_max is not None and self.year_min > self.year_max:
            raise ValueError(f"year_min ({self.year_min}) is after year_max ({self.year_max})")
        return self


@dataclass(frozen=True)
class CompiledQuery:
    """One SQL statement with ``?`` placeholders and the values bound to them, in order."""

    sql: str
    params: tuple[str | int, ...]


def escape_like(text: str) -> str:
    """``text`` with LIKE's wildcards (``%``, ``_``) and the escape character itself escaped."""
    return (
        text.replace(LIKE_ESCAPE, LIKE_ESCAPE * 2)
        .replace("%", LIKE_ESCAPE + "%")
        .replace("_", LIKE_ESCAPE + "_")
    )


def _has_any(conditions: list[AttributeCondition], params: list[str | int]) -> str:
    """EXISTS clause: the item carries at least one of ``conditions`` (appends their parameters)."""
    alternatives = " OR ".join("(a.type = ? AND a.value = ?)" for _ in conditions)
    for condition in conditions:
        params.extend((condition.type, condition.value))
    return f"EXISTS (SELECT 1 FROM {ATTRIBUTES_TABLE} AS a WHERE a.item_id = i.id AND ({alternatives}))"


def _where(query: ItemQuery, params: list[str | int]) -> str:
    clauses: list[str] = []
    # One EXISTS per required value: each can use the (type, value, item_id) index on its own.
    clauses.extend(_has_any([condition], params) for condition in query.include)
    if query.include_any:
        clauses.append(_has_any(query.include_any, params))
    if query.exclude:
        clauses.append("NOT " + _has_any(query.exclude, params))
    if query.year_min is not None:
        clauses.append("i.year >= ?")
        params.append(query.year_min)
    if query.year_max is not None:
        clauses.append("i.year <= ?")
        params.append(query.year_max)
    if query.text_contains is not None:
        pattern = "%" + escape_like(query.text_contains.casefold()) + "%"
        like = f"LIKE ? ESCAPE '{LIKE_ESCAPE}'"
        clauses.append(f"({CASEFOLD_FUNCTION}(i.title) {like} OR {CASEFOLD_FUNCTION}(i.text) {like})")
        params.extend((pattern, pattern))
    return " AND ".join(clauses) if clauses else "1"


def compile_query(query: ItemQuery) -> CompiledQuery:
    """The SELECT returning ``(id, idx)`` of the matching items, most popular first, ``query.limit`` rows."""
    params: list[str | int] = []
    where = _where(query, params)
    sql = (
        f"SELECT i.id, i.idx FROM {ITEMS_TABLE} AS i WHERE {where} "
        "ORDER BY i.popularity DESC, i.idx ASC LIMIT ?"
    )
    params.append(query.limit)
    return CompiledQuery(sql, tuple(params))


def compile_count(query: ItemQuery) -> CompiledQuery:
    """The SELECT counting every matching item (``query.limit`` does not apply)."""
    params: list[str | int] = []
    where = _where(query, params)
    return CompiledQuery(f"SELECT count(*) FROM {ITEMS_TABLE} AS i WHERE {where}", tuple(params))
