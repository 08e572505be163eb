"""The report's document model: sections of plain blocks that both renderers (Markdown, PDF) read, and the
formatting of numbers in them."""
from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass
class Block:
    """kind: 'p' (text), 'list' (items), 'table' (header, rows), 'code' (text), 'figure' (path, text=caption)."""
    kind: str
    text: str = ""
    items: list = field(default_factory=list)
    header: list = field(default_factory=list)
    path: str | None = None


def _p(text):
    return Block("p", text=text)


def _list(items):
    return Block("list", items=list(items))


def _table(header, rows):
    return Block("table", header=list(header), items=[list(r) for r in rows])


def _code(text):
    return Block("code", text=text)


def _figure(path, caption):
    return Block("figure", text=caption, path=None if path is None else str(path))


# --- number formatting ---------------------------------------------------------------------------

def missing(value) -> bool:
    """None or NaN (metrics of an empty set are NaN in eval.json)."""
    return value is None or (isinstance(value, float) and math.isnan(value))


def fmt_bleu(value) -> str:
    return "—" if missing(value) else f"{value:.2f}"


def fmt_rate(value) -> str:
    return "—" if missing(value) else f"{100 * value:.1f}%"


def fmt_p(value) -> str:
    return "—" if missing(value) else ("< 0.001" if value < 0.001 else f"{value:.3f}")


def fmt_value(value) -> str:
    """A statistic of any type, compactly: floats to 4 significant digits, lists joined."""
    if missing(value):
        return "—"
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, (list, tuple)):
        return ", ".join(fmt_value(v) for v in value)
    return str(value)


def flatten(mapping: Mapping, prefix: str = "") -> list[tuple[str, object]]:
    """Nested dict as (dotted.key, value) pairs, in the dict's order."""
    pairs = []
    for key, value in mapping.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            pairs.extend(flatten(value, name + "."))
        else:
            pairs.append((name, value))
    return pairs

