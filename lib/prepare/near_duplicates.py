"""Near-duplicates between splits: how similar each function is to its nearest training function.

The measure is Allamanis (2019), "The adverse effects of code duplication in machine learning models of code":
Jaccard similarity over the identifier and literal tokens of two functions (keywords, operators and layout
ignored), once over token sets and once over token multisets. A pair is a near-duplicate when the set
similarity is at least 0.8 and the multiset similarity at least 0.7, his thresholds.

Both similarities are computed for every (query, reference) pair at once with sparse products. The multiset
intersection sum_t min(a_t, b_t) equals sum_t sum_i [a_t >= i][b_t >= i], so a token that occurs c times
becomes c binary features ("x#1", ..., "x#c"): the binary product of these expanded vectors is the multiset
intersection, and the "#1" features alone are the token set. No pair is skipped or approximated.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.feature_extraction.text import CountVectorizer

from lib.tokens.kinds import is_literal, is_name

SET_THRESHOLD = 0.8
MULTISET_THRESHOLD = 0.7
COLUMNS = ("nearest_train_jaccard", "nearest_train_multiset_jaccard", "near_duplicate")
# Lower edges of the reported similarity buckets (set Jaccard to the nearest training function).
BUCKET_EDGES = (0.0, 0.5, 0.7, 0.8, 0.9, 1.0)

_OCCURRENCE = "\x00"  # separates a token from its occurrence number; never part of a code token


def identifier_literal_tokens(tokens: Iterable[str]) -> list[str]:
    """The names (not keywords; soft keywords are names), numbers and strings of a code token sequence, in order,
    repeats kept."""
    return [token for token in tokens if is_name(token) or is_literal(token)]


def jaccard(a: Iterable[str], b: Iterable[str]) -> tuple[float, float]:
    """(set, multiset) Jaccard similarity of the identifiers and literals of two code token sequences.

    The plain-Python definition, for single pairs and to check the sparse computation; 0.0 when both are empty.
    """
    count_a, count_b = Counter(identifier_literal_tokens(a)), Counter(identifier_literal_tokens(b))
    set_a, set_b = set(count_a), set(count_b)
    set_union = len(set_a | set_b)
    multiset_union = sum((count_a | count_b).values())
    return (len(set_a & set_b) / set_union if set_union else 0.0,
            sum((count_a & count_b).values()) / multiset_union if multiset_union else 0.0)


def _occurrence_features(tokens: Iterable[str]) -> list[str]:
    """Identifiers and literals with their occurrence number: x, y, x -> x#1, y#1, x#2 (see the module doc)."""
    seen: Counter = Counter()
    features = []
    for token in identifier_literal_tokens(tokens):
        seen[token] += 1
        features.append(f"{token}{_OCCURRENCE}{seen[token]}")
    return features


def _binary_matrices(queries: Sequence, references: Sequence) -> tuple[sp.csr_matrix, ...]:
    """Binary occurrence-feature matrices of queries and references, and the same restricted to the "#1" columns.

    One vocabulary over both, so a query's token absent from every reference still counts in its own size.
    """
    vectorizer = CountVectorizer(analyzer=_occurrence_features, binary=True, dtype=np.float32)
    matrix = vectorizer.fit_transform(list(references) + list(queries)).tocsr()
    first = np.array([name.endswith(f"{_OCCURRENCE}1") for name in vectorizer.get_feature_names_out()])
    reference_rows, query_rows = matrix[: len(references)], matrix[len(references):]
    return query_rows, reference_rows, query_rows[:, first], reference_rows[:, first]


def _ratio(intersection: np.ndarray, size_q: np.ndarray, size_r: np.ndarray) -> np.ndarray:
    """Jaccard from intersections (rows: queries) and sizes; 0 where both sides are empty."""
    intersection = intersection.astype(np.float64)  # float32 would put 7/10 just below the 0.7 threshold
    union = size_q[:, None] + size_r[None, :] - intersection
    return np.divide(intersection, union, out=np.zeros_like(intersection), where=union > 0)


def nearest_similarity(queries: Sequence[Sequence[str]], references: Sequence[Sequence[str]],
                       set_threshold: float = SET_THRESHOLD, multiset_threshold: float = MULTISET_THRESHOLD,
                       chunk_cells: int = 4_000_000) -> pd.DataFrame:
    """For each query code token sequence, its similarity to the most similar reference sequence.

    Returns one row per query (index 0..n-1) with the columns of COLUMNS: the largest set Jaccard over all
    references, the largest multiset Jaccard (possibly of another reference), and whether some single
    reference reaches both thresholds. With no references: 0.0, 0.0, False. Queries are processed in chunks of
    about `chunk_cells` (query, reference) pairs, which bounds the memory (a few arrays of that size).
    """
    result = pd.DataFrame({COLUMNS[0]: np.zeros(len(queries)), COLUMNS[1]: np.zeros(len(queries)),
                           COLUMNS[2]: np.zeros(len(queries), dtype=bool)})
    if not len(queries) or not len(references):
        return result
    multi_q, multi_r, set_q, set_r = _binary_matrices(queries, references)
    sizes = [np.asarray(m.sum(axis=1), dtype=np.float32).ravel() for m in (multi_q, multi_r, set_q, set_r)]
    multi_rt, set_rt = multi_r.T.tocsr(), set_r.T.tocsr()
    step = max(1, chunk_cells // len(references))
    for start in range(0, len(queries), step):
        rows = slice(start, start + step)
        set_j = _ratio((set_q[rows] @ set_rt).toarray(), sizes[2][rows], sizes[3])
        multi_j = _ratio((multi_q[rows] @ multi_rt).toarray(), sizes[0][rows], sizes[1])
        result.iloc[rows, 0] = set_j.max(axis=1)
        result.iloc[rows, 1] = multi_j.max(axis=1)
        result.iloc[rows, 2] = ((set_j >= set_threshold) & (multi_j >= multiset_threshold)).any(axis=1)
    return result


def annotate(frame: pd.DataFrame, train: pd.DataFrame) -> pd.DataFrame:
    """`frame` with the COLUMNS of its `tgt` code against the `tgt` code of `train`."""
    similarity = nearest_similarity(list(frame["tgt"]), list(train["tgt"]))
    return frame.assign(**{column: similarity[column].to_numpy() for column in COLUMNS})


def unmeasured(frame: pd.DataFrame) -> pd.DataFrame:
    """`frame` with the COLUMNS present but empty (NaN, NaN, False): rows not compared with anything."""
    return frame.assign(**{COLUMNS[0]: np.nan, COLUMNS[1]: np.nan, COLUMNS[2]: False})


def similarity_buckets(similarities: Iterable[float]) -> dict[str, int]:
    """How many similarities fall in each bucket of BUCKET_EDGES: "0.0-0.5", ..., "0.9-1.0", "1.0"."""
    values = np.asarray(list(similarities), dtype=float)
    bounds = [*BUCKET_EDGES, np.inf]
    names = [f"{low}-{high}" for low, high in zip(BUCKET_EDGES[:-1], BUCKET_EDGES[1:])] + [str(BUCKET_EDGES[-1])]
    return {name: int(((values >= low) & (values < high)).sum()) for name, low, high in zip(names, bounds, bounds[1:])}


def summarize(frames: dict[str, pd.DataFrame]) -> dict:
    """Rows, near-duplicates and similarity buckets per split, and rows and near-duplicates per split and repo."""
    splits, repos = {}, {}
    for name, frame in frames.items():
        splits[name] = {"rows": len(frame), "near_duplicates": int(frame["near_duplicate"].sum()),
                        "buckets": similarity_buckets(frame["nearest_train_jaccard"].dropna())}
        for repo, group in frame.groupby("repo", sort=True):
            counts = {"rows": len(group), "near_duplicates": int(group["near_duplicate"].sum())}
            repos.setdefault(repo, {})[name] = counts
    return {"set_threshold": SET_THRESHOLD, "multiset_threshold": MULTISET_THRESHOLD, "splits": splits,
            "repos": dict(sorted(repos.items()))}


def evaluation_subsets(test: pd.DataFrame) -> dict[str, np.ndarray]:
    """Boolean row masks of the test rows to score: "all", and "novel" (no near-duplicate in train).

    For an evaluate step that reports each metric twice; `test` is data/split/test.parquet.
    """
    if "near_duplicate" not in test.columns:
        raise KeyError("test rows have no near_duplicate column: rerun the split stage (dvc repro split)")
    near = test["near_duplicate"].to_numpy(dtype=bool)
    return {"all": np.ones(len(test), dtype=bool), "novel": ~near}
