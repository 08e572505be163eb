"""How numbers read in the report: one formatter per kind of quantity, and "—" for a missing one.

BLEU is sacrebleu's corpus BLEU on a 0-100 scale; every rate (exact match, parse rate, accuracies, error-class
rates, alignment rates) is a fraction in [0, 1] in the metric files and a percentage in the report.
"""
from __future__ import annotations

import math

DASH = "—"


def missing(value) -> bool:
    """None or NaN (the metrics of an empty set are NaN in eval.json)."""
    return value is None or (isinstance(value, float) and math.isnan(value))


def bleu(value) -> str:
    """BLEU with two decimals: 12.05."""
    return DASH if missing(value) else f"{value:.2f}"


def rate(value) -> str:
    """A fraction as a percentage with one decimal: 0.953 -> 95.3%."""
    return DASH if missing(value) else f"{100 * value:.1f}%"


def p_value(value) -> str:
    """A p-value's number: 0.010, or < 0.001."""
    return DASH if missing(value) else ("< 0.001" if value < 0.001 else f"{value:.3f}")


def p_clause(value) -> str:
    """A p-value as a clause: 'p < 0.001' or 'p = 0.010' (never 'p = < 0.001')."""
    if missing(value):
        return "p not available"
    return "p < 0.001" if value < 0.001 else f"p = {value:.3f}"


def signed(value) -> str:
    """A difference with its sign, a real minus sign for negatives: +1.84, −5.68."""
    return DASH if missing(value) else f"{value:+.2f}".replace("-", "−")


def interval(low, high) -> str:
    """A confidence interval of BLEU differences: [+1.33, +2.39]."""
    return f"[{signed(low)}, {signed(high)}]"


def ratio(value) -> str:
    """How many times more, with one decimal: 5.0x."""
    return f"{value:.1f}x"


def count(value) -> str:
    """A count with thousands separators: 35,145."""
    return DASH if missing(value) else f"{round(value):,}"


def number(value) -> str:
    """Any measured number, readably: integers with separators, no exponent notation, 3-4 significant digits."""
    if missing(value):
        return DASH
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, int) or float(value).is_integer():
        return count(value)
    magnitude = abs(value)
    if magnitude >= 1000:
        return f"{value:,.0f}"
    if magnitude >= 100:
        return f"{value:.0f}"
    if magnitude >= 1:
        return f"{value:.3g}" if magnitude < 10 else f"{value:.2f}".rstrip("0").rstrip(".")
    return f"{value:.3g}" if magnitude >= 1e-3 else f"{value:.1e}"


def size(value) -> str:
    """A model size: 6.55 M, 512 k."""
    if missing(value):
        return DASH
    if value >= 1e6:
        return f"{value / 1e6:.2f} M"
    return f"{value / 1e3:.0f} k" if value >= 1e4 else count(value)


def duration(seconds) -> str:
    """A wall time: 45 s, 9.3 min, 1.2 h."""
    if missing(seconds):
        return DASH
    if seconds < 120:
        return f"{seconds:.0f} s"
    return f"{seconds / 60:.1f} min" if seconds < 7200 else f"{seconds / 3600:.1f} h"


def setting(value) -> str:
    """A setting of any type: lists joined, booleans as yes / no, numbers via number."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (list, tuple)):
        return ", ".join(setting(v) for v in value)
    return number(value)


def humanize(key: str) -> str:
    """A metric key as words: 'unk_per_output' -> 'unk per output'."""
    return key.replace("_", " ")
