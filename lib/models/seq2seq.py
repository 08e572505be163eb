"""The encoder-decoder models of lib/models/registry.py behind one class, and their loss.

- ``rnn``:  tanh-RNN encoder -> tanh-RNN decoder, initialised with the encoder's final hidden state.
- ``lstm``: the same with LSTMs (final hidden and cell state).
- ``attn``: bidirectional LSTM encoder -> bridge -> LSTM decoder with Bahdanau attention and input feeding.
- ``copy``: ``attn`` plus a pointer-generator output (lib/models/pointer.py).

Shapes are batch-first: src [batch, src_len], tgt [batch, tgt_len]; see lib/models/batching.py for what the ids are.
"""
from __future__ import annotations

import torch
from torch import nn

from lib.models.batching import Batch
from lib.models.decoders import AttentionDecoder, RecurrentDecoder
from lib.models.encoders import EncoderOutput, RecurrentEncoder
from lib.models.output_layers import AdaptiveSoftmax, LinearSoftmax, vocabulary_softmax
from lib.models.pointer import CopyGenerator
from lib.models.registry import ModelSpec, model_spec
from lib.tokens.vocabulary import PAD_ID, UNK_ID


class Seq2Seq(nn.Module):
    """Encoder + decoder + output layer (lib/models/output_layers.py: decoder features -> a distribution over the
    vocabulary, or over the extended vocabulary for the copy model); `spec` is its registry entry."""

    def __init__(self, spec: ModelSpec, encoder: RecurrentEncoder, decoder: nn.Module,
                 output_layer: LinearSoftmax | AdaptiveSoftmax | CopyGenerator, tgt_vocab_size: int):
        super().__init__()
        self.spec = spec
        self.encoder = encoder
        self.decoder = decoder
        self.output_layer = output_layer
        self.tgt_vocab_size = tgt_vocab_size

    @property
    def kind(self) -> str:
        return self.spec.name

    def encode(self, src: torch.Tensor, src_lengths: torch.Tensor, src_copy: torch.Tensor | None = None
               ) -> EncoderOutput:
        """src [batch, src_len], src_lengths [batch] -> EncoderOutput (outputs [batch, src_len, enc_dim]);
        `src_copy` [batch, src_len] is kept for the copy model's output layer."""
        outputs, state = self.encoder(src, src_lengths)
        mask = src != PAD_ID  # [batch, src_len]
        encoded = EncoderOutput(outputs, mask, state, src_copy=src_copy)
        if isinstance(self.decoder, AttentionDecoder):
            encoded = self.decoder.prepare(encoded)
        return encoded

    def forward(self, src, src_lengths, tgt_in, teacher_forcing: float = 1.0):
        """Decoder features [batch, tgt_len, hidden] and attention [batch, tgt_len, src_len] (attn) or None."""
        encoded = self.encode(src, src_lengths)
        state = self.decoder.init_state(encoded)
        return self.decoder(tgt_in, state, encoded, self.output_layer.vocabulary_prediction, teacher_forcing)

    def gold_log_likelihoods(self, batch: Batch, teacher_forcing: float = 1.0) -> torch.Tensor:
        """log P(gold) at each real target position, row by row: [n_tokens] (the copy model: under its mixture).

        The decoder features are gathered at the non-pad positions of tgt_out and go through the output layer
        once per batch: [n_tokens, hidden] -> [n_tokens].
        """
        features, attention = self(batch.src, batch.src_lengths, batch.tgt_in, teacher_forcing)
        if features.shape[:2] != batch.tgt_out.shape:
            raise ValueError(f"loss: features {tuple(features.shape)} do not match "
                             f"tgt_out {tuple(batch.tgt_out.shape)}")
        real = batch.tgt_out != PAD_ID  # [batch, tgt_len]
        return self.output_layer.gold_log_likelihoods(features[real], batch.tgt_out[real],
                                                      *_sources_at(real, attention, batch.src_copy))

    def loss(self, batch: Batch, teacher_forcing: float = 1.0) -> torch.Tensor:
        """Summed cross-entropy over the batch's real target positions (divide by batch.n_tokens)."""
        return -self.gold_log_likelihoods(batch, teacher_forcing).sum()

    @torch.no_grad()
    def teacher_forced_predictions(self, batch: Batch) -> torch.Tensor:
        """The most likely id at each real target position given the gold prefix: [n_tokens] (the copy model:
        over the extended vocabulary, comparable with its extended gold ids)."""
        features, attention = self(batch.src, batch.src_lengths, batch.tgt_in)
        real = batch.tgt_out != PAD_ID
        return self.output_layer.predict(features[real], *_sources_at(real, attention, batch.src_copy))

    # -- step-wise decoding (lib/decoding/search.py) ---------------------------------------------------------------
    def init_decoder_state(self, encoded: EncoderOutput):
        return self.decoder.init_state(encoded)

    def decode_step(self, encoded: EncoderOutput, state, prev: torch.Tensor):
        """prev [batch] ids -> (log_probs [batch, vocab], state, attention [batch, src_len] or None).

        For the copy model the log-probabilities cover the extended vocabulary, [batch, vocab + src_len]."""
        prev = prev.masked_fill(prev >= self.tgt_vocab_size, UNK_ID)  # a copied word is read back as UNK
        features, state, attention = self.decoder.step(prev, state, encoded)
        return self.output_layer.log_probs(features, attention, encoded.src_copy), state, attention

    def reorder(self, encoded: EncoderOutput, state, index: torch.Tensor):
        """Select (and repeat) batch rows `index` [n] of the encoder output and the decoder state."""
        return encoded.index_select(index), self.decoder.reorder_state(state, index)

    def reorder_state(self, state, index: torch.Tensor):
        """Select (and repeat) batch rows `index` [n] of the decoder state only."""
        return self.decoder.reorder_state(state, index)


def _sources_at(real: torch.Tensor, attention: torch.Tensor | None, src_copy: torch.Tensor | None):
    """attention [batch, tgt_len, src_len] and src_copy [batch, src_len] at the `real` [batch, tgt_len] target
    positions: each [n_tokens, src_len], or None where the model has none."""
    if attention is not None:
        attention = attention[real]
    if src_copy is not None:
        src_copy = src_copy.unsqueeze(1).expand(-1, real.size(1), -1)[real]
    return attention, src_copy


def build_model(kind: str, src_vocab_size: int, tgt_vocab_size: int, config: dict) -> Seq2Seq:
    """A fresh model of registry entry `kind`. `config` holds its architecture keys (ModelSpec.arch_keys:
    emb_dim, hidden_dim, dropout, adaptive_cutoffs (optional; [] = full softmax) and its section's, num_layers
    or attention_dim); extra keys are ignored. Modules are created encoder, decoder, output layer: that order
    draws a seeded model's initial weights."""
    spec = model_spec(kind)
    missing = [k for k in spec.arch_keys if k not in config and k != "adaptive_cutoffs"]
    if missing:
        raise ValueError(f"build_model({kind}): missing {missing}")
    emb, hid, dropout = int(config["emb_dim"]), int(config["hidden_dim"]), float(config["dropout"])
    if spec.attention:
        encoder = RecurrentEncoder(spec.cell, src_vocab_size, emb, hid, 1, dropout, bidirectional=spec.bidirectional)
        decoder = AttentionDecoder(tgt_vocab_size, emb, hid, encoder.output_dim, 2 * hid,
                                   int(config["attention_dim"]), dropout)
    else:
        layers = int(config["num_layers"])
        encoder = RecurrentEncoder(spec.cell, src_vocab_size, emb, hid, layers, dropout)
        decoder = RecurrentDecoder(spec.cell, tgt_vocab_size, emb, hid, layers, dropout)
    output_layer = vocabulary_softmax(decoder.output_dim, tgt_vocab_size, config.get("adaptive_cutoffs", ()))
    if spec.copy:
        output_layer = CopyGenerator(output_layer, decoder.output_dim)
    return Seq2Seq(spec, encoder, decoder, output_layer, tgt_vocab_size)


def architecture(kind: str, config: dict) -> dict:
    """The architecture keys of `config` for `kind` (what a checkpoint needs to rebuild the model)."""
    return {k: config[k] for k in model_spec(kind).arch_keys if k in config}


def count_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters() if p.requires_grad)
