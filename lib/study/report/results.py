"""What metrics/eval.json holds, read defensively: the systems, subsets such as `novel`, and bootstrap pairs.

Systems are the sections of eval.json that hold a `bleu`, in lib.evaluation.scoring's system order (models of
lib.models.seq2seq.MODEL_KINDS, then the baseline); a new model appears without a change here. Every metric is
optional: a missing or NaN value reads as None.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from lib.evaluation.scoring import BASELINE, in_system_order
from lib.study.report.numbers import missing

# Top-level keys of eval.json that are not systems even if they hold a `bleu`.
NOT_SYSTEMS = frozenset({"bootstrap", "bleu_signature", "decode", "subsets"})
# Test subsets the report knows how to describe; each is stored either top-level ({name: {system: metrics}})
# or inside each system ({system: {name: metrics}}).
SUBSETS = {"novel": "test rows without a near-duplicate in the training split"}


def systems(evaluation: Mapping) -> list[str]:
    """The systems of an eval.json-like mapping, in the canonical order."""
    found = [key for key, value in evaluation.items()
             if key not in NOT_SYSTEMS and key not in SUBSETS and not key.startswith("bootstrap")
             and isinstance(value, Mapping) and "bleu" in value]
    return in_system_order(found)


def models(evaluation: Mapping) -> list[str]:
    """The systems that are trained models (all but the retrieval baseline)."""
    return [s for s in systems(evaluation) if s != BASELINE]


def value(evaluation: Mapping, system: str, key: str):
    """evaluation[system][key], or None when absent or NaN."""
    section = evaluation.get(system)
    found = section.get(key) if isinstance(section, Mapping) else None
    return None if missing(found) else found


def scored(evaluation: Mapping, key: str) -> dict[str, float]:
    """{system: value} of one metric, for the systems that have it, in system order."""
    out = {}
    for system in systems(evaluation):
        found = value(evaluation, system, key)
        if isinstance(found, (int, float)) and not isinstance(found, bool):
            out[system] = found
    return out


def subset_key(key: str) -> str | None:
    """The subset a flat metric key belongs to ('bleu_novel' -> 'novel'), else None."""
    return next((name for name in SUBSETS if key.endswith(f"_{name}")), None)


def _flat_subset(evaluation: Mapping, name: str) -> dict:
    """{system: {metric: value}} from flat keys such as `bleu_novel` (metrics/eval headline files)."""
    suffix = f"_{name}"
    found = {s: {key[: -len(suffix)]: v for key, v in evaluation[s].items() if key.endswith(suffix)}
             for s in systems(evaluation)}
    return {s: metrics for s, metrics in found.items() if "bleu" in metrics}


def subset(evaluation: Mapping, name: str) -> dict:
    """The eval.json-like mapping of one test subset ({system: metrics, 'bootstrap': ...}), {} if absent.

    Accepts the subset stored top-level (evaluation[name][system]), per system (evaluation[system][name]) or as
    flat per-system keys (evaluation[system]["bleu_" + name]); a count of rows is kept under 'rows' when stored
    (rows, n, count or size)."""
    top = evaluation.get(name)
    if isinstance(top, Mapping) and systems(top):
        return dict(top)
    per_system = {s: evaluation[s][name] for s in systems(evaluation)
                  if isinstance(evaluation[s].get(name), Mapping) and "bleu" in evaluation[s][name]}
    found = per_system or _flat_subset(evaluation, name)
    if not found:
        return {}
    rows = next((section.get(k) for section in found.values() for k in ("rows", "n", "count", "size")
                 if section.get(k) is not None), None)
    bootstrap = evaluation.get(f"bootstrap_{name}")  # the subset's own paired bootstrap (stages/evaluate.py)
    return (found | ({"rows": rows} if rows is not None else {})
            | ({"bootstrap": bootstrap} if isinstance(bootstrap, Mapping) else {}))


def subset_rows(sub: Mapping):
    """The number of test rows of a subset, when stored (top-level or in a system's section)."""
    for key in ("rows", "n", "count", "size"):
        if isinstance(sub.get(key), (int, float)):
            return sub[key]
    return next((sub[s][k] for s in systems(sub) for k in ("rows", "n", "count", "size")
                 if isinstance(sub[s].get(k), (int, float))), None)


# --- bootstrap pairs -----------------------------------------------------------------------------

@dataclass(frozen=True)
class Comparison:
    """One paired bootstrap comparison, oriented as stored: a vs b, diff = BLEU(a) - BLEU(b)."""

    a: str
    b: str
    bleu_a: float
    bleu_b: float
    diff: float
    ci_low: float
    ci_high: float
    p_value: float | None  # one-sided, for "a is better" (lib.evaluation.metrics.paired_bootstrap)

    @property
    def sign(self) -> int:
        """+1 when a is significantly better, -1 when b is, 0 when the 95% CI includes 0."""
        return 1 if self.ci_low > 0 else -1 if self.ci_high < 0 else 0

    def flipped(self) -> Comparison:
        """The same comparison as b vs a (the one-sided p-value does not carry over)."""
        return Comparison(self.b, self.a, self.bleu_b, self.bleu_a, -self.diff, -self.ci_high, -self.ci_low, None)

    def winner_first(self) -> Comparison:
        """Oriented so the difference is >= 0."""
        return self.flipped() if self.diff < 0 else self


def comparison(key: str, pair: Mapping) -> Comparison | None:
    """A stored pair `a_vs_b` as a Comparison; None when its CI is missing."""
    a, _, b = key.partition("_vs_")
    if any(missing(pair.get(k)) for k in ("bleu_a", "bleu_b", "ci_low", "ci_high")):
        return None
    diff = next((pair[k] for k in ("diff", "delta") if not missing(pair.get(k))), pair["bleu_a"] - pair["bleu_b"])
    p = pair.get("p_value")
    return Comparison(a, b, pair["bleu_a"], pair["bleu_b"], diff, pair["ci_low"], pair["ci_high"],
                      None if missing(p) else p)


def comparisons(evaluation: Mapping) -> list[Comparison]:
    """Every usable bootstrap pair of eval.json, as stored."""
    bootstrap = evaluation.get("bootstrap")
    if not isinstance(bootstrap, Mapping):
        return []
    found = [comparison(key, pair) for key, pair in bootstrap.items() if isinstance(pair, Mapping)]
    return [c for c in found if c is not None]


def find(evaluation: Mapping, a: str, b: str) -> Comparison | None:
    """The comparison of a with b, oriented as a vs b, whichever order it was stored in."""
    for c in comparisons(evaluation):
        if (c.a, c.b) == (a, b):
            return c
        if (c.a, c.b) == (b, a):
            return c.flipped()
    return None
