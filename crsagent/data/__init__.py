"""Datasets: catalog, interactions, splits; loaders, the downloader and catalog queries."""

from crsagent.data.catalog import Catalog, UnknownItemError
from crsagent.data.dataset import Dataset
from crsagent.data.interactions import Interactions
from crsagent.data.item import Item
from crsagent.data.query import AttributeCondition, ItemQuery
from crsagent.data.raw_sql import SqlResult
from crsagent.data.registry import load_dataset
from crsagent.data.sqlstore import CatalogStore

__all__ = [
    "AttributeCondition",
    "Catalog",
    "CatalogStore",
    "Dataset",
    "Interactions",
    "Item",
    "ItemQuery",
    "SqlResult",
    "UnknownItemError",
    "load_dataset",
]
