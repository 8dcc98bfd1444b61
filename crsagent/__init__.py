"""crsagent: a conversational recommender agent.

Public names are re-exported here; importing this package has no side effects.
"""

from crsagent.agent import Agent, AgentConfig, Question, Reply, ReplyItem, Trace, UserTurn
from crsagent.config import Settings
from crsagent.data import Catalog, CatalogStore, Dataset, Interactions, Item, ItemQuery, load_dataset

__version__ = "0.1.0"

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
