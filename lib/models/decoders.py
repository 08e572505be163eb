"""Decoders. They return decoder *features*; the vocabulary projection lives in the model and runs once per
batch, after the decoder, only at real target positions.

Common interface (batch-first; `state` is the decoder's own recurrent state):

    init_state(encoder: EncoderOutput) -> state
    forward(tgt_in [batch, tgt_len], state, encoder, predict=None, teacher_forcing=1.0)
        -> (features [batch, tgt_len, output_dim], attention [batch, tgt_len, src_len] or None)
    step(prev [batch], state, encoder) -> (features [batch, output_dim], state, attention [batch, src_len] or None)
    reorder_state(state, index [n]) -> state with the batch rows `index`

`predict` (features [n, output_dim] -> ids [n], the model's argmax) is only needed when teacher_forcing < 1,
where the decoder feeds its own argmax to a random subset of the sequences at each step (one coin per
sequence and step).
"""
from __future__ import annotations

from dataclasses import replace

import torch
from torch import nn

from lib.models.attention import BahdanauAttention
from lib.models.encoders import CELLS, EncoderOutput
from lib.tokens.vocabulary import PAD_ID


def _check_tgt(tgt_in: torch.Tensor, batch: int) -> None:
    if tgt_in.dim() != 2 or tgt_in.size(0) != batch:
        raise ValueError(f"decoder: tgt_in must be [batch={batch}, tgt_len], got {tuple(tgt_in.shape)}")


def _mix_inputs(gold: torch.Tensor, features: torch.Tensor, predict, teacher_forcing: float) -> torch.Tensor:
    """Next input [batch]: the gold token with probability `teacher_forcing`, else the model's argmax."""
    with torch.no_grad():
        predicted = predict(features)
    use_gold = torch.rand(gold.shape, device=gold.device) < teacher_forcing
    return torch.where(use_gold | (gold == PAD_ID), gold, predicted)


class RecurrentDecoder(nn.Module):
    """A tanh-RNN or LSTM decoder without attention; initialised with the encoder's final state.

    state: rnn h [num_layers, batch, hidden_dim]; lstm (h, c), each [num_layers, batch, hidden_dim].
    Under full teacher forcing the RNN runs over the whole target in one call.
    """

    def __init__(self, cell: str, vocab_size: int, emb_dim: int, hidden_dim: int, num_layers: int = 1,
                 dropout: float = 0.0):
        super().__init__()
        self.cell = cell
        self.hidden_dim = hidden_dim
        self.num_layers = num_layers
        self.embedding = nn.Embedding(vocab_size, emb_dim, padding_idx=PAD_ID)
        self.dropout = nn.Dropout(dropout)
        self.rnn = CELLS[cell](emb_dim, hidden_dim, num_layers=num_layers, batch_first=True,
                               dropout=dropout if num_layers > 1 else 0.0)

    @property
    def output_dim(self) -> int:
        return self.hidden_dim

    def init_state(self, encoder: EncoderOutput):
        state = encoder.state
        h = state[0] if self.cell == "lstm" else state
        expected = (self.num_layers, encoder.outputs.size(0), self.hidden_dim)
        if tuple(h.shape) != expected:
            raise ValueError(f"decoder: encoder state {tuple(h.shape)} does not match {expected}")
        return state

    def forward(self, tgt_in, state, encoder=None, predict=None, teacher_forcing: float = 1.0):
        batch = (state[0] if self.cell == "lstm" else state).size(1)
        _check_tgt(tgt_in, batch)
        if teacher_forcing >= 1.0 or not self.training:
            outputs, _ = self.rnn(self.dropout(self.embedding(tgt_in)), state)  # [batch, tgt_len, hidden]
            return self.dropout(outputs), None
        if predict is None:
            raise ValueError("decoder: teacher_forcing < 1 needs `predict`")
        features, token = [], tgt_in[:, 0]
        for t in range(tgt_in.size(1)):
            out, state, _ = self.step(token, state)
            features.append(out)
            if t + 1 < tgt_in.size(1):
                token = _mix_inputs(tgt_in[:, t + 1], out, predict, teacher_forcing)
        return torch.stack(features, dim=1), None

    def step(self, prev, state, encoder=None):
        output, state = self.rnn(self.dropout(self.embedding(prev)).unsqueeze(1), state)
        return self.dropout(output.squeeze(1)), state, None  # [batch, hidden]

    def reorder_state(self, state, index):
        if self.cell == "lstm":
            return state[0].index_select(1, index), state[1].index_select(1, index)
        return state.index_select(1, index)


class AttentionDecoder(nn.Module):
    """LSTM decoder with Bahdanau attention and input feeding.

    At step t the previous state s_{t-1} queries the encoder (context c_t) and an LSTM cell reads
    [y_{t-1}; c_t]; after the loop, features = tanh(W_o [s_t; c_t; y_{t-1}]) for all steps at once.
    The cell is nn.LSTMCell's maths with its weights split (input_emb, input_context, recurrent), so that
    the embedding half of the input runs once before the loop and W_hh h and W_q h share one matmul: per
    step the loop does two small matmuls, the attention and the gate nonlinearities.
    The initial (h, c) come from a bridge (linear + tanh) over the encoder's two directions' final states.

    state: (h, c), each [batch, hidden_dim].
    """

    def __init__(self, vocab_size: int, emb_dim: int, hidden_dim: int, encoder_dim: int, encoder_state_dim: int,
                 attention_dim: int, dropout: float = 0.0):
        super().__init__()
        self.hidden_dim = hidden_dim
        self.encoder_dim = encoder_dim
        self.embedding = nn.Embedding(vocab_size, emb_dim, padding_idx=PAD_ID)
        self.dropout = nn.Dropout(dropout)
        self.attention = BahdanauAttention(encoder_dim, attention_dim)  # W_q lives in self.recurrent
        self.bridge_h = nn.Linear(encoder_state_dim, hidden_dim)
        self.bridge_c = nn.Linear(encoder_state_dim, hidden_dim)
        # The LSTM cell's weights, split so the loop body stays small: the embedding part of the input
        # gates is computed for all steps before the loop; h_{t-1} goes through one matmul that yields both
        # its recurrent gates and the attention query (W_hh and W_q stacked).
        self.input_emb = nn.Linear(emb_dim, 4 * hidden_dim)  # bias of the gates
        self.input_context = nn.Linear(encoder_dim, 4 * hidden_dim, bias=False)
        self.recurrent = nn.Linear(hidden_dim, 4 * hidden_dim + attention_dim, bias=False)
        self.combine = nn.Linear(hidden_dim + encoder_dim + emb_dim, hidden_dim)

    @property
    def output_dim(self) -> int:
        return self.hidden_dim

    def init_state(self, encoder: EncoderOutput):
        h, c = encoder.state  # each [num_layers * 2, batch, enc_hidden]; the last layer's two directions
        last = lambda x: torch.cat((x[-2], x[-1]), dim=-1)  # noqa: E731  [batch, 2 * enc_hidden]
        return torch.tanh(self.bridge_h(last(h))), torch.tanh(self.bridge_c(last(c)))

    def prepare(self, encoder: EncoderOutput) -> EncoderOutput:
        """Dropout on the encoder outputs, then the keys projected once per sequence (cached on the returned
        EncoderOutput). The dropout regularises the attention path, the part of this model the others lack:
        without it the attention model overfits first (README, *Why the attention model's validation loss is not
        lower*)."""
        if encoder.proj_keys is None:
            encoder = replace(encoder, outputs=self.dropout(encoder.outputs))
            encoder.proj_keys = self.attention.compute_proj_keys(encoder.outputs)
        return encoder

    def forward(self, tgt_in, state, encoder, predict=None, teacher_forcing: float = 1.0):
        batch, tgt_len = tgt_in.shape
        _check_tgt(tgt_in, state[0].size(0))
        encoder = self.prepare(encoder)
        sample = self.training and teacher_forcing < 1.0
        if sample and predict is None:
            raise ValueError("decoder: teacher_forcing < 1 needs `predict`")
        embedded = self.dropout(self.embedding(tgt_in))  # [batch, tgt_len, emb]
        # All steps at once; unbind (not [:, t]) so the backward stacks the step gradients once instead of
        # filling a zero [batch, tgt_len, ...] tensor per step.
        emb_gates = self.input_emb(embedded).unbind(1)  # tgt_len x [batch, 4 * hidden]
        embedded_steps = embedded.unbind(1)
        h, c = state
        states, contexts, weights, inputs = [], [], [], []
        for t in range(tgt_len):
            if sample and t > 0:
                token = _mix_inputs(tgt_in[:, t], self._features(h, contexts[-1], inputs[-1]), predict,
                                    teacher_forcing)
                inputs.append(self.dropout(self.embedding(token)))
                gates_t = self.input_emb(inputs[-1])
            else:
                inputs.append(embedded_steps[t])
                gates_t = emb_gates[t]
            h, c, context, w = self._step(gates_t, h, c, encoder)
            states.append(h)
            contexts.append(context)
            weights.append(w)
        features = self._features(torch.stack(states, 1), torch.stack(contexts, 1),
                                  torch.stack(inputs, 1) if sample else embedded)
        return features, torch.stack(weights, 1)  # [batch, tgt_len, hidden], [batch, tgt_len, src_len]

    def _step(self, emb_gates, h, c, encoder: EncoderOutput):
        """One step: attention with query s_{t-1}, then the LSTM cell on [y_{t-1}; c_t].
        emb_gates [batch, 4 * hidden] (input_emb of y_{t-1}), h, c [batch, hidden]."""
        recurrent = self.recurrent(h)  # [batch, 4 * hidden + attention_dim]
        hidden_gates, query = recurrent.split([4 * self.hidden_dim, recurrent.size(1) - 4 * self.hidden_dim], 1)
        # context [batch, enc_dim], w [batch, src_len]
        context, w = self.attention(query, encoder.proj_keys, encoder.outputs, encoder.mask)
        gates = emb_gates + hidden_gates + self.input_context(context)
        i, f, g, o = gates.chunk(4, dim=1)
        c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
        h = torch.sigmoid(o) * torch.tanh(c)
        return h, c, context, w

    def _features(self, h, context, emb):
        return self.dropout(torch.tanh(self.combine(torch.cat((h, context, emb), dim=-1))))

    def step(self, prev, state, encoder):
        encoder = self.prepare(encoder)
        emb = self.dropout(self.embedding(prev))  # [batch, emb]
        h, c, context, w = self._step(self.input_emb(emb), state[0], state[1], encoder)
        return self._features(h, context, emb), (h, c), w

    def reorder_state(self, state, index):
        return state[0].index_select(0, index), state[1].index_select(0, index)
