"""The report's findings as records: each claim with the numbers it rests on and whether its rule passed,
computed here once (`find`) and worded by the template (report.md.j2).

Rules:
  difference  a BLEU difference is significant when its paired-bootstrap 95% interval excludes 0; it is claimed
              when it is significant and, where a seed study is in use, its order holds in every training seed
  ordering    BLEU(a) > BLEU(b) in every training seed (metrics/study/seeds.json, lib/study/experiments.py)
  trend       a model approaches retrieval when its BLEU gap to retrieval shrinks at every larger training set,
              and reaches it at the sizes where the two 95% bootstrap intervals overlap
  alignment   attention aligns identifiers above chance when the one-sided test gives p < ALPHA and the rate
              exceeds the chance rate
Everything else (rates, losses, times) is measured, not tested: see Measures.

The seed study and the learning curve (context["study"]) are used only where they describe this report's results:
their baseline run scores the BLEU of context["eval"] (at data.rows.train training pairs), with MIN_SEEDS seeds or
two training-set sizes at least.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd

from lib.evaluation.scoring import BASELINE
from lib.study.plotting import length_systems  # the systems of a table's <system>_bleu columns
from lib.study.report import scores as sc

ALPHA = 0.05  # significance level of the alignment test
MIN_SEEDS = 2  # with fewer, every conclusion rests on one training run per model
# Rates described as a range: (scores.json key, what the rate is the share of).
RANGE_RATES = (("parse_rate", "outputs that parse"), ("compile_rate", "outputs that compile"),
               ("function_name_accuracy", "outputs with the reference's function name"))
TOTAL_CLASS = "syntax_error_total"  # the union of two error classes


@dataclass(frozen=True)
class Difference:
    """A paired-bootstrap BLEU difference, the better system first.

    better, worse: the systems; bleu_better, bleu_worse: their BLEU; diff: BLEU(better) - BLEU(worse) >= 0;
    ci_low, ci_high: its 95% interval; p_value: the stored one-sided p-value, None where it tested the other
    direction; significant: the rule, the interval excludes 0; holds_in: in how many training seeds BLEU(better)
    > BLEU(worse); seeds: how many seeds (both None without a seed study in use, or where it lacks the pair: a
    system that came after its runs)."""

    better: str
    worse: str
    bleu_better: float
    bleu_worse: float
    diff: float
    ci_low: float
    ci_high: float
    p_value: float | None
    significant: bool
    holds_in: int | None
    seeds: int | None

    @property
    def claimed(self) -> bool:
        """Significant, and (with a seed study) the order holds in every training seed."""
        return self.significant and (self.seeds is None or self.holds_in == self.seeds)

    @property
    def withheld(self) -> bool:
        """Significant in this run's bootstrap, but its order does not hold in every training seed."""
        return self.significant and not self.claimed

    @property
    def with_baseline(self) -> bool:
        return BASELINE in (self.better, self.worse)


@dataclass(frozen=True)
class Ordering:
    """An order of two systems' BLEU across training seeds, oriented to the direction that holds in more seeds
    (on a tie, the higher mean): better, worse; holds_in / reverse_holds_in: the seeds where BLEU(better) >
    BLEU(worse) / the reverse; seeds: how many; mean_better, mean_worse: mean BLEU; passed: holds in every seed."""

    better: str
    worse: str
    holds_in: int
    reverse_holds_in: int
    seeds: int
    mean_better: float
    mean_worse: float
    passed: bool


@dataclass(frozen=True)
class Trend:
    """A model against retrieval along the learning curve: train_pairs: every size, ascending; gap: BLEU(retrieval)
    - BLEU(model) at each; approaches: the gap shrinks at every step (rule); reached_at: the sizes where the two
    95% intervals overlap (the model reaches retrieval there)."""

    model: str
    train_pairs: list
    gap: list
    approaches: bool
    reached_at: list


@dataclass(frozen=True)
class Alignment:
    """The identifier alignment test: identifiers counted, rate aligned, chance_rate under uniform attention,
    p_value one-sided; above_chance: the rule (p < ALPHA and rate > chance_rate)."""

    identifiers: int
    rate: float
    chance_rate: float
    p_value: float
    above_chance: bool


@dataclass(frozen=True)
class Measures:
    """What the report states as measured, untested.

    ranking: [(system, BLEU)] by decreasing BLEU; exact_match: {system: rate}; ranges: [(what, low, [systems at
    low], high, [systems at high])] of RANGE_RATES present on two systems or more; constraint: [(model, parse rate
    free, parse rate constrained)] that change, constraint_bleu: the largest BLEU change (None without
    without_constraint); top_error / top_token: {system: (error class / token type, rate)} of the highest rate;
    subset: [(system, BLEU all, BLEU on the subset)], subset_rows; losses, epoch_seconds: {model: value}."""

    ranking: list
    exact_match: dict
    ranges: list
    constraint: list
    constraint_bleu: float | None
    top_error: dict
    top_token: dict
    subset: list
    subset_rows: int | None
    losses: dict
    epoch_seconds: dict


@dataclass(frozen=True)
class Findings:
    """Every finding of a report: differences / subset_differences: [Difference] of scores.json's bootstrap /
    bootstrap_novel; seeds: seeds.json when in use, else None; orderings: [Ordering] of those seeds; curve: the
    learning curve when in use, else None; trends: [Trend] along it; other_study: the study holds results other
    than this report's; alignment: Alignment; measures: Measures."""

    differences: list
    subset_differences: list
    seeds: Mapping | None
    orderings: list
    curve: pd.DataFrame | None
    trends: list
    other_study: bool
    alignment: Alignment
    measures: Measures

    def difference(self, a: str, b: str) -> Difference | None:
        """The difference of a and b, in whichever order it was stored."""
        return next((d for d in self.differences if {d.better, d.worse} == {a, b}), None)

    def lead(self, a: str, b: str) -> str:
        """How a's BLEU lead over b stands: 'significant', 'not significant', 'not in every seed' or 'untested'."""
        d = self.difference(a, b)
        if d is None:
            return "untested"
        if d.better != a or not d.significant:
            return "not significant"
        return "significant" if d.claimed else "not in every seed"


def _same_bleu(bleu: Mapping[str, float], evaluation: Mapping) -> bool:
    """Whether every system's BLEU equals this report's."""
    return all(evaluation[system]["bleu"] == value for system, value in bleu.items())


def seeds_in_use(context: Mapping) -> Mapping | None:
    """seeds.json when it has MIN_SEEDS seeds or more and its baseline seed scores this report's BLEU."""
    seeds = context["study"]["seeds"]
    if len(seeds["seeds"]) < MIN_SEEDS:
        return None
    baseline = {s: entry["bleu"][str(seeds["baseline_seed"])] for s, entry in seeds["systems"].items()}
    same_split = seeds["train_pairs"] == context["data"]["rows"]["train"]
    return seeds if same_split and _same_bleu(baseline, context["eval"]) else None


def curve_in_use(context: Mapping) -> pd.DataFrame | None:
    """The learning curve when it has two sizes or more and its point at this report's training pairs scores
    this report's BLEU."""
    curve = context["study"]["curve"]
    if len(curve) < 2:
        return None
    point = curve[curve["train_pairs"] == context["data"]["rows"]["train"]]
    if len(point) != 1:
        return None
    baseline = {s: point[f"{s}_bleu"].iloc[0] for s in length_systems(curve)}
    return curve if _same_bleu(baseline, context["eval"]) else None


def differences(bootstrap: Mapping, seeds: Mapping | None) -> list[Difference]:
    """A bootstrap section's pairs ("a_vs_b": delta = BLEU(a) - BLEU(b)) as Differences with the seeds that hold
    them, turned round where b is better (the stored one-sided p-value then tested the other direction)."""
    found = []
    for key, pair in bootstrap.items():
        better, _, worse = key.partition("_vs_")
        bleu_better, bleu_worse, p_value = pair["bleu_a"], pair["bleu_b"], pair["p_value"]
        diff, ci_low, ci_high = pair["delta"], pair["ci_low"], pair["ci_high"]
        if diff < 0:
            better, worse, bleu_better, bleu_worse, p_value = worse, better, bleu_worse, bleu_better, None
            diff, ci_low, ci_high = -diff, -ci_high, -ci_low
        ordering = seeds["orderings"].get(f"{better}>{worse}") if seeds else None
        found.append(Difference(better, worse, bleu_better, bleu_worse, diff, ci_low, ci_high, p_value,
                                significant=ci_low > 0 or ci_high < 0,
                                holds_in=ordering["holds_in"] if ordering else None,
                                seeds=len(seeds["seeds"]) if ordering else None))
    return found


def orderings(seeds: Mapping) -> list[Ordering]:
    """One Ordering per pair of seeds.json's orderings (the file holds both directions of each)."""
    found, seen = [], set()
    for key in seeds["orderings"]:
        a, b = key.split(">")
        if frozenset((a, b)) in seen:
            continue
        seen.add(frozenset((a, b)))
        forward, backward = seeds["orderings"][key], seeds["orderings"][f"{b}>{a}"]
        mean = {s: seeds["systems"][s]["mean"] for s in (a, b)}
        if (backward["holds_in"], mean[b]) > (forward["holds_in"], mean[a]):
            a, b, forward, backward = b, a, backward, forward
        found.append(Ordering(a, b, forward["holds_in"], backward["holds_in"], forward["seeds"], mean[a], mean[b],
                              forward["holds_in_every_seed"]))
    return found


def trends(curve: pd.DataFrame) -> list[Trend]:
    """Per model, its BLEU gap to retrieval along the curve, whether it shrinks at every step, where the
    intervals overlap."""
    curve = curve.sort_values("train_pairs")
    sizes = [int(n) for n in curve["train_pairs"]]
    found = []
    for model in [s for s in length_systems(curve) if s != BASELINE]:
        gap = [round(float(g), 2) for g in curve[f"{BASELINE}_bleu"] - curve[f"{model}_bleu"]]
        overlap = (curve[f"{model}_ci_high"] >= curve[f"{BASELINE}_ci_low"]) & \
                  (curve[f"{BASELINE}_ci_high"] >= curve[f"{model}_ci_low"])
        found.append(Trend(model, sizes, gap, all(later < earlier for earlier, later in zip(gap, gap[1:])),
                           [n for n, hit in zip(sizes, overlap) if hit]))
    return found


def alignment(rates: Mapping) -> Alignment:
    """The alignment test of lib.study.interpretation.subword_alignment_rate's result."""
    rate, chance, p = rates["rate"], rates["chance_rate"], rates["p_value"]
    return Alignment(rates["identifiers"], rate, chance, p, p < ALPHA and rate > chance)


def _top(rates_of_system: Mapping[str, Mapping]) -> dict:
    """{system: (key, rate)} of each system's highest positive rate."""
    top = {}
    for system, rates in rates_of_system.items():
        rates = {key: rate for key, rate in rates.items() if rate}
        if rates:
            top[system] = max(rates.items(), key=lambda item: item[1])
    return top


def measures(context: Mapping) -> Measures:
    """The untested numbers of Measures, from scores.json and the training summaries."""
    evaluation, train = context["eval"], context["train"]
    names = sc.systems(evaluation)
    bleu = sc.scored(evaluation, "bleu")
    ranges = []
    for key, what in RANGE_RATES:
        rates = sc.scored(evaluation, key)
        if len(rates) >= 2:
            low, high = min(rates.values()), max(rates.values())
            ranges.append((what, low, [s for s, v in rates.items() if v == low], high,
                           [s for s, v in rates.items() if v == high]))
    changes = [(s, evaluation[s]["without_constraint"], evaluation[s]) for s in names
               if "without_constraint" in evaluation[s]]
    subset = sc.subset(evaluation)
    return Measures(
        ranking=sorted(bleu.items(), key=lambda item: -item[1]),
        exact_match=sc.scored(evaluation, "exact_match"),
        ranges=ranges,
        constraint=[(s, free["parse_rate"], kept["parse_rate"]) for s, free, kept in changes
                    if round(kept["parse_rate"] - free["parse_rate"], 4) != 0],
        constraint_bleu=max((abs(kept["bleu"] - free["bleu"]) for _, free, kept in changes), default=None),
        top_error=_top({s: {c: e["rate"] for c, e in evaluation[s]["errors"].items()
                            if c not in ("correct", TOTAL_CLASS) and sc.value(e, "rate") is not None}
                        for s in names}),
        top_token=_top({s: {t: sum(rates.values()) for t, rates in evaluation[s]["token_errors"].items()
                            if t != "total"} for s in names}),
        subset=[(s, bleu[s], sub["bleu"]) for s, sub in subset.items() if s in bleu],
        subset_rows=next((sub["rows"] for sub in subset.values()), None),
        losses={m: t["best_valid_loss"] for m, t in train.items()},
        epoch_seconds={m: t["seconds_per_epoch"] for m, t in train.items()},
    )


def find(context: Mapping) -> Findings:
    """Every finding of the report's context (lib.study.report.write_report)."""
    study, seeds, curve = context["study"], seeds_in_use(context), curve_in_use(context)
    other = (len(study["seeds"]["seeds"]) >= MIN_SEEDS and seeds is None) or \
        (len(study["curve"]) >= 2 and curve is None)
    return Findings(differences(context["eval"]["bootstrap"], seeds),
                    differences(context["eval"]["bootstrap_novel"], None),
                    seeds, orderings(seeds) if seeds else [], curve, trends(curve) if curve is not None else [],
                    other, alignment(context["interpretation"]["alignment"]), measures(context))
