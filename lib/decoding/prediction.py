"""Docstring tokens -> generated code tokens with a trained model: shared by evaluate, visualize and generate."""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from lib.common.params import get
from lib.decoding.constraints import SyntaxConstraint
from lib.decoding.search import beam_search, greedy_decode
from lib.decoding.unknowns import replace_unknowns
from lib.models.batching import encode_source
from lib.tokens.vocabulary import UNK


@dataclass(frozen=True)
class DecodeConfig:
    """How outputs are decoded (the `decode` section of params.yaml)."""

    beam_size: int = 1  # 1: greedy
    length_penalty: float = 1.0
    max_len: int = 80
    constrained: bool = False  # mask tokens that break lib.decoding.constraints' rules
    replace_unk: bool = True  # UNK -> most attended docstring word (attn) or a placeholder name

    @classmethod
    def from_params(cls, params: Mapping) -> DecodeConfig:
        return cls(
            beam_size=get(params, "decode.beam_size", int, minimum=1),
            length_penalty=get(params, "decode.length_penalty", float, minimum=0.0),
            max_len=get(params, "decode.max_len", int, minimum=1),
            constrained=get(params, "decode.constrained", bool),
            replace_unk=get(params, "decode.replace_unk", bool),
        )


@dataclass
class Generation:
    """One decoded output.

    tokens:     the code tokens, UNKs replaced when the config says so
    raw_tokens: the tokens as decoded (may hold UNK)
    attention:  [len(tokens), len(src) + 1] weights over the docstring tokens and the source EOS (attn), or None
    score:      the log-probability the search assigned
    """

    tokens: list[str]
    raw_tokens: list[str]
    attention: np.ndarray | None
    score: float


def generate(model, src_vocab, tgt_vocab, sources: Sequence[Sequence[str]], config: DecodeConfig,
             device="cpu", batch_size: int = 64) -> list[Generation]:
    """Decode every docstring in `sources` (token lists) in batches."""
    src_ids = [encode_source(tokens, src_vocab) for tokens in sources]
    constraint = SyntaxConstraint(tgt_vocab, max_len=config.max_len) if config.constrained else None
    if config.beam_size == 1:
        hypotheses = greedy_decode(model, src_ids, max_len=config.max_len, batch_size=batch_size, device=device,
                                   constraint=constraint)
    else:
        hypotheses = beam_search(model, src_ids, beam_size=config.beam_size, length_penalty=config.length_penalty,
                                 max_len=config.max_len, batch_size=batch_size, device=device, constraint=constraint)
    generations = []
    for source, hypothesis in zip(sources, hypotheses):
        raw = [tgt_vocab.itos[index] for index in hypothesis.ids]
        tokens = replace_unknowns(raw, list(source), hypothesis.attention, unk=UNK) if config.replace_unk else raw
        generations.append(Generation(tokens, raw, hypothesis.attention, float(hypothesis.score)))
    return generations
