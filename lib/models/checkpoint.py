"""Self-describing checkpoints: model kind, hyperparameters, both vocabularies (token lists), weights,
optimizer and training state. Loadable on CPU whatever device trained them."""
from __future__ import annotations

import io
import os
import pickle
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import torch

from lib.common.cli import StageError
from lib.models.registry import MODELS
from lib.models.seq2seq import Seq2Seq, architecture, build_model
from lib.tokens.vocabulary import Vocabulary

FORMAT_VERSION = 1


class CheckpointError(StageError, RuntimeError):
    """A checkpoint that is missing, unreadable or incomplete; the message says how to rebuild it."""


@dataclass
class Checkpoint:
    """A loaded checkpoint; `model` is built, on the requested device and in eval mode."""

    model: Seq2Seq
    kind: str
    config: dict  # all hyperparameters the model was trained with (train section + model section)
    src_vocab: Vocabulary
    tgt_vocab: Vocabulary
    epoch: int
    metrics: dict
    optimizer_state: dict | None = None
    train_state: dict = field(default_factory=dict)


def checkpoint_payload(model: Seq2Seq, config: dict, src_vocab: Vocabulary, tgt_vocab: Vocabulary, epoch: int,
                       metrics: dict, optimizer_state: dict | None = None, train_state: dict | None = None) -> dict:
    """The dict that is saved; weights are copied to CPU so the file never needs a GPU to load."""
    return {
        "format_version": FORMAT_VERSION,
        "kind": model.kind,
        "architecture": architecture(model.kind, config),
        "config": dict(config),
        "src_vocab": list(src_vocab.itos),
        "tgt_vocab": list(tgt_vocab.itos),
        "subwords": src_vocab.subwords,
        "epoch": int(epoch),
        "metrics": dict(metrics),
        "model_state": {k: v.detach().cpu().clone() for k, v in model.state_dict().items()},
        "optimizer_state": _to_cpu(optimizer_state),
        "train_state": train_state or {},
    }


def save_checkpoint(path: Path | str, payload: dict) -> None:
    """Write `payload` (see checkpoint_payload) atomically: a temporary file, then os.replace."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    staging = path.with_name(f".{path.name}.tmp")
    try:
        torch.save(payload, staging)
        os.replace(staging, path)
    finally:
        staging.unlink(missing_ok=True)


def load_checkpoint(path: Path | str, device: torch.device | str = "cpu") -> Checkpoint:
    """Load a checkpoint onto `device` (default CPU) and rebuild its model in eval mode.

    Raises CheckpointError when the file is missing, corrupt or not a checkpoint of this project.
    """
    path = Path(path)
    hint = f"run `dvc repro` to (re)build {path}"
    if not path.is_file():
        raise CheckpointError(f"checkpoint {path} not found: {hint}")
    try:
        payload = torch.load(path, map_location=device, weights_only=True)
    except (RuntimeError, EOFError, OSError, ValueError, pickle.UnpicklingError, zipfile.BadZipFile,
            io.UnsupportedOperation) as error:
        raise CheckpointError(f"checkpoint {path} is corrupt ({type(error).__name__}): {hint}") from None
    required = ("kind", "architecture", "config", "src_vocab", "tgt_vocab", "epoch", "model_state")
    if not isinstance(payload, dict) or any(key not in payload for key in required):
        raise CheckpointError(f"checkpoint {path} is not a model checkpoint of this project: {hint}")
    if payload["kind"] not in MODELS:
        raise CheckpointError(f"checkpoint {path} has unknown model kind {payload['kind']!r}: {hint}")
    try:
        subwords = bool(payload.get("subwords", False))
        src_vocab, tgt_vocab = Vocabulary(payload["src_vocab"], subwords), Vocabulary(payload["tgt_vocab"], subwords)
        model = build_model(payload["kind"], len(src_vocab), len(tgt_vocab), payload["architecture"])
        model.load_state_dict(current_names(payload["model_state"]))
    except (ValueError, KeyError, RuntimeError) as error:
        raise CheckpointError(f"checkpoint {path} does not match its model ({error}): {hint}") from None
    model.to(device).eval()
    return Checkpoint(model, payload["kind"], payload["config"], src_vocab, tgt_vocab, payload["epoch"],
                      payload.get("metrics", {}), payload.get("optimizer_state"), payload.get("train_state", {}))


def current_names(model_state: dict) -> dict:
    """`model_state` with the names of today's modules. Copy checkpoints written before the output layer became
    one object hold the vocabulary softmax as output_layer.* and the gate as copy_gate.*; both now live in the
    output layer (lib/models/pointer.py, CopyGenerator: output_layer.vocabulary.*, output_layer.gate.*)."""
    if not any(key.startswith("copy_gate.") for key in model_state):
        return model_state
    renames = {"copy_gate.": "output_layer.gate.", "output_layer.": "output_layer.vocabulary."}
    renamed = {}
    for key, value in model_state.items():
        prefix = next((p for p in renames if key.startswith(p)), None)
        renamed[key if prefix is None else renames[prefix] + key[len(prefix):]] = value
    return renamed


def _to_cpu(value):
    if isinstance(value, torch.Tensor):
        return value.detach().cpu().clone()
    if isinstance(value, dict):
        return {k: _to_cpu(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_to_cpu(v) for v in value)
    return value
