"""TF-IDF retrieval baseline: answer a summary with the code of the most similar training summary."""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer


def _identity(tokens: Sequence[str]) -> Sequence[str]:
    """Analyzer that keeps the given tokens as they are (module level so the retriever pickles)."""
    return tokens


class TfidfRetriever:
    """Nearest training summary by cosine similarity of TF-IDF vectors (sklearn's defaults: smoothed
    idf, sublinear tf off, L2-normalised rows, so a dot product is the cosine).

    Tokens are used as given: no lower-casing or re-tokenization, since summaries keep identifier case
    on purpose. Ties go to the lowest training index; a query sharing no token with any training
    summary (all similarities 0) therefore gets training row 0.
    """

    def __init__(self, chunk_size: int = 512):
        self.chunk_size = chunk_size
        self.vectorizer = TfidfVectorizer(analyzer=_identity)

    def fit(self, summaries: Sequence[Sequence[str]], codes: Sequence[Sequence[str]]) -> TfidfRetriever:
        """Index training summaries (token lists) with the code (token lists) to return for them."""
        if len(summaries) != len(codes):
            raise ValueError(f"{len(summaries)} summaries but {len(codes)} codes")
        if not summaries:
            raise ValueError("cannot fit a retriever on no examples")
        self.matrix = self.vectorizer.fit_transform(summaries)  # [n_train, vocab], sparse CSR
        self.codes = [list(code) for code in codes]
        return self

    def nearest(self, queries: Sequence[Sequence[str]]) -> tuple[np.ndarray, np.ndarray]:
        """(indices [n_queries] of the nearest training rows, their cosine similarities [n_queries])."""
        indices, scores = self.top_k(queries, 1)
        return indices[:, 0], scores[:, 0]

    def top_k(self, queries: Sequence[Sequence[str]], k: int) -> tuple[np.ndarray, np.ndarray]:
        """(indices [n_queries, k] of the k nearest training rows, most similar first, their cosine similarities
        [n_queries, k]); k is capped at the number of training rows."""
        k = min(k, self.matrix.shape[0])
        if not queries:
            return np.zeros((0, k), dtype=np.int64), np.zeros((0, k))
        query_matrix = self.vectorizer.transform(queries)  # unseen tokens are ignored
        indices, scores = [], []
        # Chunks bound the dense [chunk, n_train] similarity block in memory.
        for start in range(0, query_matrix.shape[0], self.chunk_size):
            similarities = (query_matrix[start: start + self.chunk_size] @ self.matrix.T).toarray()
            best = np.argsort(-similarities, axis=1, kind="stable")[:, :k]  # stable: the lowest index wins ties
            indices.append(best)
            scores.append(np.take_along_axis(similarities, best, axis=1))
        return np.concatenate(indices), np.concatenate(scores)

    def retrieve(self, queries: Sequence[Sequence[str]]) -> list[list[str]]:
        """The code of the nearest training summary for each query (token lists in, token lists out)."""
        indices, _ = self.nearest(queries)
        return [list(self.codes[i]) for i in indices]
