"""Forced decoding: a model made to read given code as its own output. What an attention model looks at while it
reads a reference, so a question such as "does `maximum` attend to `max`?" is answered whatever it generates; and
how likely a model finds a given output (the rerank stage's forward and reconstruction scores)."""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from lib.decoding.prediction import whole_token_attention
from lib.models.batching import collate, encode_rows, encode_source, encode_target
from lib.tokens.subwords import split_tokens
from lib.tokens.vocabulary import PAD_ID


def piece_groups(tokens: Sequence[str], tgt_vocab) -> list[list[int]]:
    """For each whole code token, the positions of the target ids that write it (a sub-word vocabulary writes a
    name as several pieces, and a spelling one writes an unknown piece as several)."""
    groups, start = [], 0
    for token in tokens:
        width = len(tgt_vocab.encode([token]))
        groups.append(list(range(start, start + width)))
        start += width
    return groups


@torch.no_grad()
def forced_attention(model, src_vocab, tgt_vocab, sources: Sequence[Sequence[str]],
                     references: Sequence[Sequence[str]], batch_size: int = 64) -> list[np.ndarray]:
    """The attention `model` pays to each docstring while teacher-forced on its reference code.

    `sources`: docstring tokens; `references`: whole code tokens. Returns, per example, whole-token attention
    [len(reference) + 1, len(source) + 1] as `lib.decoding.prediction.Generation` holds it: row t is the
    attention while predicting reference token t (the last row: the final EOS), column w the docstring word w
    (the last column: the source EOS); a token's row is the mean of its pieces' rows, a word's column the sum
    of its pieces' columns. ValueError for a model without attention.
    """
    model.eval()
    device = next(model.parameters()).device
    matrices = []
    for start in range(0, len(sources), batch_size):
        chunk = range(start, min(start + batch_size, len(sources)))
        examples = [(encode_source(sources[i], src_vocab), encode_target(references[i], tgt_vocab)) for i in chunk]
        batch = collate(examples, model.tgt_vocab_size).to(device)
        _, attention = model(batch.src, batch.src_lengths, batch.tgt_in)  # [batch, tgt_len, src_len]
        if attention is None:
            raise ValueError(f"forced_attention: the {model.kind} model has no attention")
        for row, i in enumerate(chunk):
            n_pieces = len(examples[row][1]) - 2  # BOS and EOS aside
            n_src_pieces = len(examples[row][0]) - 1
            weights = attention[row, : n_pieces + 1, : n_src_pieces + 1].float().cpu().numpy()
            owner = split_tokens(sources[i])[1] if src_vocab.subwords else list(range(len(sources[i])))
            groups = [*piece_groups(references[i], tgt_vocab), [n_pieces]]  # the final EOS row stays itself
            matrices.append(whole_token_attention(weights, groups, owner, len(sources[i])))
    return matrices


@torch.no_grad()
def forced_log_likelihoods(model, src_vocab, tgt_vocab, sources: Sequence[Sequence[str]],
                           targets: Sequence[Sequence[str]], batch_size: int = 64) -> tuple[np.ndarray, np.ndarray]:
    """(summed log-probability [n], pieces scored [n]) of each target (whole tokens) given its source under `model`,
    teacher-forced: every piece of the target and its final EOS. The copy model scores under its mixture, so a
    docstring word it can copy costs what copying it costs."""
    model.eval()
    device = next(model.parameters()).device
    examples = encode_rows(zip(sources, targets), src_vocab, tgt_vocab, copy=model.spec.copy)
    sums, counts = np.zeros(len(examples)), np.zeros(len(examples), dtype=np.int64)
    order = sorted(range(len(examples)), key=lambda i: (len(examples[i][1]), len(examples[i][0])))  # little padding
    for start in range(0, len(order), batch_size):
        chunk = order[start: start + batch_size]
        batch = collate([examples[i] for i in chunk], model.tgt_vocab_size).to(device)
        per_piece = model.gold_log_likelihoods(batch)  # [n_tokens], row by row
        lengths = (batch.tgt_out != PAD_ID).sum(1).tolist()
        for i, row in zip(chunk, per_piece.split(lengths)):
            sums[i], counts[i] = float(row.double().sum()), len(row)
    return sums, counts
