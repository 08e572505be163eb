"""The abstract and the conclusions, generated from the numbers by fixed rules.

Each rule states one finding, and only where the numbers support it: a BLEU difference is claimed only when
its paired-bootstrap 95% interval excludes 0 and, when other training seeds were run, the order holds in
every seed (lib/study/report/study.py); the identifier alignment is called above chance only when its
one-sided test gives p < ALPHA; everything else (rates, losses, times) is stated as measured, untested.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from lib.evaluation.scoring import BASELINE
from lib.study.report import results
from lib.study.report.attention import probe_finding
from lib.study.report.numbers import (
    fmt_bleu,
    fmt_count,
    fmt_interval,
    fmt_rate,
    fmt_signed,
    humanize,
    is_number,
    p_clause,
)
from lib.study.report.study import (
    Finding,
    holds_in_every_seed,
    of_other_results,
    seeds_holding,
    seeds_in_use,
    study_findings,
)
from lib.study.report.tables import TOTAL_CLASS, type_edit_rate

ALPHA = 0.05  # significance level of the alignment test
# Rates summarised as a range when present: (eval.json key, what the rate is the share of).
RANGE_RATES = (("parse_rate", "outputs that parse"), ("compile_rate", "outputs that compile"),
               ("function_name_accuracy", "outputs with the reference's function name"))


def join(items: Sequence[str]) -> str:
    """'a', 'a and b', 'a, b and c'."""
    items = list(items)
    if len(items) < 2:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def _evidence(c: results.Comparison, stored_p: float | None = None) -> str:
    """'+1.84 BLEU, 95% CI [+1.33, +2.39]', with the one-sided p-value when it tests this direction."""
    text = f"{fmt_signed(c.diff)} BLEU, 95% CI {fmt_interval(c.ci_low, c.ci_high)}"
    return text + (f", one-sided {p_clause(stored_p)}" if stored_p is not None else "")


def _oriented(evaluation: Mapping, a: str, b: str) -> tuple[results.Comparison | None, float | None]:
    """The comparison of a with b and its p-value when it was stored in that direction."""
    c = results.find(evaluation, a, b)
    return c, (c.p_value if c is not None else None)


# --- BLEU ----------------------------------------------------------------------------------------

def bleu_ranking(evaluation: Mapping) -> list[str]:
    """Rule: the BLEU ranking, descriptive."""
    bleu = results.scored(evaluation, "bleu")
    if len(bleu) < 2:
        return []
    ranked = sorted(bleu, key=lambda s: -bleu[s])
    return ["Ranked by test BLEU: " + ", ".join(f"{s} {fmt_bleu(bleu[s])}" for s in ranked) + "."]


def _withheld(comparisons: Sequence[results.Comparison], findings: Sequence[Finding]) -> list[str]:
    """Rule: a significant difference whose order does not hold in every training seed is not claimed."""
    if not comparisons:
        return []
    return ["Significant in this run's bootstrap but not in every training seed, so not claimed: "
            + "; ".join(f"{c.a} over {c.b} ({fmt_signed(c.diff)} BLEU; {c.a} above in "
                        f"{seeds_holding(findings, c.a, c.b)} seeds)" for c in comparisons) + "."]


def model_differences(evaluation: Mapping, findings: Sequence[Finding] = ()) -> list[str]:
    """Rule: between two models, 'significant' exactly when the 95% CI of the BLEU difference excludes 0; claimed
    only when the order also holds in every training seed (`findings`, when a seed study is in use)."""
    pairs = [c for c in results.comparisons(evaluation) if BASELINE not in (c.a, c.b)]
    found = [(c.winner_first(), c.p_value if c.diff >= 0 else None) for c in pairs if c.sign]
    significant = [(c, p) for c, p in found if holds_in_every_seed(findings, c.a, c.b) is not False]
    withheld = [c for c, _ in found if holds_in_every_seed(findings, c.a, c.b) is False]
    tied = [c.winner_first() for c in pairs if not c.sign]
    out = []
    if significant:
        out.append("The bootstrap finds these BLEU differences between models significant: "
                   + "; ".join(f"{c.a} over {c.b} ({_evidence(c, p)})" for c, p in significant) + ".")
    if tied:
        out.append("No significant BLEU difference between "
                   + "; nor between ".join(f"{c.a} and {c.b} ({_evidence(c)}, which includes 0)" for c in tied) + ".")
    return out + _withheld(withheld, findings)


def baseline_verdicts(evaluation: Mapping, findings: Sequence[Finding] = ()) -> list[str]:
    """Rule: a model beats the baseline only when the interval of their difference lies above 0, and loses to it
    only when it lies below 0, each claimed only when that order holds in every training seed (`findings`);
    without a bootstrap pair the raw numbers are given as untested."""
    if BASELINE not in results.systems(evaluation):
        return []
    groups: dict[str, list] = {"better": [], "worse": [], "tied": [], "untested": [], "missing": [], "withheld": []}
    for model in results.models(evaluation):
        c, p = _oriented(evaluation, model, BASELINE)
        claimed = {1: (model, BASELINE), -1: (BASELINE, model)}.get(c.sign) if c is not None else None
        if claimed and holds_in_every_seed(findings, *claimed) is False:
            groups["withheld"].append(c.winner_first())
        elif c is not None:
            groups[{1: "better", -1: "worse", 0: "tied"}[c.sign]].append((model, c, p))
        elif results.value(evaluation, model, "bleu") is None or results.value(evaluation, BASELINE, "bleu") is None:
            groups["missing"].append(model)
        else:
            groups["untested"].append(model)
    out = []
    if groups["worse"]:
        names = [m for m, _, _ in groups["worse"]]
        gaps = [fmt_bleu(-c.diff) for _, c, _ in groups["worse"]]
        out.append(f"The {BASELINE} baseline is significantly better in BLEU than {join(names)} (by {join(gaps)} "
                   f"BLEU; no 95% interval of these differences includes 0).")
    out += [f"{m} beats the {BASELINE} baseline in BLEU ({_evidence(c, p)})." for m, c, p in groups["better"]]
    out += [f"{m} does not differ significantly from the {BASELINE} baseline in BLEU ({_evidence(c)})."
            for m, c, _ in groups["tied"]]
    for model in groups["untested"]:
        m, r = results.value(evaluation, model, "bleu"), results.value(evaluation, BASELINE, "bleu")
        side = "above" if m > r else "below" if m < r else "level with"
        out.append(f"{model} scores {side} the {BASELINE} baseline in BLEU ({fmt_bleu(m)} vs {fmt_bleu(r)}), "
                   f"untested: no bootstrap pair compares them.")
    out += [f"{m} cannot be compared with the {BASELINE} baseline: a BLEU is missing." for m in groups["missing"]]
    return out + _withheld(groups["withheld"], findings)


# --- rates, constraint, errors, subsets ----------------------------------------------------------

def exactness(evaluation: Mapping) -> list[str]:
    """Rule: exact match is reported as measured; when it is 0 for all, that is said once."""
    exact = results.scored(evaluation, "exact_match")
    if not exact:
        return []
    if all(v == 0 for v in exact.values()):
        return [f"No system reproduces a single test function exactly (exact match 0.0% for {join(list(exact))})."]
    ranked = sorted(exact, key=lambda s: -exact[s])
    return ["Exact match, descriptive: " + ", ".join(f"{s} {fmt_rate(exact[s])}" for s in ranked) + "."]


def _holders(values: Mapping[str, float], value: float) -> str:
    """The systems whose value is `value`, joined."""
    return join([s for s, v in values.items() if v == value])


def rate_ranges(evaluation: Mapping) -> list[str]:
    """Rule: for each rate present on two systems or more, its range and who sits at each end (descriptive)."""
    out = []
    for key, what in RANGE_RATES:
        rates = results.scored(evaluation, key)
        if len(rates) < 2:
            continue
        low, high = min(rates.values()), max(rates.values())
        if low == high:
            out.append(f"The share of {what} is {fmt_rate(low)} for every system.")
        else:
            out.append(f"The share of {what} ranges from {fmt_rate(low)} ({_holders(rates, low)}) to "
                       f"{fmt_rate(high)} ({_holders(rates, high)}); descriptive, not tested.")
    return out


def constraint_effect(evaluation: Mapping) -> list[str]:
    """Rule: what the syntax constraint changes in parse rate (and the largest BLEU change), as measured."""
    changes = []
    for s in results.systems(evaluation):
        free, constrained = evaluation[s].get("without_constraint"), evaluation[s]
        if isinstance(free, Mapping) and all(is_number(x.get(k)) for x in (free, constrained)
                                              for k in ("parse_rate", "bleu")):
            changes.append((s, free["parse_rate"], constrained["parse_rate"], constrained["bleu"] - free["bleu"]))
    if not changes:
        return []
    moved = [(s, f, c) for s, f, c, _ in changes if round(c - f, 4) != 0]
    bleu = max(abs(d) for *_, d in changes)
    if not moved:
        return [f"The syntax constraint leaves every parse rate unchanged (BLEU moves by at most {bleu:.2f})."]
    parts = []
    for verb, group in (("raises", [m for m in moved if m[2] > m[1]]), ("lowers", [m for m in moved if m[2] < m[1]])):
        if group:
            parts.append(f"{verb} the parse rate " + join([f"of {s} from {fmt_rate(f)} to {fmt_rate(c)}"
                                                           for s, f, c in group]))
    return [f"The syntax constraint {join(parts)}, while BLEU moves by at most {bleu:.2f}."]


def _top_per_system(evaluation: Mapping, rates_of) -> dict[str, tuple[str, float]]:
    """{system: (key, rate)} of the highest positive rate in `rates_of(system result)` ({key: rate})."""
    top = {}
    for s in results.systems(evaluation):
        rates = {key: rate for key, rate in rates_of(evaluation[s]).items() if rate}
        if rates:
            key = max(rates, key=rates.get)
            top[s] = (key, rates[key])
    return top


def _profile(top: dict[str, tuple[str, float]], same: str, differ: str, noun: str = "") -> list[str]:
    """One sentence: the key every system tops (`same`, formatted with key, low, high), or each key's systems."""
    if not top:
        return []
    keys = list(dict.fromkeys(key for key, _ in top.values()))
    if len(keys) == 1:
        rates = [rate for _, rate in top.values()]
        sentence = same.format(key=humanize(keys[0]), low=fmt_rate(min(rates)), high=fmt_rate(max(rates)))
        return [sentence[0].upper() + sentence[1:]]
    parts = [f"{humanize(k)}{noun} for {join([s for s, (key, _) in top.items() if key == k])}" for k in keys]
    return [differ + "; ".join(parts) + "."]


def _error_rates(result: Mapping) -> dict[str, float]:
    return {c: e.get("rate") for c, e in (result.get("errors") or {}).items()
            if c not in ("correct", TOTAL_CLASS) and isinstance(e, Mapping) and is_number(e.get("rate"))}


def _token_rates(result: Mapping) -> dict[str, float]:
    errs = result.get("token_errors")
    if not isinstance(errs, Mapping):
        return {}
    return {t: type_edit_rate(errs, t) for t, v in errs.items() if t != "total" and isinstance(v, Mapping)}


def error_profile(evaluation: Mapping) -> list[str]:
    """Rule: the most frequent wrong-output class of each system."""
    return _profile(_top_per_system(evaluation, _error_rates),
                    "{key} is the most common error class of every system ({low} to {high} of outputs).",
                    "The most common error class is ")


def token_profile(evaluation: Mapping) -> list[str]:
    """Rule: the token type with the highest edit rate per reference token, per system (descriptive)."""
    return _profile(_top_per_system(evaluation, _token_rates),
                    "Of all token types, {key} tokens take the most edits for every system ({low} to {high} of "
                    "reference tokens).", "The token type with the most edits is ", noun=" tokens")


def subset_changes(evaluation: Mapping) -> list[str]:
    """Rule: BLEU on each known test subset against the whole test split, as measured."""
    out = []
    for name in results.SUBSETS:
        sub = results.subset(evaluation, name)
        pairs = [(s, results.value(evaluation, s, "bleu"), results.value(sub, s, "bleu")) for s in results.systems(sub)]
        pairs = [(s, whole, part) for s, whole, part in pairs if is_number(whole) and is_number(part)]
        if not pairs:
            continue
        rows = results.subset_rows(sub)
        where = f"the {fmt_count(rows)} {name} ones" if is_number(rows) else f"the {name} subset"
        out.append(f"From all test rows to {where}, BLEU moves: "
                   + ", ".join(f"{s} {fmt_bleu(whole)} → {fmt_bleu(part)}" for s, whole, part in pairs) + ".")
        leader_all, leader_sub = max(pairs, key=lambda x: x[1])[0], max(pairs, key=lambda x: x[2])[0]
        if leader_all != leader_sub:
            out.append(f"On the {name} subset {leader_sub}, not {leader_all}, has the highest BLEU.")
        out += _subset_significance(sub, name)
    return out


def _subset_significance(sub: Mapping, name: str) -> list[str]:
    """Rule: which BLEU differences the subset's own bootstrap supports (CI excludes 0), in one sentence."""
    found = [c.winner_first() for c in results.comparisons(sub)]
    if not found:
        return []
    supported = [f"{c.a} over {c.b} ({fmt_signed(c.diff)})" for c in found if c.sign]
    unsupported = [f"{c.a} and {c.b}" for c in found if not c.sign]
    parts = []
    if supported:
        parts.append(f"finds {join(supported)} significant")
    if unsupported:
        parts.append("finds no significant difference between " + "; nor between ".join(unsupported))
    return [f"The bootstrap on the {name} rows alone " + " and ".join(parts) + "."]


# --- attention and training ----------------------------------------------------------------------

def alignment_verdict(interpretation: Mapping) -> list[str]:
    """Rule: 'above chance' only when the one-sided test gives p < ALPHA and the rate exceeds chance."""
    alignment = interpretation.get("alignment") or {}
    rate, chance, p = alignment.get("rate"), alignment.get("chance_rate"), alignment.get("p_value")
    if not (is_number(rate) and is_number(chance)):
        return []
    numbers = (f"{fmt_rate(rate)} of {fmt_count(alignment.get('identifiers'))} generated identifiers vs "
               f"{fmt_rate(chance)} expected under uniform attention, one-sided {p_clause(p)}")
    if is_number(p) and p < ALPHA and rate > chance:
        return [f"Attention aligns generated identifiers with docstring words sharing a sub-word above chance "
                f"({numbers})."]
    return [f"The identifier alignment is not distinguishable from chance ({numbers})."]


def training_findings(train: Mapping) -> list[str]:
    """Rule: the lowest best validation loss and the time per epoch, as measured."""
    losses = {m: t["best_valid_loss"] for m, t in train.items() if is_number(t.get("best_valid_loss"))}
    speeds = {m: t["seconds_per_epoch"] for m, t in train.items() if is_number(t.get("seconds_per_epoch"))}
    out = []
    if len(losses) >= 2:
        best = min(losses, key=losses.get)
        others = ", ".join(f"{m} {v:.3f}" for m, v in losses.items() if m != best)
        out.append(f"{best} reaches the lowest validation loss ({losses[best]:.3f}; {others}).")
    if speeds:
        out.append("One training epoch takes " + join([f"{v:.1f} s for {m}" for m, v in speeds.items()]) + ".")
    return out


# --- the seed and learning-curve study -----------------------------------------------------------

def study_basis(context: Mapping) -> str:
    """What the conclusions rest on: every training seed of the seed study, or one training run per model."""
    seeds = seeds_in_use(context)
    if seeds:
        return (f"An order between two systems is claimed only where it holds in every one of the "
                f"{len(seeds['seeds'])} training seeds ({join([str(s) for s in seeds['seeds']])}).")
    other = " (metrics/study/ and plots/learning_curve.csv hold other results than these)" \
        if of_other_results(context) else ""
    return f"Every conclusion rests on one training run per model{other}."


def seed_orderings(findings: Sequence[Finding]) -> list[str]:
    """Rule: the orders that hold in every training seed, and the pairs whose order changes between seeds."""
    orderings = [f for f in findings if f.kind == "ordering"]
    held = [f.numbers for f in orderings if f.passed]
    changed = [f.numbers for f in orderings if not f.passed]
    out = []
    if held:
        out.append("In every training seed, BLEU puts " + join([
            f"{n['better']} above {n['worse']} (mean {fmt_bleu(n['mean_better'])} vs {fmt_bleu(n['mean_worse'])})"
            for n in held]) + ".")
    if changed:
        out.append("BLEU changes order between training seeds for " + join([
            f"{n['better']} and {n['worse']} ({n['better']} above in {n['holds_in']} of {n['seeds']})"
            for n in changed]) + ", so no order is claimed there.")
    return out


def _span(numbers: Mapping) -> str:
    """'1,000 to 14,787 training pairs'."""
    return f"{fmt_count(numbers['train_pairs'][0])} to {fmt_count(numbers['train_pairs'][-1])} training pairs"


def curve_verdicts(findings: Sequence[Finding]) -> list[str]:
    """Rule: per model, its BLEU gap to retrieval along the curve, whether it shrinks at every step, and the
    sizes at which their 95% intervals overlap."""
    reach = {f.numbers["model"]: f for f in findings if f.kind == "reach"}
    out = []
    for f in (f for f in findings if f.kind == "approach"):
        model, numbers = f.numbers["model"], f.numbers
        where = reach[model].numbers["reached_at"]
        out.append(f"From {_span(numbers)}, {BASELINE}'s BLEU lead over {model} goes "
                   + " → ".join(fmt_signed(g) for g in numbers["gap"])
                   + (": it shrinks at every step" if f.passed else ", not shrinking at every step")
                   + (f"; their 95% intervals overlap at {join([fmt_count(n) for n in where])} pairs." if where
                      else "; their 95% intervals overlap at no size."))
    return out


RULES: tuple[Callable[[Mapping], list[str]], ...] = (
    lambda c: bleu_ranking(c.get("eval", {})),
    lambda c: model_differences(c.get("eval", {}), study_findings(c)),
    lambda c: baseline_verdicts(c.get("eval", {}), study_findings(c)),
    lambda c: seed_orderings(study_findings(c)),
    lambda c: curve_verdicts(study_findings(c)),
    lambda c: exactness(c.get("eval", {})),
    lambda c: rate_ranges(c.get("eval", {})),
    lambda c: constraint_effect(c.get("eval", {})),
    lambda c: error_profile(c.get("eval", {})),
    lambda c: token_profile(c.get("eval", {})),
    lambda c: subset_changes(c.get("eval", {})),
    lambda c: alignment_verdict(c.get("interpretation", {})),
    lambda c: [s for s in [probe_finding(c.get("interpretation", {}))] if s],
    lambda c: training_findings(c.get("train", {})),
)


def conclusions(context: Mapping) -> list[str]:
    """Every rule's sentences, in RULES order, each sentence once."""
    return list(dict.fromkeys(sentence for rule in RULES for sentence in rule(context)))


# --- abstract ------------------------------------------------------------------------------------

def _setup(context: Mapping) -> str | None:
    """What was compared, on how much data."""
    evaluation, data = context.get("eval", {}), context.get("data", {})
    names = results.models(evaluation) or list(context.get("train", {}))
    if not names:
        return None
    text = (f"We train {len(names)} encoder-decoder model{'s' if len(names) > 1 else ''} ({join(names)}) to write "
            f"a Python function from the first sentence of its docstring")
    if BASELINE in results.systems(evaluation):
        text += f", and compare {'them' if len(names) > 1 else 'it'} with a {BASELINE} baseline that returns the " \
                f"code of the most similar training docstring (TF-IDF)"
    rows, read = data.get("rows", {}), data.get("tokenize", {}).get("rows_read")
    if is_number(rows.get("train")) and is_number(rows.get("test")):
        text += (f"; they learn from {fmt_count(rows['train'])} pairs"
                 + (f" mined from {fmt_count(read)} documented functions" if is_number(read) else "")
                 + f" and are tested on {fmt_count(rows['test'])} held-out functions")
    return text + "."


def _lead(evaluation: Mapping, findings: Sequence[Finding], a: str, b: str) -> str:
    """How a's BLEU lead over b stands: 'significant', 'not significant', 'not in every seed' or 'untested'."""
    c = results.find(evaluation, a, b)
    if c is None:
        return "untested"
    if c.sign <= 0:
        return "not significant"
    return "not in every seed" if holds_in_every_seed(findings, a, b) is False else "significant"


def _headline(evaluation: Mapping, findings: Sequence[Finding] = ()) -> str | None:
    """The best system by BLEU and whether its lead is significant (and holds in every training seed)."""
    bleu = results.scored(evaluation, "bleu")
    model_bleu = {m: v for m, v in bleu.items() if m != BASELINE}
    if not model_bleu:
        return None
    top, best_model = max(bleu, key=bleu.get), max(model_bleu, key=model_bleu.get)
    if top == BASELINE:
        lead = {"significant": "significantly", "not significant": "though not significantly",
                "not in every seed": "though not in every training seed", "untested": "untested,"}[
            _lead(evaluation, findings, BASELINE, best_model)]
        return (f"The {BASELINE} baseline scores the highest BLEU ({fmt_bleu(bleu[top])}), {lead} above the best "
                f"model, {best_model} ({fmt_bleu(bleu[best_model])}).")
    text = f"{top} scores the highest BLEU ({fmt_bleu(bleu[top])})"
    if BASELINE in bleu:
        lead = {"significant": "significantly above", "not significant": "not significantly above",
                "not in every seed": "not in every training seed above", "untested": "untested against"}[
            _lead(evaluation, findings, top, BASELINE)]
        text += f", {lead} the {BASELINE} baseline ({fmt_bleu(bleu[BASELINE])})"
    return text + "."


def _model_order(evaluation: Mapping, findings: Sequence[Finding] = ()) -> str | None:
    """The models in BLEU order, and which adjacent steps the bootstrap, or the training seeds, do not support."""
    bleu = {m: v for m, v in results.scored(evaluation, "bleu").items() if m != BASELINE}
    if len(bleu) < 2:
        return None
    ranked = sorted(bleu, key=lambda m: -bleu[m])
    steps = {(a, b): _lead(evaluation, findings, a, b) for a, b in zip(ranked, ranked[1:])}
    unsupported = [f"{a} and {b}" for (a, b), lead in steps.items() if lead in ("untested", "not significant")]
    unseeded = [f"{a} and {b}" for (a, b), lead in steps.items() if lead == "not in every seed"]
    order = " > ".join(f"{m} ({fmt_bleu(bleu[m])})" for m in ranked)
    if not unsupported and not unseeded:
        seeds = ", and in every training seed" if any(f.kind == "ordering" for f in findings) else ""
        return f"Among the models, {order} in BLEU, and every step of that order is significant{seeds}."
    weak = ([f"the bootstrap does not support the step between {join(unsupported)}"] if unsupported else []) + \
           ([f"the step between {join(unseeded)} does not hold in every training seed"] if unseeded else [])
    return f"Among the models, BLEU orders {order}; " + "; ".join(weak) + "."


def _curve(findings: Sequence[Finding]) -> str | None:
    """Whether and where the models approach retrieval along the learning curve, with the lead at both ends."""
    approach = [f for f in findings if f.kind == "approach"]
    if not approach:
        return None
    leads = ", ".join(f"{f.numbers['model']} {fmt_signed(f.numbers['gap'][0])} → {fmt_signed(f.numbers['gap'][-1])}"
                      for f in approach)
    closing = [f.numbers["model"] for f in approach if f.passed]
    reached = [f"{f.numbers['model']} at {join([fmt_count(n) for n in f.numbers['reached_at']])} pairs"
               for f in findings if f.kind == "reach" and f.passed]
    return (f"From {_span(approach[0].numbers)}, {BASELINE}'s BLEU lead moves {leads}; it shrinks at every step for "
            f"{join(closing) or 'no model'}, and the 95% intervals of model and {BASELINE} overlap for "
            f"{join(reached) or 'no model at any size'}.")


def _outputs(evaluation: Mapping) -> str | None:
    """Exact match and parse rate in a few words."""
    exact, parse = results.scored(evaluation, "exact_match"), results.scored(evaluation, "parse_rate")
    if not exact and not parse:
        return None
    parts = []
    if exact:
        parts.append("no output matches its reference exactly" if all(v == 0 for v in exact.values())
                     else f"at most {fmt_rate(max(exact.values()))} of outputs match their reference exactly")
    if parse:
        low, high = min(parse.values()), max(parse.values())
        parts.append(f"{fmt_rate(low)} to {fmt_rate(high)} of outputs parse" if low != high
                     else f"{fmt_rate(low)} of outputs parse")
    text = join(parts)
    return text[0].upper() + text[1:] + "."


def _attention(interpretation: Mapping) -> str | None:
    """The alignment finding, only when above chance."""
    alignment = interpretation.get("alignment") or {}
    rate, chance, p = alignment.get("rate"), alignment.get("chance_rate"), alignment.get("p_value")
    if not (is_number(rate) and is_number(chance) and is_number(p) and p < ALPHA and rate > chance):
        return None
    model = interpretation.get("model", "attn")
    return (f"The attention of {model} is partly interpretable: for {fmt_rate(rate)} of generated identifiers it "
            f"peaks on a docstring word sharing a sub-word with them, where chance gives {fmt_rate(chance)}.")


def _subset(evaluation: Mapping) -> str | None:
    """How BLEU moves on the subsets, in one clause per subset."""
    out = []
    for name in results.SUBSETS:
        sub = results.subset(evaluation, name)
        deltas = [results.value(sub, s, "bleu") - results.value(evaluation, s, "bleu") for s in results.systems(sub)
                  if is_number(results.value(sub, s, "bleu")) and is_number(results.value(evaluation, s, "bleu"))]
        if deltas:
            trend = ("falls for every system" if max(deltas) < 0 else "rises for every system" if min(deltas) > 0
                     else f"changes by {fmt_signed(min(deltas))} to {fmt_signed(max(deltas))}")
            out.append(f"On test functions with no near-duplicate in training, BLEU {trend}.")
    return " ".join(out) or None


def abstract(context: Mapping) -> str:
    """A paragraph stating the setting and the main findings, from the same numbers as the conclusions."""
    evaluation, interpretation = context.get("eval", {}), context.get("interpretation", {})
    findings = study_findings(context)
    sentences = [_setup(context), study_basis(context), _headline(evaluation, findings),
                 _model_order(evaluation, findings), _curve(findings), _outputs(evaluation),
                 _attention(interpretation), _subset(evaluation)]
    return " ".join(s for s in sentences if s) or "No results were given, so there is nothing to summarise."
