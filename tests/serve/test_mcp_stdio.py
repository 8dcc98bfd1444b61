"""`crsagent mcp` over stdio, driven by the official MCP SDK's own client (the server is spawned)."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from mcp import Client, StdioServerParameters

from crsagent.data.registry import load_dataset

TOOLS = {"recommend", "answer_question", "give_feedback", "search_catalog", "get_item"}


def _server(cache: Path) -> StdioServerParameters:
    env = {
        "CRSAGENT_CACHE_DIR": str(cache),
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        "PYTHONPATH": str(Path(__file__).resolve().parents[2]),
    }
    return StdioServerParameters(
        command=sys.executable,
        args=["-m", "crsagent.cli", "mcp", "--dataset", "demo", "--llm", "offline"],
        env=env,
    )


def _with_client(cache: Path, body: Callable[[Client], Awaitable[None]]) -> None:
    async def main() -> None:
        async with Client(_server(cache), read_timeout_seconds=120) as client:
            await body(client)

    asyncio.run(main())


async def _call(client: Client, tool: str, arguments: dict[str, Any]) -> dict[str, Any]:
    result = await client.call_tool(tool, arguments)
    assert not result.is_error, result.content
    assert result.structured_content is not None
    return result.structured_content


async def _error(client: Client, tool: str, arguments: dict[str, Any]) -> str:
    result = await client.call_tool(tool, arguments)
    assert result.is_error
    return " ".join(getattr(block, "text", "") for block in result.content)


def test_a_conversation_over_stdio_ends_in_catalog_items(tmp_path: Path) -> None:
    catalog = load_dataset("demo").catalog

    async def body(client: Client) -> None:
        listed = await client.list_tools()
        assert {tool.name for tool in listed.tools} == TOOLS
        assert all(tool.output_schema is not None for tool in listed.tools)  # structured output

        reply = await _call(client, "recommend", {"request": "a crime film from the 1990s"})
        session = reply["session_id"]
        for _ in range(8):  # the agent asks at most a few questions before it recommends
            if reply["items"]:
                break
            assert reply["question"] is not None and reply["question"]["quick_replies"]
            answer = reply["question"]["quick_replies"][0]
            reply = await _call(client, "answer_question", {"session_id": session, "answer": answer})
            assert reply["session_id"] == session
        assert reply["items"], reply["text"]
        for item in reply["items"]:
            assert catalog.get(item["id"]).title  # every item is a catalog id
            facts = await _call(client, "get_item", {"item_id": item["id"]})
            assert facts["id"] == item["id"] and facts["attributes"]

        rejected = reply["items"][0]["id"]
        after = await _call(
            client, "give_feedback", {"session_id": session, "item_id": rejected, "liked": False}
        )
        assert rejected not in [item["id"] for item in after["items"]]

        query = {"include": [{"type": "genre", "value": "crime"}], "year_min": 1990, "limit": 3}
        found = await _call(client, "search_catalog", {"query": query})
        assert found["matches"] >= len(found["items"]) > 0 and len(found["items"]) <= 3
        for item in found["items"]:
            assert item["year"] >= 1990
            assert "Crime" in catalog.get(item["id"]).values("genre")

    _with_client(tmp_path, body)


def test_bad_calls_come_back_as_tool_errors_that_say_what_was_wrong(tmp_path: Path) -> None:
    async def body(client: Client) -> None:
        assert "unknown session_id" in await _error(
            client, "answer_question", {"session_id": "nobody", "answer": "yes"}
        )
        session = (await _call(client, "recommend", {"request": "a comedy"}))["session_id"]
        assert "not in catalog" in await _error(
            client, "give_feedback", {"session_id": session, "item_id": "no-such-item", "liked": True}
        )
        assert "not in catalog" in await _error(client, "get_item", {"item_id": "no-such-item"})
        assert "year_min" in await _error(
            client, "search_catalog", {"query": {"year_min": 2000, "year_max": 1990}}
        )
        assert "request" in await _error(client, "recommend", {"request": ""})
        # The server is still answering after the errors.
        assert (await _call(client, "recommend", {"request": "a comedy", "session_id": session}))["text"]

    _with_client(tmp_path, body)


@pytest.mark.parametrize("argv", [["--transport", "pigeon"], ["--port", "70000"]])
def test_bad_command_lines_are_refused(argv: list[str]) -> None:
    from crsagent.cli import main

    with pytest.raises(SystemExit) as exit_info:
        main(["mcp", *argv])
    assert exit_info.value.code == 2
