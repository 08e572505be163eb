"""The report's tables as data: each a Table of cells already formatted for reading (numbers.py), which the
template (report.md.j2) lays out and numbers."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from lib.evaluation.alignment import EDIT_OPS
from lib.evaluation.errors import ERROR_CLASSES
from lib.study.report import numbers as fmt
from lib.study.report import scores as sc
from lib.study.report.findings import TOTAL_CLASS, Findings

SPLITS = ("train", "valid", "test")
# Main results and further measures: (scores.json key, column label, formatter).
RESULT_COLUMNS = (
    ("bleu", "BLEU", fmt.bleu),
    ("exact_match", "exact match", fmt.rate),
    ("exact_match_short", "exact match, short refs", fmt.rate),
    ("parse_rate", "parses", fmt.rate),
    ("compile_rate", "compiles", fmt.rate),
    ("function_name_accuracy", "function name right", fmt.rate),
    ("token_accuracy", "token accuracy (teacher forced)", fmt.rate),
    ("positional_accuracy", "positional accuracy", fmt.rate),
    ("distinct_outputs", "distinct outputs", fmt.rate),
)
FURTHER_COLUMNS = (
    ("bleu_ci_low", "BLEU 95% interval, low", fmt.bleu),
    ("bleu_ci_high", "BLEU 95% interval, high", fmt.bleu),
    ("mean_output_length", "output length (tokens)", fmt.number),
    ("mean_reference_length", "reference length (tokens)", fmt.number),
    ("unk_per_output", "<unk> per output", fmt.number),
)
SUBSET_COLUMNS = (("bleu", "BLEU", fmt.bleu), ("exact_match", "exact match", fmt.rate),
                  ("exact_match_short", "exact match, short refs", fmt.rate), ("compile_rate", "compiles", fmt.rate))
EDIT_LABELS = {"sub": "substitutions", "ins": "insertions", "del": "deletions"}
# Training summary (metrics/train/<model>.json and its timings): (label, formatter of the model's summary).
TRAIN_COLUMNS = (
    ("parameters", lambda t: fmt.size(t["parameters"])),
    ("epochs (best)", lambda t: f"{fmt.count(t['epochs'])} ({fmt.count(t['best_epoch'])})"),
    ("best valid loss", lambda t: f"{t['best_valid_loss']:.3f}"),
    ("valid perplexity", lambda t: f"{t['best_valid_ppl']:.2f}"),
    ("final train loss", lambda t: f"{t['final_train_loss']:.3f}"),
    ("s / epoch", lambda t: f"{t['seconds_per_epoch']:.1f}"),
    ("tokens / s", lambda t: fmt.count(t["train_tokens_per_second"])),
    ("training time", lambda t: fmt.duration(t["wall_seconds"])),
    ("device", lambda t: f"{t['device']}, {t['threads']} threads"),
)


@dataclass(frozen=True)
class Table:
    """A table: caption (a sentence), header (column labels), rows (lists of formatted cells)."""

    caption: str
    header: list
    rows: list


def _systems_table(caption: str, sections: Mapping[str, Mapping], columns) -> Table:
    """Systems x columns of their sections (a formatter writes a missing value as a dash)."""
    return Table(caption, ["system", *(label for _, label, _ in columns)],
                 [[s, *(formatter(section.get(key)) for key, _, formatter in columns)]
                  for s, section in sections.items()])


def _lengths(stats: Mapping) -> str:
    """'mean / median / max' of one length statistic."""
    return " / ".join(fmt.number(stats[k]) for k in ("mean", "median", "max"))


def data_tables(data: Mapping) -> dict[str, Table]:
    """filters (what each filter removed), splits (sizes and lengths), vocabulary (sizes and OOV rates)."""
    tokenize, near = data["tokenize"], data["near_duplicates"]
    filters = [["tokenize", "functions read", fmt.count(tokenize["rows_read"])],
               *(["tokenize", f"dropped: {reason}", fmt.count(n)] for reason, n in tokenize["dropped"].items()),
               ["tokenize", "(summary, code) pairs kept", fmt.count(tokenize["pairs_kept"])]]
    for reason, n in data["removed"].items():
        split, _, why = reason.partition(": ")
        filters.append(["split", f"{split}: removed, {why}", fmt.count(n)])
    splits = [[s, fmt.count(data["pool"][s]), fmt.count(data["rows"][s]), _lengths(data["length"][s]["src"]),
               _lengths(data["length"][s]["tgt"]),
               fmt.DASH if s == "train" else f"{fmt.count(near[s])} ({fmt.rate(near[f'{s}_share'])})"] for s in SPLITS]
    held_out = list(data["oov"])
    vocabulary = [[label, fmt.count(data["vocab"][side]), *(fmt.rate(data["oov"][s][side]) for s in held_out)]
                  for side, label in (("src", "docstring"), ("tgt", "code"))]
    return {
        "filters": Table("What each filter removed, in pipeline order.", ["stage", "filter", "rows"], filters),
        "splits": Table("Split sizes and lengths in tokens.",
                        ["split", "candidates", "used", "docstring tokens (mean / median / max)",
                         "code tokens (mean / median / max)", "near-duplicates of train"], splits),
        "vocabulary": Table("Vocabularies, built from the training split, and the share of held-out tokens outside "
                            "them.", ["side", "vocabulary", *(f"OOV in {s}" for s in held_out)], vocabulary),
    }


def training_tables(config: Mapping, train: Mapping) -> dict[str, Table]:
    """config (the shared settings, one row per params.yaml section) and training (one row per model)."""
    settings = [[section, ", ".join(f"{k} = {fmt.setting(v)}" for k, v in values.items() if not isinstance(v, Mapping))]
                for section, values in config.items()]
    return {
        "config": Table("Settings shared by every model (params.yaml).", ["section", "settings"], settings),
        "training": Table("Training of each model: the best epoch is the one with the lowest validation loss.",
                          ["model", *(label for label, _ in TRAIN_COLUMNS)],
                          [[m, *(formatter(t) for _, formatter in TRAIN_COLUMNS)] for m, t in train.items()]),
    }


def bootstrap_table(differences, scope: str = "") -> Table:
    """Every bootstrap difference, better system first, with its 95% interval and whether it is significant."""
    rows = [[f"{d.better} − {d.worse}", f"{fmt.bleu(d.bleu_better)} vs {fmt.bleu(d.bleu_worse)}", fmt.signed(d.diff),
             fmt.interval(d.ci_low, d.ci_high), fmt.p_value(d.p_value), "yes" if d.significant else "no"]
            for d in differences]
    return Table(f"Paired bootstrap of BLEU differences{scope} (better system first); significant when the 95% "
                 f"interval excludes 0.", ["comparison", "BLEU", "difference", "95% interval", "one-sided p",
                                           "significant"], rows)


def error_classes(evaluation: Mapping) -> list[str]:
    """The error classes of scores.json in taxonomy order, the total (two classes together) last."""
    found = {c for s in sc.systems(evaluation) for c in evaluation[s]["errors"]}
    return [c for c in ERROR_CLASSES if c in found and c != TOTAL_CLASS] + \
        ([TOTAL_CLASS] if TOTAL_CLASS in found else [])


def results_tables(evaluation: Mapping, findings: Findings) -> dict[str, Table | None]:
    """results, seeds and orderings (None without a seed study in use), bootstrap, constraint (None when decoding
    was not constrained), further, token_edits, token_types, subset, subset_bootstrap, errors."""
    names = sc.systems(evaluation)
    sections = {s: evaluation[s] for s in names}
    seeds = findings.seeds
    free = {s: evaluation[s]["without_constraint"] for s in names if "without_constraint" in evaluation[s]}
    edits = {s: evaluation[s]["token_errors"] for s in names}
    types = list(dict.fromkeys(t for errs in edits.values() for t in errs if t != "total"))
    subset = sc.subset(evaluation)
    classes = error_classes(evaluation)
    return {
        "results": _systems_table("Test-set results.", sections, RESULT_COLUMNS),
        "seeds": seeds and Table(
            f"Test BLEU over {len(seeds['seeds'])} training seeds, at {fmt.count(seeds['train_pairs'])} training "
            f"pairs (mean ± sample standard deviation; the split and test rows are the same for every seed).",
            ["system", "mean ± sd", "min – max", *(f"seed {seed}" for seed in seeds["seeds"])],
            [[s, f"{fmt.bleu(e['mean'])} ± {fmt.bleu(e['std'])}", f"{fmt.bleu(e['min'])} – {fmt.bleu(e['max'])}",
              *(fmt.bleu(e["bleu"][str(seed)]) for seed in seeds["seeds"])] for s, e in seeds["systems"].items()]),
        "orderings": seeds and Table(
            "Orderings of test BLEU across training seeds; one is claimed only where it holds in every seed.",
            ["ordering", "holds in seeds", "in every seed"],
            [[f"{o.better} > {o.worse}", f"{o.holds_in} of {o.seeds}", "yes" if o.passed else "no"]
             for o in findings.orderings]),
        "bootstrap": bootstrap_table(findings.differences),
        "constraint": free and Table(
            "Decoding with and without the syntax constraint.",
            ["model", "BLEU, constrained", "BLEU, free", "parses, constrained", "parses, free"],
            [[s, fmt.bleu(evaluation[s]["bleu"]), fmt.bleu(f["bleu"]), fmt.rate(evaluation[s]["parse_rate"]),
              fmt.rate(f["parse_rate"])] for s, f in free.items()]),
        "further": _systems_table("Further measures of the outputs.", sections, FURTHER_COLUMNS),
        "token_edits": Table(
            "Token edits per reference token, after aligning each output with its reference.",
            ["system", *(EDIT_LABELS[op] for op in EDIT_OPS), "all edits"],
            [[s, *(fmt.rate(errs["total"].get(op)) for op in EDIT_OPS), fmt.rate(sum(errs["total"].values()))]
             for s, errs in edits.items()]),
        "token_types": Table(
            "Token edits per reference token by token type (substitutions, insertions and deletions together).",
            ["system", *map(fmt.humanize, types)],
            [[s, *(fmt.rate(sum(errs[t].values())) if t in errs else fmt.DASH for t in types)]
             for s, errs in edits.items()]),
        "subset": subset and Table(
            f"Results on the {sc.SUBSET} subset ({fmt.count(findings.measures.subset_rows)} rows): "
            f"{sc.SUBSET_DESCRIPTION}.",
            ["system", "BLEU, all test", *(f"{label}, {sc.SUBSET}" for _, label, _ in SUBSET_COLUMNS)],
            [[s, fmt.bleu(evaluation[s]["bleu"]), *(formatter(sub.get(key)) for key, _, formatter in SUBSET_COLUMNS)]
             for s, sub in subset.items()]),
        "subset_bootstrap": findings.subset_differences and bootstrap_table(findings.subset_differences,
                                                                            f" on the {sc.SUBSET} subset"),
        "errors": Table(
            "Error classes: share of test outputs.",
            ["system", *("does not parse (total)" if c == TOTAL_CLASS else fmt.humanize(c) for c in classes)],
            [[s, *(fmt.rate(evaluation[s]["errors"].get(c, {}).get("rate")) for c in classes)] for s in names]),
    }


def alignment_table(alignment: Mapping, reading: Mapping) -> Table:
    """The identifier alignment rate against its chance levels and ceiling: on attn's outputs, and on the test
    references as each attention model reads them (forced decoding)."""
    columns = [alignment, *(reading[model]["alignment"] for model in reading)]
    measures = [("identifiers", "identifiers", fmt.count),
                ("strongest attention on a matching docstring word", "rate", fmt.rate),
                ("same, random docstring position (seeded)", "random_rate", fmt.rate),
                ("same, uniform attention (expected)", "chance_rate", fmt.rate),
                ("ceiling: some docstring word matches", "oracle_rate", fmt.rate),
                ("aligned among identifiers with a match", "rate_when_matchable", fmt.rate),
                ("one-sided p-value against uniform", "p_value", fmt.p_value)]
    rows = [[label, *(formatter(column[key]) for column in columns)] for label, key, formatter in measures]
    header = ["measure", "attn: its outputs", *(f"{model}: test references" for model in reading)]
    return Table("Sub-word alignment of identifiers: in what attn generated, and in the reference code each attention "
                 "model was made to read.", header, rows)


def reading_table(reading: Mapping) -> Table:
    """The probe on reference code, per attention model: over the test references, and on each probe's reference."""
    rows = []
    for model, read in reading.items():
        for probe in [read["corpus"], *read["single"]]:
            cells = ([f"{probe['target_mean']:.3f}", fmt.count(probe["target_rows"]), f"{probe['other_mean']:.3f}",
                      fmt.count(probe["other_rows"]), fmt.ratio(probe["ratio"])] if probe["ratio"] is not None
                     else [fmt.DASH] * 4 + [str(probe["reason"])])
            rows.append([model, probe["code"], *cells])
    word = next(iter(reading.values()))["corpus"]["word"]
    return Table(f"Attention on “{word}” while each model reads given code (forced decoding): mean weight at the "
                 f"probe's target tokens and at the others.",
                 ["model", "code read", "at targets", "target tokens", "elsewhere", "other tokens", "ratio"], rows)


def attention_tables(interpretation: Mapping) -> dict[str, Table]:
    """alignment (on outputs and on references) and reading (the probe on reference code)."""
    return {"alignment": alignment_table(interpretation["alignment"], interpretation["reading"]),
            "reading": reading_table(interpretation["reading"])}


def rerank_tables(rerank: Mapping) -> dict[str, Table]:
    """rerank_weights (the fitted score) and rerank_sources (where the chosen candidates came from)."""
    weights = [[feature, f"{weight:+.2f}"] for feature, weight in rerank["weights"].items()]
    sources = [[source, *(fmt.count(rerank[split]["sources"][source]) for split in ("valid", "test"))]
               for source in rerank["test"]["sources"]]
    return {
        "rerank_weights": Table("The rerank score's weights, fit on the validation split; each feature is standardised "
                                "over the validation candidates first, so the weights compare.", ["feature", "weight"],
                                weights),
        "rerank_sources": Table("Where rerank's chosen candidates came from.", ["source", "valid", "test"], sources),
    }
