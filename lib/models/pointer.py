"""The copy model's output layer: a pointer-generator (See et al. 2017) over an extended vocabulary.

A gate p_gen = sigmoid(w^T f_t + b), computed from the decoder features f_t (which already mix the state,
the attention context and the previous token), mixes the vocabulary distribution with the attention
distribution over the source:

    P(w) = p_gen * P_vocab(w) + (1 - p_gen) * sum_{j: src_j = w} a_tj

Source positions are mapped into an *extended* target space (lib/models/batching.py, `encode_copy`): a
source piece in the target vocabulary adds its attention to that id; any other to id V + (its first source
position), so a docstring word the target vocabulary lacks can still be written. The source EOS maps to
PAD (never a target, masked when decoding) and padded positions have zero attention: neither can be copied.
CopyGenerator is this mixture as the model's output layer (the interface of lib/models/output_layers.py).
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from lib.models.output_layers import AdaptiveSoftmax, LinearSoftmax
from lib.tokens.vocabulary import UNK_ID


class CopyGate(nn.Module):
    """features [n, dim] -> gate logits [n] (p_gen = sigmoid(logit))."""

    def __init__(self, features_dim: int):
        super().__init__()
        self.linear = nn.Linear(features_dim, 1)

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        return self.linear(features).squeeze(-1)


class CopyGenerator(nn.Module):
    """The pointer-generator output layer: a vocabulary softmax and the gate that mixes it with the attention.

    attention and src_copy [n, src_len] are required; targets and outputs are extended ids (>= V: copied)."""

    def __init__(self, vocabulary: LinearSoftmax | AdaptiveSoftmax, features_dim: int):
        super().__init__()
        self.vocabulary = vocabulary
        self.gate = CopyGate(features_dim)

    def log_probs(self, features: torch.Tensor, attention: torch.Tensor, src_copy: torch.Tensor) -> torch.Tensor:
        """[n, V + src_len]."""
        return mixture_log_probs(self.vocabulary.log_probs(features), self.gate(features), attention, src_copy)

    def predict(self, features: torch.Tensor, attention: torch.Tensor, src_copy: torch.Tensor) -> torch.Tensor:
        return self.log_probs(features, attention, src_copy).argmax(-1)

    def gold_log_likelihoods(self, features: torch.Tensor, targets: torch.Tensor, attention: torch.Tensor,
                             src_copy: torch.Tensor) -> torch.Tensor:
        extended = targets >= self.vocabulary.out_features  # copy targets outside the vocabulary
        vocab_log_prob = self.vocabulary.gold_log_likelihoods(features, targets.masked_fill(extended, UNK_ID))
        return mixture_log_likelihood(vocab_log_prob.masked_fill(extended, float("-inf")), self.gate(features),
                                      attention, src_copy, targets)

    def vocabulary_prediction(self, features: torch.Tensor) -> torch.Tensor:
        return self.vocabulary.predict(features)

    def generation_probability(self, features: torch.Tensor) -> torch.Tensor:
        """p_gen [n] (1: written from the vocabulary, 0: copied from the source)."""
        return torch.sigmoid(self.gate(features))


def mixture_log_likelihood(vocab_log_prob: torch.Tensor, gate_logit: torch.Tensor, attention: torch.Tensor,
                           src_copy: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """log P(target) under the mixture, for n target positions at once (the training path: no [n, V] tensor).

    vocab_log_prob [n]: log P_vocab(target), -inf for extended targets; gate_logit [n]; attention [n, src_len];
    src_copy [n, src_len] extended ids of each position's source; targets [n] extended ids. Returns [n].
    """
    copy_mass = (attention * (src_copy == targets.unsqueeze(1))).sum(-1)  # [n]
    generate = F.logsigmoid(gate_logit) + vocab_log_prob
    copy = F.logsigmoid(-gate_logit) + torch.log(copy_mass.clamp_min(1e-12))
    copy = copy.masked_fill(copy_mass <= 0, float("-inf"))
    return torch.logaddexp(generate, copy)


def mixture_log_probs(vocab_log_probs: torch.Tensor, gate_logit: torch.Tensor, attention: torch.Tensor,
                      src_copy: torch.Tensor) -> torch.Tensor:
    """Log-probabilities over the extended vocabulary, [batch, V + src_len] (the decoding path).

    vocab_log_probs [batch, V]; gate_logit [batch]; attention, src_copy [batch, src_len].
    """
    batch, vocab = vocab_log_probs.shape
    p_gen = torch.sigmoid(gate_logit).unsqueeze(1)  # [batch, 1]
    probs = vocab_log_probs.new_zeros(batch, vocab + src_copy.size(1))
    probs[:, :vocab] = p_gen * vocab_log_probs.exp()
    probs.scatter_add_(1, src_copy, (1.0 - p_gen) * attention)
    return probs.log()
