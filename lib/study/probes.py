"""The attention models on docstrings of our own and on the test references: what a model writes for a probe
docstring, and the attention it pays while reading given code (forced decoding), so the probe's question (does
"maximum" attend to `max`?) is answered on the code that should express the word, whatever the model writes."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import torch

from lib.common.config import DecodeConfig, ParamError, ProbeConfig
from lib.decoding.forced import forced_attention
from lib.decoding.prediction import generate
from lib.models.checkpoint import load_checkpoint
from lib.models.registry import ATTENTION_KINDS
from lib.tokens.code_tokens import CodeError, tokenize_code
from lib.tokens.docstrings import tokenize_summary


@dataclass(frozen=True)
class Probe:
    """A docstring of the user's, decoded by an attention model (`model`: attn or copy), and the model's attention
    while it reads the probe's reference code."""

    model: str
    summary: str
    src: list[str]
    tokens: list[str]
    attention: object  # [len(tokens), len(src) + 1]
    copy_gate: object = None  # [len(tokens)] p_gen of the copy model, else None
    reference: tuple[str, ...] = ()  # the reference code's tokens
    forced: object = None  # [len(reference) + 1, len(src) + 1]: the attention read on the reference


def reference_tokens(probes: Sequence[ProbeConfig]) -> list[list[str]]:
    """The code tokens of each probe's reference; ParamError naming the probe whose code does not tokenize."""
    tokens = []
    for index, probe in enumerate(probes):
        try:
            tokens.append(tokenize_code(probe.reference))
        except CodeError as error:
            raise ParamError(f"params.yaml: visualize.probes[{index}].reference is not Python: {error}") from None
    return tokens


def run_probes(name: str, checkpoint, probes: Sequence[ProbeConfig], decode: DecodeConfig) -> list[Probe]:
    """Each probe docstring decoded by the model of `checkpoint` (named `name`), with its reading of the reference."""
    sources = [tokenize_summary(probe.docstring) for probe in probes]
    references = reference_tokens(probes)
    vocabularies = checkpoint.src_vocab, checkpoint.tgt_vocab
    generations = generate(checkpoint.model, *vocabularies, sources, decode, gates=True, progress=f"probes {name}")
    forced = forced_attention(checkpoint.model, *vocabularies, sources, references)
    return [Probe(name, probe.docstring, src, g.tokens, g.attention, g.copy_gate, tuple(reference), weights)
            for probe, src, g, reference, weights in zip(probes, sources, generations, references, forced)]


def read_references(checkpoint, predictions: pd.DataFrame) -> list[tuple]:
    """(weights, src, reference) for every row of a predictions table: the attention of the model of `checkpoint`
    while it reads the row's reference code; the input of lib.study.interpretation's rates and probes."""
    sources = [list(src) for src in predictions["src"]]
    references = [list(reference) for reference in predictions["reference"]]
    forced = forced_attention(checkpoint.model, checkpoint.src_vocab, checkpoint.tgt_vocab, sources, references)
    return list(zip(forced, sources, references))


def read_attention_models(models: Path, probes: Sequence[ProbeConfig], decode: DecodeConfig, test: pd.DataFrame
                          ) -> tuple[list[Probe], dict[str, list[tuple]]]:
    """Each attention model (<models>/<model>.pt) on the probes (decoded, and read on their reference code) and
    read on the test split's references: ([Probe], {model: [(weights, src, reference)]})."""
    decoded, references = [], {}
    for model in ATTENTION_KINDS:
        checkpoint = load_checkpoint(models / f"{model}.pt", device=torch.device("cpu"))
        decoded += run_probes(model, checkpoint, probes, decode)
        references[model] = read_references(checkpoint, test)
    return decoded, references
