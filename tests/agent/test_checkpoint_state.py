"""The typed session state survives the SQLite checkpointer, and old checkpoints of plain dicts load."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from langchain_core.runnables import RunnableConfig

from crsagent.agent import Agent
from crsagent.agent.memory import Memory
from crsagent.agent.ranking import memory_candidates
from crsagent.agent.reply import Reply
from crsagent.agent.turns import Intent


def _talk(agent: Agent) -> tuple[Reply, Reply]:
    """Session "ann" ends on a list of items, "bob" on a question: both are kept in memory."""
    shown = agent.chat("something by Billy Wilder", "ann")
    for _ in range(6):
        if shown.items:
            break
        shown = agent.chat("no preference", "ann")
    asked = agent.chat("a comedy", "bob")
    assert shown.items and asked.question is not None, (shown.text, asked.text)
    return shown, asked


def test_a_new_agent_on_the_same_file_continues_the_conversation(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "sessions.sqlite"
    first = Agent.from_dataset("demo", llm="offline", checkpoint_path=path)
    shown, asked = _talk(first)
    memory = {sid: first._values(sid)["memory"] for sid in ("ann", "bob")}
    del first
    with caplog.at_level(logging.WARNING, logger="langgraph"):
        second = Agent.from_dataset("demo", llm="offline", checkpoint_path=path)
        values = {sid: second._values(sid) for sid in ("ann", "bob")}
        about_first = second.chat("who directed the first one?", "ann")
        answer = second.chat("yes", "bob")
    # Every key comes back as its model (the serializer rebuilds them, warning about none).
    assert not [record for record in caplog.records if "deserializ" in record.getMessage().lower()]
    assert all(isinstance(v["memory"], Memory) and isinstance(v["reply"], Reply) for v in values.values())
    assert [v["memory"] for v in values.values()] == list(memory.values())
    assert values["ann"]["reply"] == shown and values["bob"]["reply"] == asked
    assert values["ann"]["memory"].shown == [item.id for item in shown.items]
    assert values["bob"]["memory"].question == asked.question
    # The shown list and the pending question carry on into the next turn.
    assert about_first.trace.decision == "answer_item" and "Billy Wilder" in about_first.text
    assert answer.trace.understood is not None and answer.trace.understood.intent == Intent.ANSWER
    assert answer.trace.turn == memory["bob"].turns + 1


def test_a_checkpoint_of_plain_dicts_still_loads(tmp_path: Path) -> None:
    path = tmp_path / "sessions.sqlite"
    first = Agent.from_dataset("demo", llm="offline", checkpoint_path=path)
    _, asked = _talk(first)
    memory = first._values("bob")["memory"]
    # What a checkpoint written before the state held models looks like: JSON dicts.
    config: RunnableConfig = {"configurable": {"thread_id": "bob"}}
    old = {"memory": memory.model_dump(mode="json"), "reply": asked.model_dump(mode="json")}
    first.graph.update_state(config, old, as_node="respond")
    assert isinstance(first._values("bob")["memory"], dict)
    second = Agent.from_dataset("demo", llm="offline", checkpoint_path=path)
    assert second.last_reply("bob") == asked
    reply = second.chat("yes", "bob")
    assert reply.trace.understood is not None and reply.trace.understood.intent == Intent.ANSWER
    assert reply.trace.turn == memory.turns + 1
    assert isinstance(second._values("bob")["memory"], Memory)


def test_the_graph_filters_candidates_are_recomputed_not_stored(demo_agent: Agent) -> None:
    """A checkpoint keeps no candidate list of the graph filter (hundreds of thousands on a large
    catalog); the turn's nodes share one filtered array, kept read-only per constraints."""
    reply = demo_agent.chat("a comedy", "filtered-bus")
    assert reply.trace.candidates_after > 0
    bus = demo_agent._values("filtered-bus")["bus"]
    assert bus.filtered and bus.candidates is None
    memory = demo_agent._values("filtered-bus")["memory"]
    kept = memory_candidates(demo_agent.runtime, memory)
    assert memory_candidates(demo_agent.runtime, memory) is kept and not kept.flags.writeable
    assert kept.size == reply.trace.candidates_after
    narrower = memory.model_copy(
        update={"rejected_items": [demo_agent.runtime.dataset.catalog.at(int(kept[0])).id]}
    )
    assert memory_candidates(demo_agent.runtime, narrower).tolist() == kept[1:].tolist()
