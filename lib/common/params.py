"""Reading and checking params.yaml: a bad value stops a stage with one line naming the key."""
from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from lib.common.cli import StageError

PARAMS_FILE = Path("params.yaml")


class ParamError(StageError, ValueError):
    """A missing or invalid parameter; the message names the key and what is allowed."""


def load_params(path: Path = PARAMS_FILE) -> dict:
    try:
        params = yaml.safe_load(Path(path).read_text())
    except FileNotFoundError:
        raise ParamError(f"{path} not found: run the stages from the repository root") from None
    except yaml.YAMLError as error:
        raise ParamError(f"{path} is not valid YAML: {error}") from None
    if not isinstance(params, dict):
        raise ParamError(f"{path} must hold a mapping of sections")
    return params


def get(params: Mapping, key: str, kind: type | tuple[type, ...], *, choices=None,
        minimum: float | None = None, maximum: float | None = None) -> Any:
    """The value at dotted `key` (e.g. "split.n_train"), checked against the kind, choices and range."""
    value: Any = params
    for part in key.split("."):
        if not isinstance(value, Mapping) or part not in value:
            raise ParamError(f"params.yaml: missing key {key}")
        value = value[part]
    kinds = kind if isinstance(kind, tuple) else (kind,)
    # YAML writes 1 for 1.0; bool is an int in Python but never a valid number here.
    if float in kinds and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    if not isinstance(value, kinds) or (isinstance(value, bool) and bool not in kinds):
        names = " or ".join(k.__name__ for k in kinds)
        raise ParamError(f"params.yaml: {key} must be {names}, got {value!r}")
    if choices is not None and value not in choices:
        raise ParamError(f"params.yaml: {key} must be one of {', '.join(map(str, choices))}, got {value!r}")
    if minimum is not None and value < minimum:
        raise ParamError(f"params.yaml: {key} must be at least {minimum}, got {value!r}")
    if maximum is not None and value > maximum:
        raise ParamError(f"params.yaml: {key} must be at most {maximum}, got {value!r}")
    return value
