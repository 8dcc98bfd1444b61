"""crsagent: a conversational recommender agent.

Public names are re-exported here; importing this package has no side effects.
"""

from typing import TYPE_CHECKING

from crsagent.config import Settings
from crsagent.data import Catalog, CatalogStore, Dataset, Interactions, Item, ItemQuery, load_dataset

if TYPE_CHECKING:
    from crsagent.agent import Agent, AgentConfig, Question, Reply, ReplyItem, Trace, UserTurn

__version__ = "0.1.0"

# The agent pulls in LangGraph (about a second to import): load it on first use, so commands that
# never chat (``crsagent data``) start fast.
_AGENT_NAMES = frozenset({"Agent", "AgentConfig", "Question", "Reply", "ReplyItem", "Trace", "UserTurn"})


def __getattr__(name: str) -> object:
    if name in _AGENT_NAMES:
        import crsagent.agent as agent

        return getattr(agent, name)
    raise AttributeError(f"module 'crsagent' has no attribute {name!r}")


__all__ = [
    "Agent",
    "AgentConfig",
    "Catalog",
    "CatalogStore",
    "Dataset",
    "Interactions",
    "Item",
    "ItemQuery",
    "Question",
    "Reply",
    "ReplyItem",
    "Settings",
    "Trace",
    "UserTurn",
    "__version__",
    "load_dataset",
]
