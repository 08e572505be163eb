"""Output layers: decoder features -> distributions over what the model writes. A Seq2Seq holds one and never
asks which: a vocabulary softmax (here), or the copy model's mixture (lib/models/pointer.py, CopyGenerator).

Common interface, for n positions (features [n, hidden]; attention [n, src_len] and src_copy [n, src_len], the
source in the extended target space, are what the decoder attended to: None for models without attention,
and read only by the copy mixture):

    log_probs(features, attention, src_copy) -> [n, V] ([n, V + src_len] for the copy mixture)
    predict(features, attention, src_copy) -> the most likely ids [n]
    gold_log_likelihoods(features, targets [n], attention, src_copy) -> log P(targets) [n] (the training path)
    vocabulary_prediction(features) -> the most likely vocabulary ids [n], which the decoder reads back when it is
        not teacher-forced
"""
from __future__ import annotations

import torch
from torch import nn


class LinearSoftmax(nn.Linear):
    """A linear projection to the vocabulary + softmax."""

    def log_probs(self, features: torch.Tensor, attention=None, src_copy=None) -> torch.Tensor:
        return torch.log_softmax(self(features), dim=-1)

    def predict(self, features: torch.Tensor, attention=None, src_copy=None) -> torch.Tensor:
        return self(features).argmax(-1)

    def gold_log_likelihoods(self, features: torch.Tensor, targets: torch.Tensor, attention=None,
                             src_copy=None) -> torch.Tensor:
        return torch.log_softmax(self(features), dim=-1).gather(1, targets.unsqueeze(1)).squeeze(1)

    def vocabulary_prediction(self, features: torch.Tensor) -> torch.Tensor:
        return self.predict(features)


class AdaptiveSoftmax(nn.Module):
    """nn.AdaptiveLogSoftmaxWithLoss (Grave et al. 2017): ids are sorted by training frequency, so the first
    cutoff is a shortlist of the most frequent tokens and rarer tokens live in smaller tail clusters; several
    times cheaper than a full softmax on 2 CPU cores. The training path computes each tail cluster only for the
    targets that fall in it."""

    def __init__(self, in_features: int, vocab_size: int, cutoffs: list[int], div_value: float = 4.0):
        super().__init__()
        self.out_features = vocab_size
        self.asm = nn.AdaptiveLogSoftmaxWithLoss(in_features, vocab_size, cutoffs, div_value=div_value)

    def log_probs(self, features: torch.Tensor, attention=None, src_copy=None) -> torch.Tensor:
        return self.asm.log_prob(features)

    def predict(self, features: torch.Tensor, attention=None, src_copy=None) -> torch.Tensor:
        return self.asm.predict(features)

    def gold_log_likelihoods(self, features: torch.Tensor, targets: torch.Tensor, attention=None,
                             src_copy=None) -> torch.Tensor:
        return self.asm(features, targets).output

    def vocabulary_prediction(self, features: torch.Tensor) -> torch.Tensor:
        return self.predict(features)


def vocabulary_softmax(in_features: int, vocab_size: int, adaptive_cutoffs=()) -> LinearSoftmax | AdaptiveSoftmax:
    """The adaptive softmax over the cutoffs that fit the vocabulary, or a full softmax when none does."""
    cutoffs = usable_cutoffs(adaptive_cutoffs, vocab_size)
    return AdaptiveSoftmax(in_features, vocab_size, cutoffs) if cutoffs else LinearSoftmax(in_features, vocab_size)


def usable_cutoffs(cutoffs, vocab_size: int) -> list[int]:
    """The adaptive-softmax cutoffs that fit a vocabulary of `vocab_size` (strictly increasing, each in
    (0, vocab_size - 1)); empty: a full softmax."""
    kept, previous = [], 0
    for cutoff in cutoffs:
        if previous < int(cutoff) < vocab_size - 1:
            kept.append(int(cutoff))
            previous = int(cutoff)
    return kept
