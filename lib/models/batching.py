"""Encoding rows to ids and grouping them into padded, length-bucketed batches.

Convention used by training *and* decoding (one helper, so evaluation cannot get it wrong):

- source ids = the summary's token ids followed by EOS (no BOS): ``encode_source``;
- target ids = BOS + the code's token ids + EOS: ``encode_target``. The decoder reads
  ``tgt[:-1]`` (BOS ...) and predicts ``tgt[1:]`` (... EOS).
- for the copy model, ``encode_copy`` adds the source's ids in the *extended* target space: a source piece
  in the target vocabulary has its target id, any other the id ``len(tgt_vocab) + j`` for the first
  position j where it occurs; targets that are out of the vocabulary but in the source get that id
  instead of their spelling or UNK, so the pointer can be trained to copy them. Decoder inputs never hold
  extended ids.

Batches are batch-first: ``src`` is [batch, src_len], ``tgt_in`` / ``tgt_out`` are [batch, tgt_len].
"""
from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import torch

from lib.tokens.vocabulary import BOS_ID, EOS_ID, PAD_ID, UNK_ID, Vocabulary

Example = tuple  # (source ids, target ids) or, for the copy model, (source ids, target ids, copy ids)


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


def encode_copy(src_tokens: Sequence[str], tgt_vocab: Vocabulary,
                tgt_tokens: Sequence[str] | None = None) -> tuple[list[int], list[int] | None]:
    """(copy ids of the source pieces + PAD for the source EOS, extended target ids BOS ... EOS or None); see
    the module docstring."""
    pieces = tgt_vocab.pieces(list(src_tokens))
    first = {}
    for position, piece in enumerate(pieces):
        first.setdefault(piece, position)
    extended = lambda piece: tgt_vocab.stoi.get(piece, len(tgt_vocab) + first[piece])  # noqa: E731
    copy_ids = [extended(piece) for piece in pieces] + [PAD_ID]  # the source EOS is not a word to copy
    if tgt_tokens is None:
        return copy_ids, None
    targets = [i for p in tgt_vocab.pieces(list(tgt_tokens))
               for i in ([extended(p)] if p not in tgt_vocab and p in first else tgt_vocab.piece_ids(p))]
    return copy_ids, [BOS_ID, *targets, EOS_ID]


def encode_rows(rows, src_vocab: Vocabulary, tgt_vocab: Vocabulary, copy: bool = False) -> list[Example]:
    """``encode_pair`` over a DataFrame with list columns ``src`` and ``tgt`` (or an iterable of pairs);
    with ``copy``, (source ids, extended target ids, copy ids) triples (``encode_copy``)."""
    if hasattr(rows, "columns"):
        rows = zip(rows["src"], rows["tgt"])
    examples = []
    for s, t in rows:
        if copy:
            copy_ids, targets = encode_copy(s, tgt_vocab, t)
            examples.append((encode_source(s, src_vocab), targets, copy_ids))
        else:
            examples.append(encode_pair(list(s), list(t), src_vocab, tgt_vocab))
    return examples


@dataclass
class Batch:
    """A padded batch.

    src:         [batch, src_len] long, PAD after each sequence
    src_lengths: [batch] long (on CPU, as pack_padded_sequence wants it)
    tgt_in:      [batch, tgt_len] long, BOS + ids (decoder input), or None for source-only batches
    tgt_out:     [batch, tgt_len] long, ids + EOS (what is predicted), PAD elsewhere; extended ids for copy
    n_tokens:    number of real (non-pad) positions of tgt_out
    src_copy:    [batch, src_len] long, the source in the extended target space (copy model), or None
    """

    src: torch.Tensor
    src_lengths: torch.Tensor
    tgt_in: torch.Tensor | None = None
    tgt_out: torch.Tensor | None = None
    n_tokens: int = 0
    src_copy: torch.Tensor | None = None

    def to(self, device: torch.device | str) -> Batch:
        move = lambda t: None if t is None else t.to(device, non_blocking=True)  # noqa: E731
        return Batch(move(self.src), self.src_lengths, move(self.tgt_in), move(self.tgt_out), self.n_tokens,
                     move(self.src_copy))

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


def collate(examples: Sequence[Example], tgt_vocab_size: int | None = None) -> Batch:
    """(source ids, target ids[, copy ids]) examples, targets as BOS ... EOS, to a Batch.

    Extended target ids (>= `tgt_vocab_size`, copy examples only) are UNK in the decoder input.
    """
    src, src_lengths = pad([example[0] for example in examples])
    tgt, _ = pad([example[1] for example in examples])
    if tgt.size(1) < 2:
        raise ValueError("collate: a target needs at least BOS and EOS")
    tgt_in, tgt_out = tgt[:, :-1].clone(), tgt[:, 1:].clone()
    tgt_in[tgt_in == EOS_ID] = PAD_ID  # the final EOS is never an input
    if tgt_vocab_size is not None:
        tgt_in[tgt_in >= tgt_vocab_size] = UNK_ID
    n_tokens = int((tgt_out != PAD_ID).sum())
    src_copy = pad([example[2] for example in examples])[0] if len(examples[0]) > 2 else None
    return Batch(src, src_lengths, tgt_in, tgt_out, n_tokens, src_copy)


# Targets within this many tokens share a length bucket, inside which sources are sorted by length: the
# attention's work per step grows with the padded source length, and sorting by target length alone left
# it 3x the real one (8k default pairs: padded target x source positions 12.9M -> 7.5M, target steps +1%).
TARGET_BUCKET_WIDTH = 4


def batch_indices(
    keys: Sequence, batch_size: int, shuffle: bool, bucketing: bool, seed: int = 0
) -> list[list[int]]:
    """Example indices grouped into batches.

    With ``bucketing`` the examples (after shuffling, when asked) are sorted by their `keys` (lengths, or
    tuples of lengths) and cut into batches, so a batch holds similar lengths and little padding; the batch
    order is then shuffled, and ties keep the shuffled order, so batches differ from epoch to epoch.
    Deterministic given ``seed``.
    """
    if batch_size < 1:
        raise ValueError("batch_size must be >= 1")
    rng = random.Random(seed)
    order = list(range(len(keys)))
    if shuffle:
        rng.shuffle(order)
    if bucketing:
        order.sort(key=lambda i: keys[i])  # stable: ties keep the shuffled order
    batches = [order[i : i + batch_size] for i in range(0, len(order), batch_size)]
    if shuffle and bucketing:
        rng.shuffle(batches)
    return batches


def bucket_keys(examples: Sequence[Example]) -> list[tuple[int, int]]:
    """What `batch_indices` sorts examples by: (target length // TARGET_BUCKET_WIDTH, source length)."""
    return [(len(example[1]) // TARGET_BUCKET_WIDTH, len(example[0])) for example in examples]


def make_batches(
    examples: Sequence[Example],
    batch_size: int,
    shuffle: bool = False,
    bucketing: bool = True,
    seed: int = 0,
    tgt_vocab_size: int | None = None,
) -> Iterator[Batch]:
    """Batches of encoded examples; bucketed by target length (TARGET_BUCKET_WIDTH tokens), then source
    length (`bucket_keys`). `tgt_vocab_size`: see `collate` (needed when the targets hold extended copy ids)."""
    for indices in batch_indices(bucket_keys(examples), batch_size, shuffle, bucketing, seed):
        yield collate([examples[i] for i in indices], tgt_vocab_size)


def make_source_batches(sources: Sequence[Sequence[int]], batch_size: int,
                        copy_sources: Sequence[Sequence[int]] | None = None) -> Iterator[tuple[list[int], Batch]]:
    """Source-only batches for decoding, sorted by length; yields (original indices, Batch). `copy_sources`
    (the copy model's extended ids of each source, `encode_copy`) fill `Batch.src_copy`."""
    order = sorted(range(len(sources)), key=lambda i: len(sources[i]))
    for start in range(0, len(order), batch_size):
        indices = order[start : start + batch_size]
        src, lengths = pad([sources[i] for i in indices])
        src_copy = None if copy_sources is None else pad([copy_sources[i] for i in indices])[0]
        yield indices, Batch(src, lengths, src_copy=src_copy)


@dataclass
class Shard:
    """One process's part of a batch of `make_batches`, for training in several processes.

    batch:        the batch's examples rank, rank + world_size, ... collated; when the batch has fewer
                  examples than there are processes and none is left for this one, its first example as a
                  stand-in, so that the process still takes part in every gradient exchange
    batch_tokens: real target positions of the whole batch (what the single-process loss is divided by)
    stand_in:     True for that stand-in, whose loss must weigh nothing
    """

    batch: Batch
    batch_tokens: int
    stand_in: bool = False


def shard_batches(
    examples: Sequence[Example],
    batch_size: int,
    rank: int,
    world_size: int,
    shuffle: bool = False,
    bucketing: bool = True,
    seed: int = 0,
    tgt_vocab_size: int | None = None,
) -> Iterator[Shard]:
    """Process `rank`'s Shard of each batch that `make_batches` makes with the same arguments: every process
    draws the same seeded batches and takes its own examples of each."""
    for indices in batch_indices(bucket_keys(examples), batch_size, shuffle, bucketing, seed):
        batch_tokens = sum(len(examples[i][1]) - 1 for i in indices)  # tgt_out: the target minus BOS
        own = indices[rank::world_size]
        yield Shard(collate([examples[i] for i in own or indices[:1]], tgt_vocab_size), batch_tokens, not own)
