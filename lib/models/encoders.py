"""Recurrent encoders (tanh RNN, LSTM, bidirectional LSTM) over packed, padded sources."""
from __future__ import annotations

from dataclasses import dataclass, replace

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from lib.tokens.vocabulary import PAD_ID

CELLS = {"rnn": nn.RNN, "lstm": nn.LSTM}


@dataclass
class EncoderOutput:
    """What the decoder needs from the encoder, batch-first.

    outputs:   [batch, src_len, encoder_dim] (zeros at padded positions)
    mask:      [batch, src_len] bool, True at real source positions
    state:     final state, see RecurrentEncoder
    proj_keys: [batch, src_len, attention_dim] or None (attention only: keys projected once per sequence)
    src_copy:  [batch, src_len] long or None (copy model: the source in the extended target space)
    """

    outputs: torch.Tensor
    mask: torch.Tensor
    state: object
    proj_keys: torch.Tensor | None = None
    src_copy: torch.Tensor | None = None

    def index_select(self, index: torch.Tensor) -> EncoderOutput:
        """The rows `index` [n] of the batch (beam search repeats and reorders them); drops `state`."""
        pick = lambda t: None if t is None else t.index_select(0, index)  # noqa: E731
        return replace(self, outputs=pick(self.outputs), mask=pick(self.mask), state=None,
                       proj_keys=pick(self.proj_keys), src_copy=pick(self.src_copy))


class RecurrentEncoder(nn.Module):
    """Embedding + (bi)directional RNN/LSTM, run on a packed sequence so padding never enters the state.

    forward(src [batch, src_len], src_lengths [batch]) ->
        outputs [batch, src_len, num_directions * hidden_dim] (zeros at padded positions),
        state:  rnn:  h      [num_layers * num_directions, batch, hidden_dim]
                lstm: (h, c) each [num_layers * num_directions, batch, hidden_dim]
    """

    def __init__(
        self,
        cell: str,
        vocab_size: int,
        emb_dim: int,
        hidden_dim: int,
        num_layers: int = 1,
        dropout: float = 0.0,
        bidirectional: bool = False,
    ):
        super().__init__()
        if cell not in CELLS:
            raise ValueError(f"unknown cell {cell!r}; expected one of {sorted(CELLS)}")
        self.cell = cell
        self.hidden_dim = hidden_dim
        self.num_layers = num_layers
        self.num_directions = 2 if bidirectional else 1
        self.embedding = nn.Embedding(vocab_size, emb_dim, padding_idx=PAD_ID)
        self.dropout = nn.Dropout(dropout)
        self.rnn = CELLS[cell](
            emb_dim,
            hidden_dim,
            num_layers=num_layers,
            batch_first=True,
            bidirectional=bidirectional,
            dropout=dropout if num_layers > 1 else 0.0,
        )

    @property
    def output_dim(self) -> int:
        return self.num_directions * self.hidden_dim

    def forward(self, src: torch.Tensor, src_lengths: torch.Tensor):
        if src.dim() != 2 or src_lengths.shape != (src.size(0),):
            raise ValueError(f"encoder: src must be [batch, src_len] and lengths [batch], got "
                             f"{tuple(src.shape)} and {tuple(src_lengths.shape)}")
        embedded = self.dropout(self.embedding(src))  # [batch, src_len, emb]
        packed = pack_padded_sequence(embedded, src_lengths.cpu(), batch_first=True, enforce_sorted=False)
        packed_out, state = self.rnn(packed)
        outputs, _ = pad_packed_sequence(packed_out, batch_first=True, total_length=src.size(1))
        return outputs, state  # [batch, src_len, dirs * hidden], see class docstring
