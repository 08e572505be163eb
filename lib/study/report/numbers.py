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


def fmt_bleu(value) -> str:
    """BLEU with two decimals: 12.05."""
    return DASH if missing(value) else f"{value:.2f}"


def fmt_rate(value) -> str:
    """A fraction as a percentage with one decimal: 0.953 -> 95.3%."""
    return DASH if missing(value) else f"{100 * value:.1f}%"


def fmt_p(value) -> str:
    """A p-value's number: 0.010, or < 0.001."""
    return DASH if missing(value) else ("< 0.001" if value < 0.001 else f"{value:.3f}")


def p_clause(value) -> str:
    """A p-value as a clause: 'p < 0.001' or 'p = 0.010' (never 'p = < 0.001')."""
    if missing(value):
        return "p not available"
    return "p < 0.001" if value < 0.001 else f"p = {value:.3f}"


def fmt_signed(value) -> str:
    """A difference with its sign, a real minus sign for negatives: +1.84, −5.68."""
    return DASH if missing(value) else f"{value:+.2f}".replace("-", "−")


def fmt_interval(low, high) -> str:
    """A confidence interval of BLEU differences: [+1.33, +2.39]."""
    return f"[{fmt_signed(low)}, {fmt_signed(high)}]"


def fmt_count(value) -> str:
    """A count with thousands separators: 35,145."""
    return DASH if missing(value) else f"{round(value):,}"


def fmt_number(value) -> str:
    """Any measured number, readably: integers with separators, no exponent notation, 3-4 significant digits."""
    if missing(value):
        return DASH
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, int) or float(value).is_integer():
        return fmt_count(value)
    size = abs(value)
    if size >= 1000:
        return f"{value:,.0f}"
    if size >= 100:
        return f"{value:.0f}"
    if size >= 1:
        return f"{value:.3g}" if size < 10 else f"{value:.2f}".rstrip("0").rstrip(".")
    return f"{value:.3g}" if size >= 1e-3 else f"{value:.1e}"


def fmt_size(value) -> str:
    """A model size: 6.55 M, 512 k."""
    if missing(value):
        return DASH
    if value >= 1e6:
        return f"{value / 1e6:.2f} M"
    return f"{value / 1e3:.0f} k" if value >= 1e4 else fmt_count(value)


def fmt_duration(seconds) -> str:
    """A wall time: 45 s, 9.3 min, 1.2 h."""
    if missing(seconds):
        return DASH
    if seconds < 120:
        return f"{seconds:.0f} s"
    return f"{seconds / 60:.1f} min" if seconds < 7200 else f"{seconds / 3600:.1f} h"


def fmt_value(value) -> str:
    """A setting of any type: lists joined, booleans as yes / no, numbers via fmt_number."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (list, tuple)):
        return ", ".join(fmt_value(v) for v in value)
    return fmt_number(value)


def humanize(key: str) -> str:
    """A metric key as words: 'unk_per_output' -> 'unk per output'."""
    return key.replace("_", " ")
