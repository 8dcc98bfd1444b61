"""Recommender models behind one protocol: fitted on a train split, scoring items for a history."""
