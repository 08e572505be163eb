"""The four encoder-decoder models behind one class, and their loss.

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
from lib.models.pointer import CopyGate, mixture_log_likelihood, mixture_log_probs
from lib.tokens.vocabulary import PAD_ID, UNK_ID

MODEL_KINDS = ("rnn", "lstm", "attn", "copy")
ATTENTION_KINDS = ("attn", "copy")
# The hyperparameters that define a model's architecture (checkpoints store them).
ARCH_KEYS = {
    "rnn": ("emb_dim", "hidden_dim", "dropout", "adaptive_cutoffs", "num_layers"),
    "lstm": ("emb_dim", "hidden_dim", "dropout", "adaptive_cutoffs", "num_layers"),
    "attn": ("emb_dim", "hidden_dim", "dropout", "adaptive_cutoffs", "attention_dim"),
    "copy": ("emb_dim", "hidden_dim", "dropout", "adaptive_cutoffs", "attention_dim"),
}


class AdaptiveSoftmax(nn.Module):
    """nn.AdaptiveLogSoftmaxWithLoss behind the interface of a linear output layer.

    forward(features [n, in]) -> log-probabilities [n, vocab] (usable as logits: argmax, softmax)
    asm(features [n, in], targets [n]).output -> log P(targets) [n], computing each tail cluster only for the
    targets that fall in it (the cheap training path; Seq2Seq.gold_log_probs).
    """

    def __init__(self, in_features: int, vocab_size: int, cutoffs: list[int], div_value: float = 4.0):
        super().__init__()
        self.out_features = vocab_size
        self.asm = nn.AdaptiveLogSoftmaxWithLoss(in_features, vocab_size, cutoffs, div_value=div_value)

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        return self.asm.log_prob(features)

    def predict(self, features: torch.Tensor) -> torch.Tensor:
        return self.asm.predict(features)


class Seq2Seq(nn.Module):
    """Encoder + decoder + vocabulary projection (``output_layer``: decoder features [n, hidden] -> logits
    [n, vocab]; for the adaptive softmax these logits are already log-probabilities).

    The projection is a plain linear layer + softmax, or, with `adaptive_cutoffs`, an adaptive softmax
    (Grave et al. 2017; ids are sorted by training frequency, so the first cutoff is a shortlist of the most
    frequent tokens and rarer tokens live in smaller tail clusters): several times cheaper on 2 CPU cores.
    """

    def __init__(self, kind: str, encoder: RecurrentEncoder, decoder: nn.Module, tgt_vocab_size: int,
                 adaptive_cutoffs: list[int] | tuple[int, ...] = ()):
        super().__init__()
        self.kind = kind
        self.encoder = encoder
        self.decoder = decoder
        self.tgt_vocab_size = tgt_vocab_size
        cutoffs = usable_cutoffs(adaptive_cutoffs, tgt_vocab_size)
        if cutoffs:
            self.output_layer = AdaptiveSoftmax(decoder.output_dim, tgt_vocab_size, cutoffs)
        else:
            self.output_layer = nn.Linear(decoder.output_dim, tgt_vocab_size)
        self.adaptive = bool(cutoffs)
        self.copy_gate = CopyGate(decoder.output_dim) if kind == "copy" else None

    def log_probs(self, features: torch.Tensor) -> torch.Tensor:
        """features [n, hidden] -> log-probabilities [n, vocab]."""
        if self.adaptive:
            return self.output_layer(features)
        return torch.log_softmax(self.output_layer(features), dim=-1)

    def predict(self, features: torch.Tensor) -> torch.Tensor:
        """features [n, hidden] -> most likely ids [n]."""
        if self.adaptive:
            return self.output_layer.predict(features)
        return self.output_layer(features).argmax(-1)

    def gold_log_probs(self, features: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        """log P_vocab(targets [n]) under features [n, hidden]: [n] (adaptive: only the targets' clusters)."""
        if self.adaptive:
            return self.output_layer.asm(features, targets).output
        return torch.log_softmax(self.output_layer(features), dim=-1).gather(1, targets.unsqueeze(1)).squeeze(1)

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
        return self.decoder(tgt_in, state, encoded, self.predict, teacher_forcing)

    def gold_log_likelihoods(self, batch: Batch, teacher_forcing: float = 1.0) -> torch.Tensor:
        """log P(gold) at each real target position, row by row: [n_tokens] (the copy model: under its mixture).

        The decoder features are gathered at the non-pad positions of tgt_out and projected to the
        vocabulary once per batch: [n_tokens, hidden] -> [n_tokens, vocab].
        """
        features, attention = self(batch.src, batch.src_lengths, batch.tgt_in, teacher_forcing)
        if features.shape[:2] != batch.tgt_out.shape:
            raise ValueError(f"loss: features {tuple(features.shape)} do not match "
                             f"tgt_out {tuple(batch.tgt_out.shape)}")
        real = batch.tgt_out != PAD_ID  # [batch, tgt_len]
        targets = batch.tgt_out[real]  # [n_tokens]
        extended = targets >= self.tgt_vocab_size  # copy targets outside the vocabulary
        features = features[real]  # [n_tokens, hidden]
        vocab_log_prob = self.gold_log_probs(features, targets.masked_fill(extended, UNK_ID))
        if self.copy_gate is None:
            return vocab_log_prob
        src_copy = batch.src_copy.unsqueeze(1).expand(-1, real.size(1), -1)[real]  # [n_tokens, src_len]
        return mixture_log_likelihood(vocab_log_prob.masked_fill(extended, float("-inf")), self.copy_gate(features),
                                      attention[real], src_copy, targets)

    def loss(self, batch: Batch, teacher_forcing: float = 1.0) -> torch.Tensor:
        """Summed cross-entropy over the batch's real target positions (divide by batch.n_tokens)."""
        return -self.gold_log_likelihoods(batch, teacher_forcing).sum()

    @torch.no_grad()
    def teacher_forced_predictions(self, batch: Batch) -> torch.Tensor:
        """The most likely id at each real target position given the gold prefix: [n_tokens] (the copy model:
        over the extended vocabulary, comparable with its extended gold ids)."""
        features, attention = self(batch.src, batch.src_lengths, batch.tgt_in)
        real = batch.tgt_out != PAD_ID
        if self.copy_gate is None:
            return self.predict(features[real])
        src_copy = batch.src_copy.unsqueeze(1).expand(-1, real.size(1), -1)[real]
        return mixture_log_probs(self.log_probs(features[real]), self.copy_gate(features[real]), attention[real],
                                 src_copy).argmax(-1)

    # -- step-wise decoding (lib/decoding/search.py) ---------------------------------------------------------------
    def init_decoder_state(self, encoded: EncoderOutput):
        return self.decoder.init_state(encoded)

    def decode_step(self, encoded: EncoderOutput, state, prev: torch.Tensor):
        """prev [batch] ids -> (log_probs [batch, vocab], state, attention [batch, src_len] or None).

        For the copy model the log-probabilities cover the extended vocabulary, [batch, vocab + src_len]."""
        prev = prev.masked_fill(prev >= self.tgt_vocab_size, UNK_ID)  # a copied word is read back as UNK
        features, state, attention = self.decoder.step(prev, state, encoded)
        log_probs = self.log_probs(features)
        if self.copy_gate is not None:  # [batch, V + src_len]
            log_probs = mixture_log_probs(log_probs, self.copy_gate(features), attention, encoded.src_copy)
        return log_probs, state, attention

    def reorder(self, encoded: EncoderOutput, state, index: torch.Tensor):
        """Select (and repeat) batch rows `index` [n] of the encoder output and the decoder state."""
        return encoded.index_select(index), self.decoder.reorder_state(state, index)

    def reorder_state(self, state, index: torch.Tensor):
        """Select (and repeat) batch rows `index` [n] of the decoder state only."""
        return self.decoder.reorder_state(state, index)


def usable_cutoffs(cutoffs, vocab_size: int) -> list[int]:
    """The adaptive-softmax cutoffs that fit a vocabulary of `vocab_size` (strictly increasing, each in
    (0, vocab_size - 1)); empty: a full softmax."""
    kept, previous = [], 0
    for cutoff in cutoffs:
        if previous < int(cutoff) < vocab_size - 1:
            kept.append(int(cutoff))
            previous = int(cutoff)
    return kept


def build_model(kind: str, src_vocab_size: int, tgt_vocab_size: int, config: dict) -> Seq2Seq:
    """A fresh model. `config` holds emb_dim, hidden_dim, dropout, adaptive_cutoffs (optional; [] = full
    softmax), and num_layers (rnn, lstm) or attention_dim (attn); extra keys are ignored."""
    if kind not in MODEL_KINDS:
        raise ValueError(f"unknown model kind {kind!r}; expected one of {MODEL_KINDS}")
    missing = [k for k in ARCH_KEYS[kind] if k not in config and k != "adaptive_cutoffs"]
    if missing:
        raise ValueError(f"build_model({kind}): missing {missing}")
    emb, hid, dropout = int(config["emb_dim"]), int(config["hidden_dim"]), float(config["dropout"])
    if kind in ATTENTION_KINDS:
        encoder = RecurrentEncoder("lstm", src_vocab_size, emb, hid, 1, dropout, bidirectional=True)
        decoder = AttentionDecoder(tgt_vocab_size, emb, hid, encoder.output_dim, 2 * hid,
                                   int(config["attention_dim"]), dropout)
    else:
        layers = int(config["num_layers"])
        encoder = RecurrentEncoder(kind, src_vocab_size, emb, hid, layers, dropout)
        decoder = RecurrentDecoder(kind, tgt_vocab_size, emb, hid, layers, dropout)
    return Seq2Seq(kind, encoder, decoder, tgt_vocab_size, config.get("adaptive_cutoffs", ()))


def architecture(kind: str, config: dict) -> dict:
    """The architecture keys of `config` for `kind` (what a checkpoint needs to rebuild the model)."""
    return {k: config[k] for k in ARCH_KEYS[kind] if k in config}


def count_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters() if p.requires_grad)
