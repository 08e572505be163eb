"""The features of a candidate, one column each (their names: lib.common.config.RERANK_FEATURES):

    forward     log-probability per piece of the candidate given the docstring, under the forward model
    reverse     log-probability per piece of the docstring given the candidate, under the reverse model
                (reconstruction: can the request be read back from the answer?)
    similarity  a retrieved candidate's TF-IDF cosine with the request (0 for a generated one)
    retrieved   1 for a retrieved candidate, 0 for a generated one
    length      log(1 + the candidate's token count)
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from lib.decoding.forced import forced_log_likelihoods
from lib.models.checkpoint import Checkpoint
from lib.rerank.candidates import Candidate


def pool_features(pools: Sequence[Sequence[Candidate]], sources: Sequence[Sequence[str]], names: Sequence[str],
                  forward: Checkpoint | None, reverse: Checkpoint | None) -> list[np.ndarray]:
    """[len(pool), len(names)] features of each docstring's pool (`names`: the columns, in order). `forward` and
    `reverse` are needed only when their feature is named."""
    flat = [(query, candidate) for query, pool in enumerate(pools) for candidate in pool]
    docstrings = [list(sources[query]) for query, _ in flat]
    codes = [list(candidate.tokens) for _, candidate in flat]
    columns = {}
    if "forward" in names:
        columns["forward"] = _per_piece(forward, docstrings, codes)
    if "reverse" in names:
        columns["reverse"] = _per_piece(reverse, codes, docstrings)
    columns["similarity"] = np.array([candidate.similarity for _, candidate in flat])
    columns["retrieved"] = np.array([float(candidate.source == "retrieval") for _, candidate in flat])
    columns["length"] = np.log1p([len(code) for code in codes])
    matrix = np.stack([columns[name] for name in names], axis=1) if flat else np.zeros((0, len(names)))
    return np.split(matrix, np.cumsum([len(pool) for pool in pools])[:-1])


def _per_piece(checkpoint: Checkpoint, sources: list[list[str]], targets: list[list[str]]) -> np.ndarray:
    sums, counts = forced_log_likelihoods(checkpoint.model, checkpoint.src_vocab, checkpoint.tgt_vocab, sources,
                                          targets)
    return sums / counts
