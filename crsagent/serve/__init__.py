"""Thin adapters that serve the agent where people already work: an OpenAI-compatible HTTP API
(``crsagent serve``) and an MCP server (``crsagent mcp``). Both need the ``serve`` extra."""
