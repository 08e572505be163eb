"""The registry of models: one ModelSpec per model, the single place the builder, the trainer, evaluate, the
report's descriptions and the figures' colours read a model from.

A fifth model is one entry in MODELS, its params.yaml section (a field of lib.common.config.Config) and its
dvc.yaml stage, train_<name>.
"""
from __future__ import annotations

from dataclasses import dataclass, fields

from lib.common.config import AttentionConfig, RecurrentConfig

# The hyperparameters of the shared `train` section that every architecture reads (checkpoints store them).
SHARED_ARCH_KEYS = ("emb_dim", "hidden_dim", "dropout", "adaptive_cutoffs")


@dataclass(frozen=True)
class ModelSpec:
    """One model: its architecture, how the report describes it and its colour in every figure."""

    name: str  # the stage train_<name>, models/<name>.pt and the params.yaml section <name>
    cell: str  # the recurrent cell of encoder and decoder: "rnn" (tanh) or "lstm"
    bidirectional: bool  # the encoder reads both ways (its two final states bridged into the decoder's)
    attention: bool  # a decoder with Bahdanau attention and input feeding
    copy: bool  # a pointer-generator output (lib/models/pointer.py) over the extended vocabulary
    description: str  # in the report's list of models
    colour: str  # matplotlib colour
    section: type[RecurrentConfig] | type[AttentionConfig]  # its params.yaml section's record

    def __post_init__(self):
        # The combinations lib/models has modules for: the attention decoder is an LSTM bridged from two
        # directions, the plain decoder starts from a one-way encoder's state, and copying needs attention.
        if self.attention != self.bidirectional or (self.attention and self.cell != "lstm") or (
                self.copy and not self.attention):
            raise ValueError(f"model {self.name}: no modules for cell={self.cell}, bidirectional="
                             f"{self.bidirectional}, attention={self.attention}, copy={self.copy}")

    @property
    def arch_keys(self) -> tuple[str, ...]:
        """The hyperparameters that define its architecture: the shared ones, then its section's."""
        return (*SHARED_ARCH_KEYS, *(f.name for f in fields(self.section)))


MODELS = {spec.name: spec for spec in (
    ModelSpec("rnn", "rnn", False, False, False, "a tanh-RNN encoder whose final state starts a tanh-RNN decoder",
              "tab:blue", RecurrentConfig),
    ModelSpec("lstm", "lstm", False, False, False, "the same with LSTMs", "tab:orange", RecurrentConfig),
    ModelSpec("attn", "lstm", True, True, False,
              "a bidirectional LSTM encoder and an LSTM decoder with Bahdanau attention", "tab:green", AttentionConfig),
    ModelSpec("copy", "lstm", True, True, True, "attn with a pointer-generator output that can copy docstring tokens",
              "tab:purple", AttentionConfig),
)}
MODEL_KINDS = tuple(MODELS)
ATTENTION_KINDS = tuple(name for name, spec in MODELS.items() if spec.attention)


def model_spec(name: str) -> ModelSpec:
    """The spec of model `name`; ValueError for an unknown one."""
    if name not in MODELS:
        raise ValueError(f"unknown model kind {name!r}; expected one of {MODEL_KINDS}")
    return MODELS[name]
