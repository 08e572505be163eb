"""The study across training seeds and training-set sizes (lib/study/experiments.py), as findings.

context["study"] = {"seeds": metrics/study/seeds.json, "curve": plots/learning_curve.csv as a DataFrame}. Each
part is used only when it describes this report's results: its baseline run has the BLEU of context["eval"]
(and the curve a point at data.rows.train), with MIN_SEEDS seeds or two training-set sizes at least.

Rules: an ordering of two systems holds when BLEU(a) > BLEU(b) in every training seed; a model approaches
retrieval when its BLEU gap to retrieval shrinks at every larger training set; it reaches retrieval where the
95% bootstrap intervals of the two overlap.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pandas as pd

from lib.evaluation.scoring import BASELINE
from lib.study.plotting import length_systems  # the systems of a table's <system>_bleu columns
from lib.study.report import results

MIN_SEEDS = 2  # with fewer, every conclusion rests on one training run per model
ORDERING_RULE = "BLEU(a) > BLEU(b) in every training seed"
APPROACH_RULE = "the BLEU gap to retrieval shrinks at every larger training set"
REACH_RULE = "the 95% BLEU intervals of the model and of retrieval overlap"


@dataclass(frozen=True)
class Finding:
    """One claim of the study with its numbers and whether its rule passed.

    kind "ordering": claim "a > b", numbers {better, worse, holds_in, reverse_holds_in, seeds, mean_better,
    mean_worse}; kind "approach" / "reach": claim "<model> approaches / reaches retrieval", numbers {model,
    train_pairs: [every size], gap: [BLEU(retrieval) - BLEU(model) at each], reached_at: [sizes whose
    intervals overlap]}."""

    kind: str
    claim: str
    rule: str
    passed: bool
    numbers: dict


def _same_bleu(bleu: Mapping[str, float], evaluation: Mapping) -> bool:
    """Whether every system's BLEU equals this report's."""
    return all(results.value(evaluation, system, "bleu") == value for system, value in bleu.items())


def seeds_in_use(context: Mapping) -> Mapping | None:
    """seeds.json when it has MIN_SEEDS seeds or more and its baseline seed scores this report's BLEU."""
    seeds = context.get("study", {}).get("seeds") or {}
    if len(seeds.get("seeds", [])) < MIN_SEEDS:
        return None
    baseline = {s: entry["bleu"][str(seeds["baseline_seed"])] for s, entry in seeds["systems"].items()}
    same_split = seeds["train_pairs"] == context.get("data", {}).get("rows", {}).get("train")
    return seeds if same_split and _same_bleu(baseline, context.get("eval", {})) else None


def curve_in_use(context: Mapping) -> pd.DataFrame | None:
    """The learning curve when it has two sizes or more and its point at this report's training pairs scores
    this report's BLEU."""
    curve = context.get("study", {}).get("curve")
    if curve is None or len(curve) < 2:
        return None
    point = curve[curve["train_pairs"] == context.get("data", {}).get("rows", {}).get("train")]
    if len(point) != 1:
        return None
    baseline = {s: point[f"{s}_bleu"].iloc[0] for s in length_systems(curve)}
    return curve if _same_bleu(baseline, context.get("eval", {})) else None


def of_other_results(context: Mapping) -> bool:
    """Whether the study has seeds or a curve to show that describe other results than this report's."""
    study = context.get("study", {})
    seeds, curve = study.get("seeds") or {}, study.get("curve")
    return (len(seeds.get("seeds", [])) >= MIN_SEEDS and seeds_in_use(context) is None) or \
        (curve is not None and len(curve) >= 2 and curve_in_use(context) is None)


def ordering_findings(seeds: Mapping) -> list[Finding]:
    """One finding per pair of seeds.json's orderings, oriented to the direction that holds in more seeds
    (on a tie, the higher mean BLEU)."""
    found, seen = [], set()
    for key in seeds["orderings"]:
        a, b = key.split(">")
        if frozenset((a, b)) in seen:  # the file holds both directions of each pair
            continue
        seen.add(frozenset((a, b)))
        forward, backward = seeds["orderings"][key], seeds["orderings"][f"{b}>{a}"]
        mean = {s: seeds["systems"][s]["mean"] for s in (a, b)}
        if (backward["holds_in"], mean[b]) > (forward["holds_in"], mean[a]):
            a, b, forward, backward = b, a, backward, forward
        found.append(Finding("ordering", f"{a} > {b}", ORDERING_RULE, forward["holds_in_every_seed"],
                             {"better": a, "worse": b, "holds_in": forward["holds_in"],
                              "reverse_holds_in": backward["holds_in"], "seeds": forward["seeds"],
                              "mean_better": mean[a], "mean_worse": mean[b]}))
    return found


def curve_findings(curve: pd.DataFrame) -> list[Finding]:
    """Per model, whether it approaches retrieval (APPROACH_RULE) and where it reaches it (REACH_RULE)."""
    curve = curve.sort_values("train_pairs")
    sizes = [int(n) for n in curve["train_pairs"]]
    found = []
    for model in [s for s in length_systems(curve) if s != BASELINE]:
        gap = [round(float(g), 2) for g in curve[f"{BASELINE}_bleu"] - curve[f"{model}_bleu"]]
        overlap = (curve[f"{model}_ci_high"] >= curve[f"{BASELINE}_ci_low"]) & \
                  (curve[f"{BASELINE}_ci_high"] >= curve[f"{model}_ci_low"])
        numbers = {"model": model, "train_pairs": sizes, "gap": gap,
                   "reached_at": [n for n, hit in zip(sizes, overlap) if hit]}
        found += [Finding("approach", f"{model} approaches {BASELINE}", APPROACH_RULE,
                          all(later < earlier for earlier, later in zip(gap, gap[1:])), numbers),
                  Finding("reach", f"{model} reaches {BASELINE}", REACH_RULE, bool(numbers["reached_at"]), numbers)]
    return found


def study_findings(context: Mapping) -> list[Finding]:
    """Every finding of the parts of the study in use: the orderings across seeds, then the curve's."""
    seeds, curve = seeds_in_use(context), curve_in_use(context)
    return (ordering_findings(seeds) if seeds else []) + (curve_findings(curve) if curve is not None else [])


def holds_in_every_seed(findings: Sequence[Finding], a: str, b: str) -> bool | None:
    """Whether "a > b" holds in every training seed; None without a seed study (nothing to check)."""
    orderings = [f for f in findings if f.kind == "ordering"]
    if not orderings:
        return None
    return any(f.passed and (f.numbers["better"], f.numbers["worse"]) == (a, b) for f in orderings)


def seeds_holding(findings: Sequence[Finding], a: str, b: str) -> str:
    """'2 of 3': the training seeds in which BLEU(a) > BLEU(b); 'no recorded' for a pair the study lacks."""
    for f in findings:
        if f.kind == "ordering" and {f.numbers["better"], f.numbers["worse"]} == {a, b}:
            holds = f.numbers["holds_in"] if f.numbers["better"] == a else f.numbers["reverse_holds_in"]
            return f"{holds} of {f.numbers['seeds']}"
    return "no recorded"
