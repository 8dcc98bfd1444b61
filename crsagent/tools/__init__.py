"""Recommender models and the LLM-callable tools over them; grounding of names to catalog ids."""
