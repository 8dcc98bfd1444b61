"""A failed turn leaves its session as it was before the turn.

LangGraph saves a checkpoint after every step, so an exception in a late node (a bug, a model
client raising something unexpected) would leave the early nodes' writes as the session's state: a
half-understood "ghost" turn that the next message builds on. ``rollback_on_failure`` remembers the
session's latest checkpoint before the turn and, if the turn raises, puts exactly that checkpoint
back as the latest (a new session is removed again). The caller must hold the session's lock.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.base import BaseCheckpointSaver, CheckpointTuple


def _restore(checkpointer: BaseCheckpointSaver[Any], thread_id: str, saved: CheckpointTuple) -> None:
    configurable = saved.config.get("configurable", {})
    target: dict[str, Any] = {"thread_id": thread_id, "checkpoint_ns": configurable.get("checkpoint_ns", "")}
    parent = (saved.parent_config or {}).get("configurable", {}).get("checkpoint_id")
    if parent is not None:
        target["checkpoint_id"] = parent
    # Every channel's value is written again: after delete_thread no stored version is left to share.
    versions = dict(saved.checkpoint["channel_versions"])
    restored = checkpointer.put({"configurable": target}, saved.checkpoint, saved.metadata, versions)
    writes: dict[str, list[tuple[str, Any]]] = defaultdict(list)
    for task_id, channel, value in saved.pending_writes or ():
        writes[task_id].append((channel, value))
    for task_id, task_writes in writes.items():
        checkpointer.put_writes(restored, task_writes, task_id)


@contextmanager
def rollback_on_failure(checkpointer: BaseCheckpointSaver[Any], thread_id: str) -> Iterator[None]:
    """Run a turn of ``thread_id``; if it raises, the thread's state is what it was before."""
    config: RunnableConfig = {"configurable": {"thread_id": thread_id}}
    saved = checkpointer.get_tuple(config)
    try:
        yield
    except BaseException:  # re-raised; GeneratorExit too (a stream abandoned mid-turn)
        checkpointer.delete_thread(thread_id)
        if saved is not None:
            _restore(checkpointer, thread_id, saved)
        raise
