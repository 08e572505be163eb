"""Bahdanau (additive) attention: score_j = v^T tanh(W_k h_j + W_q s)."""
from __future__ import annotations

import torch
from torch import nn


class BahdanauAttention(nn.Module):
    """Additive attention with the keys projected once per sequence.

    compute_proj_keys(keys [batch, src_len, key_size]) -> proj_keys [batch, src_len, attention_dim]
    forward(query, proj_keys, values [batch, src_len, key_size], mask [batch, src_len] bool, True at real
            positions) -> (context [batch, key_size], weights [batch, src_len])

    `query` is [batch, query_size] and projected by W_q here when `query_size` is given; without it the
    caller passes W_q s already computed ([batch, attention_dim]) — the attention decoder does, fusing W_q
    with its recurrent weights into one matmul per step.

    Padded positions get -inf before the softmax, so their weight is exactly 0 and the weights sum to 1 over
    the real positions.
    """

    def __init__(self, key_size: int, attention_dim: int, query_size: int | None = None):
        super().__init__()
        self.attention_dim = attention_dim
        self.key_layer = nn.Linear(key_size, attention_dim, bias=False)
        self.query_layer = nn.Linear(query_size, attention_dim, bias=False) if query_size else None
        self.energy_layer = nn.Linear(attention_dim, 1, bias=False)  # v

    def compute_proj_keys(self, keys: torch.Tensor) -> torch.Tensor:
        """W_k h_j for every source position, once per sequence: [batch, src_len, attention_dim]."""
        return self.key_layer(keys)

    def forward(self, query, proj_keys, values, mask):
        batch, src_len, _ = proj_keys.shape
        if self.query_layer is not None:
            query = self.query_layer(query)
        if query.shape != (batch, self.attention_dim):
            raise ValueError(f"attention: projected query must be [batch={batch}, {self.attention_dim}], "
                             f"got {tuple(query.shape)}")
        if mask.shape != (batch, src_len) or values.shape[:2] != (batch, src_len):
            raise ValueError(f"attention: mask {tuple(mask.shape)} / values {tuple(values.shape)} do not match "
                             f"keys [batch={batch}, src_len={src_len}]")
        energy = self.energy_layer(torch.tanh(proj_keys + query.unsqueeze(1))).squeeze(-1)  # [batch, src_len]
        weights = torch.softmax(energy.masked_fill(~mask, float("-inf")), dim=-1)
        context = torch.bmm(weights.unsqueeze(1), values).squeeze(1)  # [batch, key_size]
        return context, weights
