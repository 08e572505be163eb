"""params.yaml as typed records: one frozen dataclass per section, read and checked in one place.

A field's type and its `rule(...)` (range, choices) are the schema. `load_config` refuses, each in one line
naming the key: an unknown section or key (with the closest valid name), a value of the wrong type, one out
of range. Every stage, `lib.generate` and the tools read params through it, so a typo never passes in
silence. Code reads `config.train.lr`, never `params["train"]["lr"]`.
"""
from __future__ import annotations

import dataclasses
import difflib
import re
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from lib.common.cli import StageError

PARAMS_FILE = Path("params.yaml")
# YAML 1.1 (PyYAML) reads `1e-4` as a string; it is the usual way to write a learning rate.
FLOAT_TEXT = re.compile(r"[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?")
# Names other toolkits give our keys, so a misspelling of them still finds the key ("learnig_rate" -> lr).
ALIASES = {"learning_rate": "lr", "epochs": "max_epochs", "beam": "beam_size", "threads": "num_threads"}


class ParamError(StageError, ValueError):
    """A missing or invalid parameter; the message names the key and what is allowed."""


def rule(minimum: float | None = None, maximum: float | None = None, choices: tuple = ()) -> dict:
    """Field metadata: the range or the choices a value must respect."""
    return {"minimum": minimum, "maximum": maximum, "choices": choices}


def checked(minimum: float | None = None, maximum: float | None = None, choices: tuple = ()):
    """A required field with a `rule`."""
    return field(metadata=rule(minimum, maximum, choices))


# The choices that lower modules implement, named once here (lib.prepare, lib.evaluation and lib.study import
# them; tests check each implementation covers its names).
DATA_SOURCES = ("python", "hub", "files")
OVERLONG_CHOICES = ("filter", "truncate")
NEAR_DUPLICATE_POLICIES = ("keep", "drop_from_eval", "drop_from_train")
BENCHMARKS = ("conala",)  # evaluate.benchmark_bleu besides "none" (lib/evaluation/metrics.py)
HEATMAP_RULES = ("length_terciles", "best", "worst", "per_error_class")  # lib/study/interpretation.py
PRECISIONS = ("fp32", "bf16", "fp16")  # train.precision (lib/training/precision.py)
RERANK_FEATURES = ("forward", "reverse", "similarity", "retrieved", "length")  # lib/rerank/features.py


# ---- the sections ----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class PythonSource:
    packages: tuple[str, ...]


@dataclass(frozen=True)
class HubSource:
    dataset: str
    revision: str
    timeout_s: float = checked(minimum=0.1)
    columns: dict[str, str | tuple[str, ...]]  # column name(s) of the source for each of ours


@dataclass(frozen=True)
class FilesSource:
    # Patterns, or the patterns of each split ({train: [...], valid: [...], test: [...]}).
    paths: tuple[str, ...] | dict[str, tuple[str, ...]]
    columns: dict[str, str | tuple[str, ...]]  # column name(s) of the source for each of ours




@dataclass(frozen=True)
class DataConfig:
    source: str = checked(choices=DATA_SOURCES)
    # Only the chosen source's section must be present.
    python: PythonSource | None = None
    hub: HubSource | None = None
    files: FilesSource | None = None

    def __post_init__(self):
        if getattr(self, self.source) is None:
            raise ParamError(f"params.yaml: missing key data.{self.source} (the settings of data.source)")


@dataclass(frozen=True)
class TokenizeConfig:
    max_src_len: int = checked(minimum=1)
    max_tgt_len: int = checked(minimum=1)
    min_src_len: int = checked(minimum=1)
    overlong: str = checked(choices=OVERLONG_CHOICES)
    first_sentence: bool
    strip_markup: bool
    drop_templated: bool
    subwords: bool

    def __post_init__(self):
        if self.min_src_len > self.max_src_len:
            raise ParamError(f"params.yaml: tokenize.min_src_len must be at most tokenize.max_src_len "
                             f"({self.max_src_len}), got {self.min_src_len}")


@dataclass(frozen=True)
class SplitConfig:
    seed: int = checked(minimum=0)
    n_train: int = checked(minimum=1)
    n_valid: int = checked(minimum=1)
    n_test: int = checked(minimum=1)
    valid_fraction: float = checked(minimum=0.0, maximum=0.5)
    test_fraction: float = checked(minimum=0.0, maximum=0.5)
    src_min_freq: int = checked(minimum=1)
    tgt_min_freq: int = checked(minimum=1)
    src_max_size: int = checked(minimum=5)
    tgt_max_size: int = checked(minimum=5)
    spell_unknown: bool
    near_duplicates: str = checked(choices=NEAR_DUPLICATE_POLICIES)


@dataclass(frozen=True)
class TrainConfig:
    """The `train` section, shared by every model."""

    emb_dim: int = checked(minimum=1)
    hidden_dim: int = checked(minimum=1)
    batch_size: int = checked(minimum=1)
    max_epochs: int = checked(minimum=1)
    patience: int = checked(minimum=1)
    lr: float = checked(minimum=1e-7, maximum=1.0)
    lr_decay: float = checked(minimum=0.01, maximum=1.0)
    dropout: float = checked(minimum=0.0, maximum=0.9)
    clip_grad: float = checked(minimum=0.0)  # 0: no clipping
    teacher_forcing: float = checked(minimum=0.0, maximum=1.0)
    seed: int = checked(minimum=0)
    device: str = checked(choices=("auto", "cpu", "cuda"))
    precision: str = checked(choices=PRECISIONS)  # fp32: no autocast; bf16 / fp16: autocast (fp16: CUDA only)
    num_threads: int = checked(minimum=0)  # 0: torch's default
    bucketing: bool
    adaptive_cutoffs: tuple[int, ...]  # [] = full softmax
    # Adam's moments in the checkpoint: twice the weights' size, needed only to resume training.
    save_optimizer_state: bool

    def __post_init__(self):
        cutoffs = self.adaptive_cutoffs
        if not all(c > 0 for c in cutoffs) or list(cutoffs) != sorted(set(cutoffs)):
            raise ParamError(f"params.yaml: train.adaptive_cutoffs must be increasing positive integers "
                             f"([] for a full softmax), got {list(cutoffs)!r}")


@dataclass(frozen=True)
class RecurrentConfig:
    """The `rnn` and `lstm` sections."""

    num_layers: int = checked(minimum=1, maximum=4)


@dataclass(frozen=True)
class AttentionConfig:
    """The `attn` and `copy` sections."""

    attention_dim: int = checked(minimum=1)


@dataclass(frozen=True)
class DecodeConfig:
    """How outputs are decoded (the `decode` section; lib/decoding). The defaults serve code that decodes
    without params.yaml (tests, tools); the file must give every key."""

    beam_size: int = field(default=1, metadata=rule(minimum=1))  # 1: greedy
    length_penalty: float = field(default=1.0, metadata=rule(minimum=0.0))
    max_len: int = field(default=80, metadata=rule(minimum=1))
    # No EOS before this many pieces (outputs that stop early lose BLEU's brevity penalty).
    min_len: int = field(default=0, metadata=rule(minimum=0))
    # Beam search: added to a finished hypothesis' rank per piece.
    length_reward: float = field(default=0.0, metadata=rule(minimum=0.0))
    allow_unk: bool = True  # False: UNK is never written (a copy or a known piece instead)
    constrained: bool = False  # mask tokens that break lib.decoding.constraints' rules
    replace_unk: bool = True  # UNK -> most attended docstring word (attn) or a placeholder name


@dataclass(frozen=True)
class EvaluateConfig:
    short_len: int = checked(minimum=1)
    length_buckets: tuple[int, ...]
    bootstrap_resamples: int = checked(minimum=10)
    seed: int
    examples_per_class: int = checked(minimum=0)
    benchmark_bleu: str = checked(choices=("none", *BENCHMARKS))

    def __post_init__(self):
        edges = list(self.length_buckets)
        if not edges or edges != sorted(set(edges)) or edges[0] <= 0:
            raise ParamError(f"params.yaml: evaluate.length_buckets must be increasing positive integers, "
                             f"got {edges!r}")


@dataclass(frozen=True)
class RerankConfig:
    """The `rerank` section: the fifth system's candidate pool and the features of its score (lib/rerank)."""

    models: tuple[str, ...]  # whose beam N-best enter the pool; the first one's likelihood is the forward feature
    beam_size: int = checked(minimum=1)  # N: hypotheses kept per docstring and model
    short: bool  # also each model's N-best decoded without decode.min_len, so a short answer can compete
    retrieved: int = checked(minimum=0)  # k: the code of the k training docstrings most similar to the request
    features: tuple[str, ...]

    def __post_init__(self):
        if not self.models and not self.retrieved:
            raise ParamError("params.yaml: rerank needs candidates: give rerank.models or rerank.retrieved >= 1")
        for i, name in enumerate(self.features):
            if name not in RERANK_FEATURES:
                close = difflib.get_close_matches(name, RERANK_FEATURES, n=1)
                hint = f"did you mean {close[0]}?" if close else f"expected one of {', '.join(RERANK_FEATURES)}"
                raise ParamError(f"params.yaml: rerank.features[{i}]: unknown feature {name!r}; {hint}")
        if not self.features or len(set(self.features)) != len(self.features):
            raise ParamError(f"params.yaml: rerank.features must name distinct features, got {list(self.features)!r}")


@dataclass(frozen=True)
class ProbeConfig:
    """A docstring of our own and code that answers it: the models decode the docstring, and their attention is
    also read on the code (forced decoding)."""

    docstring: str
    reference: str


@dataclass(frozen=True)
class VisualizeConfig:
    heatmap_rule: str = checked(choices=HEATMAP_RULES)
    probes: tuple[ProbeConfig, ...]
    probe_word: str
    probe_targets: tuple[str, ...]
    seed: int

    def __post_init__(self):
        texts = [(f"probes[{i}].{name}", getattr(probe, name)) for i, probe in enumerate(self.probes)
                 for name in ("docstring", "reference")]
        for key, text in texts + [(f"probe_targets[{i}]", text) for i, text in enumerate(self.probe_targets)]:
            if not text.strip():
                raise ParamError(f"params.yaml: visualize.{key} must be a non-empty string, got {text!r}")


@dataclass(frozen=True)
class Config:
    """The whole of params.yaml."""

    data: DataConfig
    tokenize: TokenizeConfig
    split: SplitConfig
    train: TrainConfig
    rnn: RecurrentConfig
    lstm: RecurrentConfig
    attn: AttentionConfig
    copy: AttentionConfig
    decode: DecodeConfig
    rerank: RerankConfig
    evaluate: EvaluateConfig
    visualize: VisualizeConfig

    def model_section(self, kind: str) -> RecurrentConfig | AttentionConfig:
        """The section of model `kind` (rnn, lstm, attn, copy)."""
        return getattr(self, kind)


# ---- loading and checking ----------------------------------------------------------------------------------

def load_params(path: Path | str = PARAMS_FILE) -> dict:
    """params.yaml as a plain mapping of sections (no checks beyond being YAML)."""
    try:
        params = yaml.safe_load(Path(path).read_text())
    except FileNotFoundError:
        raise ParamError(f"{path} not found: run the stages from the repository root") from None
    except yaml.YAMLError as error:
        raise ParamError(f"{path} is not valid YAML: {error}") from None
    if not isinstance(params, dict):
        raise ParamError(f"{path} must hold a mapping of sections")
    return params


def load_config(path: Path | str = PARAMS_FILE) -> Config:
    """The checked Config of params.yaml; raises ParamError naming the first bad key."""
    return from_mapping(load_params(path))


def from_mapping(params: Mapping) -> Config:
    """The checked Config of an already-read params mapping."""
    return _record(Config, params, "")


def as_dict(record) -> dict:
    """A record as plain Python (lists for tuples), e.g. to store in a checkpoint or a JSON file."""
    return _plain(dataclasses.asdict(record))


def _plain(value):
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    return value


def _record(cls: type, values: Any, prefix: str):
    """An instance of dataclass `cls` from mapping `values` at dotted `prefix`, every key checked."""
    where = prefix.rstrip(".") or "params.yaml"
    if not isinstance(values, Mapping):
        raise ParamError(f"params.yaml: {where} must be a mapping of keys, got {values!r}")
    fields = {f.name: f for f in dataclasses.fields(cls)}
    hints = typing.get_type_hints(cls)
    for key in values:
        if key not in fields:
            noun = "section" if not prefix else "key"
            names = {**{alias: name for alias, name in ALIASES.items() if name in fields}, **{f: f for f in fields}}
            close = difflib.get_close_matches(str(key), list(names), n=1)
            hint = f"; did you mean {prefix}{names[close[0]]}?" if close else f"; expected one of {', '.join(fields)}"
            raise ParamError(f"params.yaml: {prefix}{key}: unknown {noun}{hint}")
    kwargs = {}
    for name, spec in fields.items():
        key = f"{prefix}{name}"
        if name not in values:
            if spec.default is None:  # a section that only some settings need (data sources)
                continue
            raise ParamError(f"params.yaml: missing key {key}")
        kwargs[name] = _value(values[name], hints[name], key, spec.metadata)
    return cls(**kwargs)


def _value(value: Any, hint, key: str, checks: Mapping):
    """`value` converted to `hint` (dataclass, tuple, dict, union or scalar) and checked against `checks`."""
    if dataclasses.is_dataclass(hint):
        return _record(hint, value, f"{key}.")
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        options = [option for option in args if option is not type(None)]
        for option in options[:-1]:
            try:
                return _value(value, option, key, checks)
            except ParamError:
                pass
        return _value(value, options[-1], key, checks)  # its message stands for the union
    if origin is tuple:
        if not isinstance(value, list):
            raise ParamError(f"params.yaml: {key} must be a list, got {value!r}")
        return tuple(_value(item, args[0], f"{key}[{i}]", {}) for i, item in enumerate(value))
    if origin is dict:
        if not isinstance(value, Mapping):
            raise ParamError(f"params.yaml: {key} must be a mapping, got {value!r}")
        return {_value(k, args[0], key, {}): _value(v, args[1], f"{key}.{k}", {}) for k, v in value.items()}
    return _scalar(value, hint, key, checks)


def _scalar(value: Any, kind: type, key: str, checks: Mapping):
    # YAML writes 1 for 1.0 and 1e-4 as text; bool is an int in Python but never a valid number here.
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    if kind is float and isinstance(value, str) and FLOAT_TEXT.fullmatch(value.strip()):
        value = float(value)
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
        raise ParamError(f"params.yaml: {key} must be {kind.__name__}, got {value!r}")
    choices, minimum, maximum = checks.get("choices"), checks.get("minimum"), checks.get("maximum")
    if choices and value not in choices:
        raise ParamError(f"params.yaml: {key} must be one of {', '.join(map(str, choices))}, got {value!r}")
    if minimum is not None and value < minimum:
        raise ParamError(f"params.yaml: {key} must be at least {minimum}, got {value!r}")
    if maximum is not None and value > maximum:
        raise ParamError(f"params.yaml: {key} must be at most {maximum}, got {value!r}")
    return value
