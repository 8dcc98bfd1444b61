"""Understanding real text against a catalog: one spotter for titles, people, genres, decades and tags.

Offline and deterministic. ``CatalogSpotter`` finds what a message names (multi-pattern matching
over every surface form the catalog has, fuzzy for typos, disambiguated by context and popularity);
the agent's understanding turns those mentions into preferences.
"""
