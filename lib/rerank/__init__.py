"""The fifth system, `rerank`: candidates from the models' beams and the retrieval baseline, the best under a
linear score of forward likelihood, reconstruction of the docstring, similarity and length (Yin & Neubig 2019)."""
