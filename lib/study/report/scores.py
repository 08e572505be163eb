"""What data/eval/scores.json holds (stages/evaluate.py), read as written.

{system: {bleu, bleu_ci_low, bleu_ci_high, rates in [0, 1], errors: {class: {count, rate}}, token_errors:
{"total": {op: rate}, type: {op: rate}}, without_constraint: {bleu, parse_rate, exact_match} (models, when
decoding is constrained), novel: {rows, bleu, ...}, ...}, "bootstrap": {"a_vs_b": pair},
"bootstrap_novel": {"a_vs_b": pair}, "bleu_signature": str, "decode": {...}}; a pair is
lib.evaluation.metrics.paired_bootstrap's {bleu_a, bleu_b, delta, ci_low, ci_high, p_value, ...}. A metric of an
empty set is NaN (or None) and reads as None.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from lib.evaluation.scoring import BASELINE, SYSTEMS
from lib.study.report.numbers import missing

SUBSET = "novel"  # the test subset every system is also scored on
SUBSET_DESCRIPTION = "test rows without a near-duplicate in the training split"


def systems(scores: Mapping) -> list[str]:
    """The systems scored, in lib.evaluation.scoring.SYSTEMS order."""
    return [s for s in SYSTEMS if s in scores]


def models(scores: Mapping) -> list[str]:
    """The scored systems that are trained models (all but the retrieval baseline)."""
    return [s for s in systems(scores) if s != BASELINE]


def value(section: Mapping, key: str):
    """section[key], or None when absent, None or NaN."""
    found = section.get(key)
    return None if missing(found) else found


def scored(scores: Mapping, key: str) -> dict[str, float]:
    """{system: value} of one metric, for the systems that have it, in system order."""
    return {s: value(scores[s], key) for s in systems(scores) if value(scores[s], key) is not None}


def subset(scores: Mapping) -> dict[str, dict]:
    """{system: its scores on the SUBSET rows}, for the systems whose subset has a BLEU."""
    return {s: scores[s][SUBSET] for s in systems(scores) if value(scores[s][SUBSET], "bleu") is not None}


@dataclass(frozen=True)
class Comparison:
    """One stored paired-bootstrap comparison: `a` vs `b`, diff = BLEU(a) - BLEU(b), its 95% interval
    [ci_low, ci_high], and the one-sided p-value of "a is better" (None once flipped)."""

    a: str
    b: str
    bleu_a: float
    bleu_b: float
    diff: float
    ci_low: float
    ci_high: float
    p_value: float | None

    @property
    def significant(self) -> bool:
        """The rule: the 95% interval excludes 0."""
        return self.ci_low > 0 or self.ci_high < 0

    def winner_first(self) -> Comparison:
        """Oriented so that diff >= 0 (a flipped comparison has no p-value: it tested the other direction)."""
        if self.diff >= 0:
            return self
        return Comparison(self.b, self.a, self.bleu_b, self.bleu_a, -self.diff, -self.ci_high, -self.ci_low, None)


def comparisons(bootstrap: Mapping) -> list[Comparison]:
    """scores.json's "bootstrap" (or "bootstrap_novel") as comparisons, as stored."""
    found = []
    for key, pair in bootstrap.items():
        a, _, b = key.partition("_vs_")
        found.append(Comparison(a, b, pair["bleu_a"], pair["bleu_b"], pair["delta"], pair["ci_low"], pair["ci_high"],
                                pair["p_value"]))
    return found
