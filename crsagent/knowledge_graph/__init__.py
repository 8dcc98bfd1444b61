"""The knowledge graph, preference estimation, and the ask / recommend policies.

``KnowledgeGraph`` (networkx structure + sparse item x value incidence), explanation paths,
personalized PageRank, ``PreferenceEstimator`` (fitted on train; prior weights chosen on
valid), ``DialogueState`` with the ``Ask`` / ``Recommend`` actions, and the policies by name.
"""
