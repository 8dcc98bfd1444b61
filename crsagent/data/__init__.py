"""Datasets: catalog, interactions, splits; loaders, the downloader and catalog queries."""

from crsagent.data.catalog import Catalog, UnknownItemError
from crsagent.data.dataset import SPLIT_NAMES, Dataset
from crsagent.data.interactions import Interactions
from crsagent.data.item import Item

__all__ = ["SPLIT_NAMES", "Catalog", "Dataset", "Interactions", "Item", "UnknownItemError"]
