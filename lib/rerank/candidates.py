"""The candidate pool of each docstring: the N-best of each pool model's beam search, decoded with the decode
section's minimum length and (rerank.short) without it, and the code of the k training docstrings most similar to
the request (the retrieval baseline's top k)."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from lib.common.config import DecodeConfig, RerankConfig
from lib.decoding.prediction import generate_n_best
from lib.evaluation.retrieval import TfidfRetriever
from lib.models.checkpoint import Checkpoint

# Where a candidate comes from: a model's beam, its beam without a minimum length, the retrieval baseline.
SOURCES = ("beam", "short", "retrieval")


@dataclass(frozen=True)
class Candidate:
    """One answer to a docstring."""

    tokens: tuple[str, ...]  # whole code tokens
    source: str  # one of SOURCES
    model: str | None = None  # the model that wrote it; None for retrieved code
    similarity: float = 0.0  # retrieved code: TF-IDF cosine of the request and the code's own docstring


def model_candidates(name: str, checkpoint: Checkpoint, sources: Sequence[Sequence[str]], config: RerankConfig,
                     decode: DecodeConfig, device="cpu") -> list[list[Candidate]]:
    """For each docstring, model `name`'s N-best (beam width and N: rerank.beam_size) under the decode section,
    then, with rerank.short, its N-best without the minimum length; repeats within a source dropped."""
    searches = [("beam", decode)] + ([("short", replace(decode, min_len=0))] if config.short else [])
    pools: list[list[Candidate]] = [[] for _ in sources]
    for source, settings in searches:
        n_best = generate_n_best(checkpoint.model, checkpoint.src_vocab, checkpoint.tgt_vocab, sources,
                                 replace(settings, beam_size=config.beam_size), config.beam_size, device=device,
                                 progress=f"{name} {source} {config.beam_size}-best")
        for pool, generations in zip(pools, n_best):
            pool.extend(Candidate(tokens, source, name)
                        for tokens in dict.fromkeys(tuple(g.tokens) for g in generations))
    return pools


def retrieved_candidates(retriever: TfidfRetriever, sources: Sequence[Sequence[str]], k: int
                         ) -> list[list[Candidate]]:
    """For each docstring, the code of its k most similar training docstrings, most similar first."""
    if k == 0:
        return [[] for _ in sources]
    indices, similarities = retriever.top_k(sources, k)
    return [[Candidate(tuple(retriever.codes[i]), "retrieval", None, float(s)) for i, s in zip(row, sims)]
            for row, sims in zip(indices, similarities)]
