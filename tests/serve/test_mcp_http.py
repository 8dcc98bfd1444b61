"""The MCP server over streamable HTTP (a real loopback server), driven by the SDK's own client."""

from __future__ import annotations

import asyncio

from mcp import Client

from crsagent.agent import Agent
from crsagent.serve.mcp_server import build_mcp_server
from crsagent.serve.settings import ServeLimits
from tests.serve.background import background_server


def test_recommend_and_search_over_streamable_http() -> None:
    agent = Agent.from_dataset("demo", llm="offline")
    limits = ServeLimits()
    app = build_mcp_server(agent, limits).streamable_http_app(max_request_body_size=limits.max_request_bytes)

    async def main(url: str) -> None:
        async with Client(f"{url}/mcp") as client:
            reply = await client.call_tool("recommend", {"request": "a comedy from the 1980s"})
            assert not reply.is_error and reply.structured_content is not None
            assert reply.structured_content["session_id"] and reply.structured_content["text"]
            found = await client.call_tool("search_catalog", {"query": {"text_contains": "godfather"}})
            assert found.structured_content is not None
            titles = [item["title"] for item in found.structured_content["items"]]
            assert titles and all("godfather" in title.lower() for title in titles)
            assert all(agent.catalog.get(item["id"]) for item in found.structured_content["items"])

    with background_server(app) as url:
        asyncio.run(main(url))
