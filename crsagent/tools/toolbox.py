"""The set of tools one conversation can call, with the call log on the candidate bus."""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel

from crsagent.tools.base import Tool, ToolOutput
from crsagent.tools.bus import ToolCallRecord
from crsagent.tools.catalog_tools import item_info_tool, search_catalog_tool, sql_query_tool
from crsagent.tools.context import ToolContext
from crsagent.tools.model_tools import rank_candidates_tool, semantic_search_tool, similar_items_tool


class Toolbox:
    """Tools bound to one ``ToolContext``; every call is logged with the bus size before / after."""

    def __init__(self, context: ToolContext) -> None:
        self.context = context
        # The catalog tools, plus each model tool whose model the context holds.
        factories = [search_catalog_tool, sql_query_tool, item_info_tool]
        if context.vectors is not None:
            factories.append(semantic_search_tool)
        if context.recommender is not None:
            factories.append(rank_candidates_tool)
        if context.graph is not None:
            factories.append(similar_items_tool)
        self.tools: dict[str, Tool[Any]] = {tool.name: tool for tool in (make(context) for make in factories)}

    def openai_schemas(self) -> list[dict[str, Any]]:
        """All tools as OpenAI function-calling schemas."""
        return [tool.openai_schema() for tool in self.tools.values()]

    def call(self, name: str, arguments: dict[str, Any] | str | BaseModel) -> ToolOutput:
        """Run one tool by name; unknown names and bad input come back as failed outputs."""
        bus = self.context.bus
        size_before = len(bus)
        tool = self.tools.get(name)
        if tool is None:
            output = ToolOutput.failure(name, f"unknown tool {name!r} (available: {', '.join(self.tools)})")
        else:
            output = tool.invoke(arguments)
        bus.log.append(
            ToolCallRecord(
                tool=name,
                arguments=_as_dict(arguments),
                ok=output.ok,
                error=output.error,
                size_before=size_before,
                size_after=len(bus),
                elapsed_ms=output.elapsed_ms,
                notices=output.notices,
            )
        )
        return output


def _as_dict(arguments: dict[str, Any] | str | BaseModel) -> dict[str, Any]:
    """Arguments as the log stores them; unparsable text is kept verbatim under ``raw``."""
    if isinstance(arguments, BaseModel):
        return arguments.model_dump(exclude_defaults=True)
    if isinstance(arguments, str):
        try:
            parsed = json.loads(arguments)
        except json.JSONDecodeError:
            return {"raw": arguments}
        return parsed if isinstance(parsed, dict) else {"raw": arguments}
    return dict(arguments)
