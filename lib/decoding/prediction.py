"""Docstring tokens -> generated code tokens with a trained model: shared by evaluate, visualize and generate."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
from tqdm import tqdm

from lib.common.config import DecodeConfig
from lib.decoding.constraints import SyntaxConstraint
from lib.decoding.search import greedy_decode, n_best_beam_search
from lib.decoding.unknowns import replace_unknowns
from lib.models.batching import encode_copy, encode_source
from lib.tokens.subwords import join_pieces, split_tokens, strip_marker
from lib.tokens.vocabulary import BOS_ID, UNK, UNK_ID


@dataclass
class Generation:
    """One decoded output.

    tokens:     the code tokens (sub-words joined back), UNKs replaced when the config says so
    raw_tokens: the tokens as decoded (may hold UNK)
    attention:  [len(tokens), len(src) + 1] weights over the docstring tokens and the source EOS (attention
                models), or None; with sub-words, a token's row is the mean of its pieces' rows and a word's
                column the sum of its pieces' columns
    score:      the log-probability the search assigned
    copy_gate:  [len(tokens)] the copy model's p_gen per token (mean over its pieces; 1 = generated from the
                vocabulary, 0 = copied from the docstring) when asked for, else None
    """

    tokens: list[str]
    raw_tokens: list[str]
    attention: np.ndarray | None
    score: float
    copy_gate: np.ndarray | None = None


def generate(model, src_vocab, tgt_vocab, sources: Sequence[Sequence[str]], config: DecodeConfig,
             device="cpu", batch_size: int = 64, gates: bool = False,
             progress: str | None = None) -> list[Generation]:
    """Decode every docstring in `sources` (token lists) in batches; `gates`: also the copy model's gate.
    `progress`: a label for a tqdm bar of the docstrings decoded, on stderr and only when stderr is a terminal
    (so logs and queued runs stay quiet); the outputs are the same with or without it."""
    return [best[0] for best in generate_n_best(model, src_vocab, tgt_vocab, sources, config, 1, device, batch_size,
                                                gates, progress)]


def generate_n_best(model, src_vocab, tgt_vocab, sources: Sequence[Sequence[str]], config: DecodeConfig,
                    n_best: int, device="cpu", batch_size: int = 64, gates: bool = False,
                    progress: str | None = None) -> list[list[Generation]]:
    """The best `n_best` outputs (at most config.beam_size; greedy search has one) of each docstring, best first;
    the arguments as `generate`'s."""
    src_ids = [encode_source(tokens, src_vocab) for tokens in sources]
    copy_ids = [encode_copy(tokens, tgt_vocab)[0] for tokens in sources] if model.spec.copy else None
    constraint = SyntaxConstraint(tgt_vocab, max_len=config.max_len) if config.constrained else None
    search = dict(max_len=config.max_len, batch_size=batch_size, device=device, constraint=constraint,
                  copy_sources=copy_ids, min_len=min(config.min_len, config.max_len), allow_unk=config.allow_unk)
    with tqdm(total=len(sources), desc=progress, unit="docstring", disable=None if progress else True) as bar:
        if config.beam_size == 1:
            hypotheses = [[h] for h in greedy_decode(model, src_ids, on_batch_done=bar.update, **search)]
        else:
            hypotheses = n_best_beam_search(model, src_ids, beam_size=config.beam_size,
                                            n_best=min(n_best, config.beam_size), length_penalty=config.length_penalty,
                                            length_reward=config.length_reward, on_batch_done=bar.update, **search)
    return [[_generation(model, tgt_vocab, source, ids, hypothesis, config.replace_unk, gates) for hypothesis in best]
            for source, ids, best in zip(sources, src_ids, hypotheses)]


def _generation(model, tgt_vocab, source: Sequence[str], src_ids: Sequence[int], hypothesis, replace_unk: bool,
                gates: bool) -> Generation:
    """The Generation of one search hypothesis: pieces to tokens, UNKs replaced, attention per whole token."""
    source_pieces, owner = split_tokens(source) if tgt_vocab.subwords else (list(source), list(range(len(source))))
    pieces = [tgt_vocab.itos[i] if i < len(tgt_vocab) else source_pieces[i - len(tgt_vocab)] for i in hypothesis.ids]
    join = join_pieces if tgt_vocab.subwords else (lambda ps: (list(ps), [[i] for i in range(len(ps))]))
    raw = join(pieces)[0]
    if replace_unk:  # piece by piece, before joining: `get@_ <unk>` becomes one name
        pieces = replace_unknowns(pieces, [strip_marker(p) for p in source_pieces], hypothesis.attention, unk=UNK)
    tokens, groups = join(pieces)
    attention = whole_token_attention(hypothesis.attention, groups, owner, len(source))
    gate = None
    if gates and model.spec.copy:
        piece_gates = copy_gates(model, src_ids, hypothesis.ids)
        gate = np.array([piece_gates[group].mean() for group in groups], dtype=np.float32)
    return Generation(tokens, raw, attention, float(hypothesis.score), gate)


@torch.no_grad()
def copy_gates(model, src_ids: Sequence[int], output_ids: Sequence[int]) -> np.ndarray:
    """p_gen [len(output_ids)] of the copy model at each step of an output it decoded: the decoder rerun on
    that output (eval mode, so the same states as in the search)."""
    if not output_ids:
        return np.zeros(0, dtype=np.float32)
    device = next(model.parameters()).device
    src = torch.tensor([list(src_ids)], device=device)
    prev = torch.tensor([[BOS_ID, *output_ids[:-1]]], device=device)
    prev = prev.masked_fill(prev >= model.tgt_vocab_size, UNK_ID)  # copied words are read back as UNK
    features, _ = model(src, torch.tensor([len(src_ids)]), prev)
    return model.output_layer.generation_probability(features[0]).cpu().numpy()


def whole_token_attention(attention: np.ndarray | None, groups: Sequence[Sequence[int]], owner: Sequence[int],
                          n_words: int) -> np.ndarray | None:
    """Piece attention [n_pieces, n_src_pieces + 1] -> token attention [len(groups), n_words + 1].

    Row i is the mean of the rows of token i's pieces (`groups[i]`); column w the sum of the columns of word
    w's pieces (`owner[j]` is source piece j's word); the last column (source EOS) stays as it is.
    """
    if attention is None:
        return None
    columns = np.zeros((attention.shape[1], n_words + 1), dtype=attention.dtype)  # [n_src_pieces + 1, n_words + 1]
    columns[np.arange(len(owner)), owner] = 1.0
    columns[len(owner):, n_words] = 1.0  # the source EOS
    rows = np.stack([attention[group].mean(0) for group in groups]) if groups else attention[:0]
    return rows @ columns
