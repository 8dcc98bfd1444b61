"""The MCP server (``crsagent mcp``): the agent and its catalog as MCP tools, over stdio or
streamable HTTP, built with the official ``mcp`` SDK.

Conversations are the agent's sessions: ``recommend`` starts one (or continues the one named), and
every result carries its ``session_id`` and catalog ids, as structured output, for the next call.
"""

# No `from __future__ import annotations`: the SDK reads the tools' annotations at registration,
# and they name the limits of the server being built.
import uuid
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Annotated

from mcp.server import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from pydantic import BaseModel, Field

from crsagent.data.query import ItemQuery
from crsagent.errors import CrsAgentError
from crsagent.serve.settings import ServeLimits
from crsagent.serve.turns import TurnGate
from crsagent.serve.views import ReplyView
from crsagent.tools.bus import CandidateBus
from crsagent.tools.catalog_tools import search_catalog_tool

if TYPE_CHECKING:
    from crsagent.agent import Agent
    from crsagent.agent.reply import Reply

INSTRUCTIONS = (
    "A conversational recommender over one catalog. Start with `recommend` (what the person wants, "
    "in their words); it answers with items (catalog ids), or asks a question with quick replies: "
    "pass the person's answer to `answer_question` with the same session_id. `give_feedback` takes a "
    "like / dislike on a shown item. `search_catalog` filters the catalog by attribute values and "
    "years; `get_item` gives an item's facts."
)


class SessionReply(ReplyView):
    """The agent's answer, and the conversation it belongs to."""

    session_id: str = Field(description="Pass it to the next call to continue this conversation.")


class CatalogItem(BaseModel):
    """One catalog item, briefly."""

    id: str = Field(description="Catalog id.")
    title: str
    year: int | None = None


class SearchResult(BaseModel):
    """Items matching a catalog search, most popular first."""

    matches: int = Field(description="How many items match in all (more than are listed, often).")
    items: list[CatalogItem] = Field(description="The first `limit` of them.")


class ItemFacts(BaseModel):
    """Everything the catalog knows about one item."""

    id: str = Field(description="Catalog id.")
    title: str
    year: int | None = None
    attributes: dict[str, list[str]] = Field(description="Attribute type -> values (genre, director, ...).")
    text: str = Field(description="Plot or description; empty when unknown.")


SessionId = Annotated[
    str, Field(min_length=1, max_length=200, description="The session_id a previous result gave.")
]


def build_mcp_server(agent: "Agent", limits: ServeLimits | None = None) -> MCPServer:
    """An MCP server whose tools talk to ``agent`` (its sessions) and search its catalog."""
    limits = limits or ServeLimits()
    gate = TurnGate(limits)
    server = MCPServer("crsagent", instructions=INSTRUCTIONS, log_level="WARNING")
    catalog = agent.catalog

    async def turn(session_id: str, work: Callable[[], "Reply"]) -> SessionReply:
        try:
            reply = await gate.run(work, session=session_id)
        except CrsAgentError as error:
            raise ToolError(str(error)) from error
        return SessionReply(session_id=session_id, **ReplyView.of(reply).model_dump())

    def known_session(session_id: str) -> str:
        if agent.last_reply(session_id) is None:
            raise ToolError(f"unknown session_id {session_id!r}: start a conversation with `recommend`")
        return session_id

    @server.tool()
    async def recommend(
        request: Annotated[
            str,
            Field(
                min_length=1,
                max_length=limits.max_message_chars,
                description="What the person wants, in their words, e.g. 'a heist film, not too old'.",
            ),
        ],
        session_id: Annotated[
            str | None,
            Field(max_length=200, description="Continue this conversation; omit to start a new one."),
        ] = None,
    ) -> SessionReply:
        """Recommend catalog items for a free-text request, or ask one question that narrows it down."""
        session = session_id or uuid.uuid4().hex
        return await turn(session, lambda: agent.chat(request, session))

    @server.tool()
    async def answer_question(
        session_id: SessionId,
        answer: Annotated[
            str,
            Field(
                min_length=1,
                max_length=limits.max_message_chars,
                description="One of the question's quick_replies, or the person's own words.",
            ),
        ],
    ) -> SessionReply:
        """Answer the question the agent asked in this session."""
        return await turn(known_session(session_id), lambda: agent.chat(answer, session_id))

    @server.tool()
    async def give_feedback(
        session_id: SessionId,
        item_id: Annotated[str, Field(min_length=1, description="Catalog id of a shown item.")],
        liked: Annotated[bool, Field(description="true: like it (more like this); false: not this one.")],
    ) -> SessionReply:
        """Like or dislike an item; the agent answers with what follows (more like it, or others)."""
        known_session(session_id)
        if item_id not in catalog:
            raise ToolError(f"item_id {item_id!r} is not in catalog {catalog.name!r}")
        return await turn(session_id, lambda: agent.feedback(session_id, item_id, liked))

    @server.tool()
    async def search_catalog(query: ItemQuery) -> SearchResult:
        """Catalog items with given attribute values (include / include_any / exclude), years or text;
        values are matched to the catalog's vocabulary (case and small typos tolerated)."""
        # A fresh bus over the whole catalog: a search never narrows a conversation's candidates.
        context = replace(agent.runtime.tools, bus=CandidateBus(len(catalog)))
        output = await gate.run(lambda: search_catalog_tool(context).invoke(query))
        if not output.ok:
            raise ToolError(output.error or "search failed")
        items = [CatalogItem.model_validate(catalog.get(i), from_attributes=True) for i in output.item_ids]
        return SearchResult(matches=int(output.data["matches"]), items=items)

    @server.tool()
    def get_item(item_id: Annotated[str, Field(min_length=1, description="Catalog id.")]) -> ItemFacts:
        """Facts about one item: title, year, attributes (genre, director, cast, ...), plot."""
        if item_id not in catalog:
            raise ToolError(f"item_id {item_id!r} is not in catalog {catalog.name!r}")
        return ItemFacts.model_validate(catalog.get(item_id), from_attributes=True)

    return server
