"""Row encoding (shared by training and decoding) and padded, bucketed batches."""
import torch

from lib.models.batching import (batch_indices, collate, encode_pair, encode_source, make_batches, make_source_batches,
                                  shard_batches)
from lib.tokens.vocabulary import BOS_ID, EOS_ID, PAD_ID, UNK_ID, Vocabulary

SRC = Vocabulary(["<pad>", "<bos>", "<eos>", "<unk>", "return", "the", "sum"])
TGT = Vocabulary(["<pad>", "<bos>", "<eos>", "<unk>", "def", "f", "(", ")", ":"])


def test_encode_pair_source_gets_eos_target_gets_bos_and_eos():
    src, tgt = encode_pair(["return", "the", "mean"], ["def", "f", "(", ")"], SRC, TGT)
    assert src == [4, 5, UNK_ID, EOS_ID]
    assert tgt == [BOS_ID, 4, 5, 6, 7, EOS_ID]
    assert encode_source(["return", "the", "mean"], SRC) == src


def test_collate_shifts_targets_and_counts_real_tokens():
    batch = collate([([4, 2], [1, 4, 5, 2]), ([4, 5, 6, 2], [1, 4, 2])])
    assert batch.src.tolist() == [[4, 2, 0, 0], [4, 5, 6, 2]]
    assert batch.src_lengths.tolist() == [2, 4]
    assert batch.tgt_in.tolist() == [[BOS_ID, 4, 5], [BOS_ID, 4, PAD_ID]]  # the final EOS is never an input
    assert batch.tgt_out.tolist() == [[4, 5, EOS_ID], [4, EOS_ID, PAD_ID]]
    assert batch.n_tokens == 5


def test_bucketing_groups_similar_lengths_and_covers_every_example_once():
    lengths = [(i * 37) % 101 for i in range(1000)]
    batches = batch_indices(lengths, 50, shuffle=True, bucketing=True, seed=3)
    assert sorted(i for b in batches for i in b) == list(range(1000))
    spread = sum(max(lengths[i] for i in b) - min(lengths[i] for i in b) for b in batches) / len(batches)
    random_spread = sum(max(lengths[i] for i in b) - min(lengths[i] for i in b)
                        for b in batch_indices(lengths, 50, shuffle=True, bucketing=False, seed=3)) / len(batches)
    assert spread < random_spread / 5
    assert batches == batch_indices(lengths, 50, shuffle=True, bucketing=True, seed=3)  # deterministic
    assert batches != batch_indices(lengths, 50, shuffle=True, bucketing=True, seed=4)


def test_make_batches_bucketing_cuts_padding():
    examples = [([4, 2], [1] + [4] * n + [2]) for n in range(1, 200)]
    padded = lambda bs: sum(b.tgt_out.numel() for b in bs)  # noqa: E731
    assert padded(list(make_batches(examples, 16, shuffle=True, bucketing=True))) < \
        0.6 * padded(list(make_batches(examples, 16, shuffle=True, bucketing=False)))


def test_make_batches_sorts_sources_within_a_target_bucket():
    # targets of 8-11 ids share a length bucket, so batches are cut by source length: little source padding
    examples = [([4] * (1 + (7 * n) % 40) + [2], [1] + [4] * (6 + n % 4) + [2]) for n in range(320)]
    source_positions = lambda bucketing: sum(  # noqa: E731
        b.src.numel() for b in make_batches(examples, 16, shuffle=True, bucketing=bucketing, seed=1))
    real = sum(len(example[0]) for example in examples)
    assert source_positions(True) < 1.05 * real and source_positions(True) < 0.6 * source_positions(False)


def test_source_batches_keep_original_indices():
    sources = [[4, 5, 2], [4, 2], [4, 5, 6, 5, 2]]
    seen = {}
    for indices, batch in make_source_batches(sources, 2):
        for row, index in enumerate(indices):
            seen[index] = batch.src[row, : batch.src_lengths[row]].tolist()
        assert batch.tgt_in is None
    assert seen == dict(enumerate(sources))
    assert isinstance(batch.src, torch.Tensor)


def test_shards_split_each_batch_among_processes_and_count_its_tokens():
    examples = [([4] * (1 + n % 5) + [2], [1] + [4] * (1 + (3 * n) % 7) + [2]) for n in range(11)]
    order = {"shuffle": True, "bucketing": True, "seed": 5}
    batches = list(make_batches(examples, 4, **order))  # 4 + 4 + 3 examples
    shards = [list(shard_batches(examples, 4, rank, 3, **order)) for rank in range(3)]
    assert all(len(ranks) == len(batches) for ranks in shards)
    for index, batch in enumerate(batches):
        parts = [ranks[index] for ranks in shards]
        assert {part.batch_tokens for part in parts} == {batch.n_tokens}
        assert not any(part.stand_in for part in parts)
        assert sum(part.batch.n_tokens for part in parts) == batch.n_tokens
        assert sum(part.batch.size for part in parts) == batch.size
        sources = sorted(row[: length].tolist() for part in parts
                         for row, length in zip(part.batch.src, part.batch.src_lengths))
        assert sources == sorted(row[: length].tolist() for row, length in zip(batch.src, batch.src_lengths))
    single = list(shard_batches(examples[:1], 4, 1, 2))  # one example, two processes: rank 1 stands in
    assert single[0].stand_in and single[0].batch.size == 1 and single[0].batch_tokens == single[0].batch.n_tokens
