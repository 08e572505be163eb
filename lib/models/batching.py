"""Encoding rows to ids and grouping them into padded, length-bucketed batches.

Convention used by training *and* decoding (one helper, so evaluation cannot get it wrong):

- source ids = the summary's token ids followed by EOS (no BOS): ``encode_source``;
- target ids = BOS + the code's token ids + EOS: ``encode_target``. The decoder reads
  ``tgt[:-1]`` (BOS ...) and predicts ``tgt[1:]`` (... EOS).

Batches are batch-first: ``src`` is [batch, src_len], ``tgt_in`` / ``tgt_out`` are [batch, tgt_len].
"""
from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import torch

from lib.tokens.vocabulary import EOS_ID, PAD_ID, Vocabulary


def encode_source(tokens: Sequence[str], src_vocab: Vocabulary) -> list[int]:
    """Source ids as every model sees them: token ids + EOS (UNK for unknown tokens)."""
    return [*src_vocab.encode(list(tokens)), EOS_ID]


def encode_target(tokens: Sequence[str], tgt_vocab: Vocabulary) -> list[int]:
    """Target ids as training sees them: BOS + token ids + EOS."""
    return tgt_vocab.encode(list(tokens), bos_eos=True)


def encode_pair(
    src_tokens: Sequence[str], tgt_tokens: Sequence[str], src_vocab: Vocabulary, tgt_vocab: Vocabulary
) -> tuple[list[int], list[int]]:
    """One data row (``src``, ``tgt`` token lists) to (source ids, target ids); see the module docstring."""
    return encode_source(src_tokens, src_vocab), encode_target(tgt_tokens, tgt_vocab)


def encode_rows(rows, src_vocab: Vocabulary, tgt_vocab: Vocabulary) -> list[tuple[list[int], list[int]]]:
    """``encode_pair`` over a DataFrame with list columns ``src`` and ``tgt`` (or an iterable of pairs)."""
    if hasattr(rows, "columns"):
        rows = zip(rows["src"], rows["tgt"])
    return [encode_pair(list(s), list(t), src_vocab, tgt_vocab) for s, t in rows]


@dataclass
class Batch:
    """A padded batch.

    src:         [batch, src_len] long, PAD after each sequence
    src_lengths: [batch] long (on CPU, as pack_padded_sequence wants it)
    tgt_in:      [batch, tgt_len] long, BOS + ids (decoder input), or None for source-only batches
    tgt_out:     [batch, tgt_len] long, ids + EOS (what is predicted), PAD elsewhere
    n_tokens:    number of real (non-pad) positions of tgt_out
    """

    src: torch.Tensor
    src_lengths: torch.Tensor
    tgt_in: torch.Tensor | None = None
    tgt_out: torch.Tensor | None = None
    n_tokens: int = 0

    def to(self, device: torch.device | str) -> Batch:
        move = lambda t: None if t is None else t.to(device, non_blocking=True)  # noqa: E731
        return Batch(move(self.src), self.src_lengths, move(self.tgt_in), move(self.tgt_out), self.n_tokens)

    @property
    def size(self) -> int:
        return self.src.size(0)


def pad(sequences: Sequence[Sequence[int]]) -> tuple[torch.Tensor, torch.Tensor]:
    """Sequences of ids to ([batch, max_len] long tensor padded with PAD, [batch] lengths)."""
    if not sequences or any(len(s) == 0 for s in sequences):
        raise ValueError("pad: every sequence needs at least one id")
    lengths = torch.tensor([len(s) for s in sequences], dtype=torch.long)
    out = torch.full((len(sequences), int(lengths.max())), PAD_ID, dtype=torch.long)
    for i, s in enumerate(sequences):
        out[i, : len(s)] = torch.as_tensor(s, dtype=torch.long)
    return out, lengths


def collate(examples: Sequence[tuple[Sequence[int], Sequence[int]]]) -> Batch:
    """(source ids, target ids) pairs, targets as BOS ... EOS, to a Batch."""
    src, src_lengths = pad([s for s, _ in examples])
    tgt, _ = pad([t for _, t in examples])
    if tgt.size(1) < 2:
        raise ValueError("collate: a target needs at least BOS and EOS")
    tgt_in, tgt_out = tgt[:, :-1].clone(), tgt[:, 1:].clone()
    tgt_in[tgt_in == EOS_ID] = PAD_ID  # the final EOS is never an input
    n_tokens = int((tgt_out != PAD_ID).sum())
    return Batch(src, src_lengths, tgt_in, tgt_out, n_tokens)


def batch_indices(
    lengths: Sequence[int], batch_size: int, shuffle: bool, bucketing: bool, seed: int = 0
) -> list[list[int]]:
    """Example indices grouped into batches.

    With ``bucketing`` the examples are (after shuffling, when asked) cut into pools of 50 batches, each pool
    sorted by length and cut into batches, so a batch holds similar lengths and little padding; the batch
    order is then shuffled. Deterministic given ``seed``.
    """
    if batch_size < 1:
        raise ValueError("batch_size must be >= 1")
    rng = random.Random(seed)
    order = list(range(len(lengths)))
    if shuffle:
        rng.shuffle(order)
    if bucketing:
        pool = 50 * batch_size
        sorted_order = []
        for start in range(0, len(order), pool):
            chunk = order[start : start + pool]
            sorted_order += sorted(chunk, key=lambda i: lengths[i])  # stable: ties keep shuffled order
        order = sorted_order
    batches = [order[i : i + batch_size] for i in range(0, len(order), batch_size)]
    if shuffle and bucketing:
        rng.shuffle(batches)
    return batches


def make_batches(
    examples: Sequence[tuple[Sequence[int], Sequence[int]]],
    batch_size: int,
    shuffle: bool = False,
    bucketing: bool = True,
    seed: int = 0,
) -> Iterator[Batch]:
    """Batches of encoded (source, target) pairs; bucketed by target length (then source length)."""
    lengths = [len(t) * 1000 + len(s) for s, t in examples]
    for indices in batch_indices(lengths, batch_size, shuffle, bucketing, seed):
        yield collate([examples[i] for i in indices])


def make_source_batches(sources: Sequence[Sequence[int]], batch_size: int) -> Iterator[tuple[list[int], Batch]]:
    """Source-only batches for decoding, sorted by length; yields (original indices, Batch)."""
    order = sorted(range(len(sources)), key=lambda i: len(sources[i]))
    for start in range(0, len(order), batch_size):
        indices = order[start : start + batch_size]
        src, lengths = pad([sources[i] for i in indices])
        yield indices, Batch(src, lengths)
