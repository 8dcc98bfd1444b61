"""Recommender models behind one protocol: fitted on a train split, scoring items for a history.

Popularity, item-kNN and EASE need numpy / scipy only; SASRec needs torch (the ``ml`` extra) and is
imported on first use (``make_recommender("sasrec")`` or ``from ...recommenders.sasrec import SASRec``).
"""

from crsagent.recommenders.base import NotFittedError, RecommenderConfig, UnknownItemIndexError
from crsagent.recommenders.base_model import BaseRecommender, Recommender, SavedModelError
from crsagent.recommenders.ease import EASE, EASEConfig
from crsagent.recommenders.itemknn import ItemKNN, ItemKNNConfig
from crsagent.recommenders.metrics import evaluate_model, evaluate_scores
from crsagent.recommenders.popularity import Popularity, PopularityConfig
from crsagent.recommenders.registry import load_recommender, make_recommender
from crsagent.recommenders.sequences import targets_by_user, user_sequences

__all__ = [
    "EASE",
    "BaseRecommender",
    "EASEConfig",
    "ItemKNN",
    "ItemKNNConfig",
    "NotFittedError",
    "Popularity",
    "PopularityConfig",
    "Recommender",
    "RecommenderConfig",
    "SavedModelError",
    "UnknownItemIndexError",
    "evaluate_model",
    "evaluate_scores",
    "load_recommender",
    "make_recommender",
    "targets_by_user",
    "user_sequences",
]
