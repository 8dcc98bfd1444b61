"""Tools over the catalog: hard-condition search, read-only SQL, item facts."""

from __future__ import annotations

import numpy as np
from pydantic import BaseModel, Field

from crsagent.data.query import AttributeCondition, ItemQuery
from crsagent.data.raw_sql import DEFAULT_MAX_ROWS, RAW_SQL_TABLES
from crsagent.tools.base import Tool, ToolOutput
from crsagent.tools.context import ToolContext, describe_item

SEARCH_LIMIT = (1, 100)
SQL_ROWS = (1, DEFAULT_MAX_ROWS)
INFO_ITEMS = 20


def _resolved(context: ToolContext, conditions: list[AttributeCondition]) -> list[AttributeCondition]:
    return [
        AttributeCondition(type=c.type, value=context.vocabulary.resolve(c.type, c.value)) for c in conditions
    ]


def search_catalog_tool(context: ToolContext) -> Tool[ItemQuery]:
    """``search_catalog``: hard conditions (include / exclude values, years, text) narrow the bus."""

    def run(query: ItemQuery) -> ToolOutput:
        resolved = query.model_copy(
            update={
                "include": _resolved(context, query.include),
                "include_any": _resolved(context, query.include_any),
                "exclude": _resolved(context, query.exclude),
            }
        )
        # Narrowing needs every match, not the top `limit`: query without the limit, show `limit`.
        everything = resolved.model_copy(update={"limit": len(context.catalog)})
        matches = context.store.search_indices(everything)
        context.bus.narrow(matches)
        shown = context.bus.current.top(query.limit)
        items = [context.catalog.at(int(i)) for i in shown.indices]
        lines = [describe_item(item) for item in items]
        header = f"{len(context.bus)} candidates match; top {len(items)}:"
        return ToolOutput(
            tool="search_catalog",
            summary="\n".join([header, *lines]),
            item_ids=[item.id for item in items],
            data={"matches": len(context.bus), "query": resolved.model_dump(exclude_defaults=True)},
        )

    return Tool(
        name="search_catalog",
        description=(
            "Filter the current candidates by hard conditions: attribute values that must / may / must not "
            "be present, a year range, text in the title or plot. Values are matched to the catalog's "
            "vocabulary (case and small typos tolerated)."
        ),
        input_model=ItemQuery,
        function=run,
        clamp={"limit": SEARCH_LIMIT},
    )


class SqlQueryInput(BaseModel):
    """A read-only SQL query over the catalog tables."""

    sql: str = Field(
        min_length=1,
        description=(
            "One SELECT over items(id, idx, title, year, popularity, text) and "
            "item_attributes(item_id, type, value). Nothing else is allowed."
        ),
    )
    max_rows: int = Field(
        default=50, ge=SQL_ROWS[0], le=SQL_ROWS[1], description="At most this many rows come back."
    )
    narrow: bool = Field(
        default=False, description="If true and the result has an `id` column, keep only those candidates."
    )


def sql_query_tool(context: ToolContext) -> Tool[SqlQueryInput]:
    """``sql_query``: InteRecAgent-style SQL on a read-only, authorised connection."""

    def run(request: SqlQueryInput) -> ToolOutput:
        result = context.store.raw_sql(request.sql, max_rows=request.max_rows)
        ids: list[str] = []
        if "id" in result.columns:
            column = result.columns.index("id")
            ids = [str(row[column]) for row in result.rows if str(row[column]) in context.catalog]
            if request.narrow:
                context.bus.narrow(np.asarray([context.catalog.index_of(i) for i in ids], dtype=np.int64))
        header = " | ".join(result.columns)
        body = "\n".join(" | ".join(str(v) for v in row) for row in result.rows[:20])
        more = " (truncated)" if result.truncated else ""
        return ToolOutput(
            tool="sql_query",
            summary=f"{len(result.rows)} rows{more}\n{header}\n{body}",
            item_ids=ids,
            data=result.model_dump(),
        )

    return Tool(
        name="sql_query",
        description=(
            "Run one read-only SELECT over the catalog tables "
            f"({', '.join(RAW_SQL_TABLES)}); row cap and time limit apply."
        ),
        input_model=SqlQueryInput,
        function=run,
        clamp={"max_rows": SQL_ROWS},
    )


class ItemInfoInput(BaseModel):
    """Items to describe, by catalog id or by name."""

    item_ids: list[str] = Field(default_factory=list, max_length=INFO_ITEMS, description="Catalog ids.")
    titles: list[str] = Field(
        default_factory=list,
        max_length=INFO_ITEMS,
        description="Names as the user said them; grounded first.",
    )


def item_info_tool(context: ToolContext) -> Tool[ItemInfoInput]:
    """``item_info``: every attribute and the plot of named items."""

    def run(request: ItemInfoInput) -> ToolOutput:
        indices, unplaced = context.ids_for(request.item_ids, request.titles)
        items = [context.catalog.at(index) for index in indices]
        facts = {
            item.id: {
                "title": item.title,
                "year": item.year,
                "attributes": item.attributes,
                "text": item.text,
            }
            for item in items
        }
        lines = [
            f"[{item.id}] {item.title}: "
            + "; ".join(f"{t}: {', '.join(v)}" for t, v in item.attributes.items() if v)
            + (f". Plot: {item.text}" if item.text else "")
            for item in items
        ]
        if unplaced:
            lines.append(f"not in catalog: {', '.join(unplaced)}")
        return ToolOutput(
            tool="item_info",
            summary="\n".join(lines),
            item_ids=[item.id for item in items],
            data={"items": facts, "not_in_catalog": unplaced},
        )

    return Tool(
        name="item_info",
        description="Facts about specific items (director, cast, genres, year, plot), by id or by name.",
        input_model=ItemInfoInput,
        function=run,
    )
