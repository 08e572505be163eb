"""Replacing <unk> in decoded programs: copy the source word the decoder attended to, or a placeholder."""
from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

from lib.tokens.kinds import is_name

# One placeholder for every unknown that cannot be copied: a valid, unlikely-to-clash identifier, so
# the output can still parse (and a repeated unknown stays one consistent variable).
PLACEHOLDER = "unk_var"

# Runs of characters that cannot continue a Python identifier (\w is Unicode-aware, as identifiers are).
_NOT_IDENTIFIER = re.compile(r"\W+")


def as_identifier(word: str, placeholder: str = PLACEHOLDER) -> str:
    """`word` made a valid identifier: runs of non-word characters become one `_` between the parts
    they separate (`file-path` -> `file_path`, `os.path` -> `os_path`) and are dropped at the ends
    (`(x)` -> `x`). Keywords (`None`, `for`), words starting with a digit and words with nothing left
    (`.`) give the placeholder."""
    candidate = "_".join(part for part in _NOT_IDENTIFIER.split(word) if part)
    if not is_name(candidate):
        return placeholder
    return candidate


def count_unknowns(tokens: Sequence[str], unk: str = "<unk>") -> int:
    """How many tokens are the unknown token."""
    return sum(token == unk for token in tokens)


def replace_unknowns(
    hyp_tokens: Sequence[str],
    src_tokens: Sequence[str],
    attention: np.ndarray | Sequence[Sequence[float]] | None = None,
    unk: str = "<unk>",
    placeholder: str = PLACEHOLDER,
) -> list[str]:
    """`hyp_tokens` with each `unk` replaced.

    attention: [len(hyp), n_src] decoder attention weights, row t for output token t. Columns beyond
        len(src_tokens) (an appended <eos>, padding) are ignored. With it, an unknown becomes the source
        word with the highest weight in its row (first one on ties), made an identifier by
        `as_identifier`. Without it, for rows missing or with no finite weight, or an empty source,
        the unknown becomes `placeholder`.
    """
    weights = None if attention is None else np.asarray(attention, dtype=float)
    if weights is not None and weights.ndim != 2:
        raise ValueError(f"attention must be [len(hyp), len(src)], got shape {weights.shape}")
    output = []
    for position, token in enumerate(hyp_tokens):
        if token != unk:
            output.append(token)
            continue
        row = None
        if weights is not None and position < weights.shape[0] and len(src_tokens):
            row = weights[position, : len(src_tokens)]
        if row is None or not np.isfinite(row).any():
            output.append(placeholder)
        else:
            source_word = src_tokens[int(np.nanargmax(np.where(np.isfinite(row), row, np.nan)))]
            output.append(as_identifier(source_word, placeholder))
    return output
