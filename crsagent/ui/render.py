"""Pure rendering of the agent's ``Reply`` for the web UI: escaped chat text, item cards, the trace.

Nothing here imports gradio, so it is unit-tested without a browser. Every piece of text that comes
from a user, a dataset or an LLM is escaped here: the UI never relies on the browser's sanitiser
alone, and a title such as ``<img onerror=...>`` shows as the text it is.
"""

from __future__ import annotations

import html
import json
import re

from crsagent.agent.reply import Reply, ReplyItem, Trace
from crsagent.tools.bus import ToolCallRecord

# Attribute types a card shows, in this order, when the item has them (others follow, up to the cap).
CARD_TYPES = ("genre", "director", "cast", "writer", "tag", "decade")
CARD_MAX_TYPES = 4
CARD_MAX_VALUES = 3
# Markdown punctuation that could turn text into links, emphasis, headings or tables.
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|~>])")


def md_text(text: str) -> str:
    """``text`` for a Markdown component, shown literally: HTML escaped, Markdown syntax backslashed."""
    # quote=False: quotes are harmless in text, and their entities (&#x27;) would hold a '#' to backslash.
    escaped = html.escape(text, quote=False)
    return _MARKDOWN_SPECIAL.sub(r"\\\1", escaped)


def agent_message(reply: Reply) -> str:
    """The agent's reply for the chat: its text, then any notices (an LLM fallback...) marked as such."""
    parts = [md_text(reply.text)]
    parts += [notice_message(notice) for notice in reply.trace.notices]
    return "\n\n".join(part for part in parts if part)


def notice_message(text: str) -> str:
    """A notice of the UI itself (an agent that could not be built, ...), for the chat."""
    return f"**Notice:** *{md_text(text)}*"


def _card_attributes(item: ReplyItem) -> list[tuple[str, list[str]]]:
    ordered = [t for t in CARD_TYPES if item.attributes.get(t)]
    ordered += [t for t in item.attributes if t not in CARD_TYPES and t != "year" and item.attributes[t]]
    return [(t, item.attributes[t][:CARD_MAX_VALUES]) for t in ordered[:CARD_MAX_TYPES]]


def item_card_html(item: ReplyItem, rank: int) -> str:
    """One item card: rank, title, year, key attributes and the reason, all escaped."""
    esc = html.escape
    # MovieLens titles already end in "(1994)": the year is not shown twice.
    show_year = item.year is not None and not item.title.rstrip().endswith(f"({item.year})")
    year = f' <span class="crs-year">({item.year})</span>' if show_year else ""
    rows = "".join(
        f'<div class="crs-attr"><span class="crs-attr-type">{esc(kind)}</span> {esc(", ".join(values))}</div>'
        for kind, values in _card_attributes(item)
    )
    reason = f'<div class="crs-reason">{esc(item.reasons[0])}</div>' if item.reasons else ""
    return (
        f'<div class="crs-card" data-item-id="{esc(item.id)}">'
        f'<div class="crs-title"><span class="crs-rank">{rank}.</span> {esc(item.title)}{year}</div>'
        f"{rows}{reason}</div>"
    )


def _tool_call_line(call: ToolCallRecord) -> str:
    arguments = json.dumps(call.arguments, ensure_ascii=False, sort_keys=True, default=str)
    status = "ok" if call.ok else f"failed: {call.error or 'unknown error'}"
    return (
        f"- **{md_text(call.tool)}** {md_text(arguments)} → {call.size_before} → {call.size_after} "
        f"candidates ({md_text(status)})"
    )


def trace_markdown(trace: Trace) -> str:
    """The side panel: what was understood, the policy's decision and why, tool calls, candidates."""
    lines = [
        f"**Turn {trace.turn}** · mode **{trace.mode}**"
        + (f" · policy **{md_text(trace.policy)}**" if trace.policy else ""),
        f"**Decision:** {md_text(trace.decision)}"
        + (f" — {md_text(trace.decision_reason)}" if trace.decision_reason else ""),
        f"**Candidates:** {trace.candidates_before} → {trace.candidates_after}",
    ]
    if trace.understood is not None:
        understood = trace.understood.model_dump(mode="json", exclude_defaults=True)
        lines.append(f"**Understood:** {md_text(json.dumps(understood, ensure_ascii=False, sort_keys=True))}")
    if trace.relaxations:
        lines.append(f"**Relaxed:** {md_text('; '.join(trace.relaxations))}")
    if trace.dropped_titles:
        lines.append(f"**Not in the catalog:** {md_text('; '.join(trace.dropped_titles))}")
    if trace.llm_calls:
        lines.append(
            f"**LLM:** {trace.llm_calls} calls, {trace.prompt_tokens} prompt + {trace.completion_tokens} completion tokens"
        )
    lines.append(f"**Latency:** {trace.latency_ms:.0f} ms")
    text = "\n\n".join(lines)
    if trace.tool_calls:
        text += "\n\n**Tool calls**\n\n" + "\n".join(_tool_call_line(call) for call in trace.tool_calls)
    if trace.notices:
        text += "\n\n**Notices**\n\n" + "\n".join(f"- {md_text(n)}" for n in trace.notices)
    return text
