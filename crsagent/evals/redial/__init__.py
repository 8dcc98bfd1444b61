"""The ReDial benchmarks on real dialogues: recommendation recall at the human recommender's turns
(CRSLab / iEvaLM protocol) and the accuracy of understanding real seeker messages."""
