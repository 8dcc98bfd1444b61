"""crsagent: a conversational recommender agent.

Public names are re-exported here; importing this package has no side effects.
"""

from crsagent.config import Settings
from crsagent.data import Catalog, Dataset, Interactions, Item

__version__ = "0.1.0"

__all__ = ["Catalog", "Dataset", "Interactions", "Item", "Settings", "__version__"]
