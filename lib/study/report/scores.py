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

from lib.evaluation.scoring import BASELINE, RERANK, SYSTEMS
from lib.study.report.numbers import missing

SUBSET = "novel"  # the test subset every system is also scored on
SUBSET_DESCRIPTION = "test rows without a near-duplicate in the training split"


def systems(scores: Mapping) -> list[str]:
    """The systems scored, in lib.evaluation.scoring.SYSTEMS order."""
    return [s for s in SYSTEMS if s in scores]


def models(scores: Mapping) -> list[str]:
    """The scored systems that are trained models (all but the rerank system and the retrieval baseline)."""
    return [s for s in systems(scores) if s not in (RERANK, BASELINE)]


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
