"""The report's tables, each built from one metric file and holding only the rows and columns it has data for.

Every builder returns a Block (a table with its caption) or None when there is nothing to show, so a missing
metric leaves out a column or a table instead of failing.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence

from lib.evaluation.errors import ERROR_CLASSES
from lib.study.report import results
from lib.study.report.document import Block, table
from lib.study.report.numbers import (
    DASH,
    fmt_bleu,
    fmt_count,
    fmt_duration,
    fmt_interval,
    fmt_metric,
    fmt_number,
    fmt_p,
    fmt_rate,
    fmt_share_or_count,
    fmt_signed,
    fmt_size,
    fmt_value,
    humanize,
    is_number,
    missing,
)

SPLITS = ("train", "valid", "test")
SIDES = (("src", "docstring"), ("tgt", "code"))

# Main results: (eval.json key, column label, formatter); a column appears when any system has the key.
RESULT_COLUMNS = (
    ("bleu", "BLEU", fmt_bleu),
    ("exact_match", "exact match", fmt_rate),
    ("exact_match_short", "exact match, short refs", fmt_rate),
    ("parse_rate", "parses", fmt_rate),
    ("compile_rate", "compiles", fmt_rate),
    ("function_name_accuracy", "function name right", fmt_rate),
    ("token_accuracy", "token accuracy (teacher forced)", fmt_rate),
    ("positional_accuracy", "positional accuracy", fmt_rate),
    ("distinct_outputs", "distinct outputs", fmt_share_or_count),
)
# Secondary per-system numbers, shown in a second table; unknown scalar keys join it under their own name.
FURTHER_COLUMNS = (
    ("mean_length", "mean length (tokens)", fmt_number),
    ("mean_output_length", "output length (tokens)", fmt_number),
    ("mean_reference_length", "reference length (tokens)", fmt_number),
    ("unk_per_output", "<unk> per output", fmt_number),
    ("decode_seconds", "decoding time (s)", fmt_number),
)
# Per-system keys that are not a measure of the outputs, or that have their own table.
NOT_MEASURES = frozenset({"bleu_signature", "errors", "without_constraint", "token_errors", "bootstrap", "rows", "n",
                          "count", "size", *results.SUBSETS})
# Token-level edit operations of lib.evaluation.alignment.edit_rates, as column labels.
EDIT_LABELS = {"sub": "substitutions", "ins": "insertions", "del": "deletions"}
# Training summary: (metrics/train_<model>.json key, label, formatter).
TRAIN_COLUMNS = (
    ("parameters", "parameters", fmt_size),
    ("epochs", "epochs (best)", None),  # with best_epoch, see _epochs
    ("best_valid_loss", "best valid loss", lambda v: f"{v:.3f}"),
    ("best_valid_ppl", "valid perplexity", lambda v: f"{v:.2f}"),
    ("final_train_loss", "final train loss", lambda v: f"{v:.3f}"),
    ("seconds_per_epoch", "s / epoch", lambda v: f"{v:.1f}"),
    ("train_tokens_per_second", "tokens / s", fmt_count),
    ("wall_seconds", "training time", fmt_duration),
    ("device", "device", None),  # with threads, see _device
)
TOTAL_CLASS = "syntax_error_total"  # the union of two classes, shown last


# --- data ----------------------------------------------------------------------------------------

def sources_table(data: Mapping) -> Block | None:
    """Functions per source (data.json `sources`: {name: count or {rows: count}}), when recorded."""
    sources = data.get("sources")
    if not isinstance(sources, Mapping) or not sources:
        return None
    rows = []
    for name, entry in sources.items():
        count = entry.get("rows", entry.get("functions")) if isinstance(entry, Mapping) else entry
        rows.append([name, fmt_count(count) if is_number(count) else fmt_value(count)])
    return table("Functions read per source.", ["source", "functions"], rows)


def filter_table(data: Mapping) -> Block | None:
    """Each filter of the tokenize and split stages with the number of rows it removed."""
    tokenize = data.get("tokenize", {})
    rows = []
    if is_number(tokenize.get("rows_read")):
        rows.append(["tokenize", "functions read", fmt_count(tokenize["rows_read"])])
    rows += [["tokenize", f"dropped: {reason}", fmt_count(n)] for reason, n in tokenize.get("dropped", {}).items()]
    if is_number(tokenize.get("pairs_kept")):
        rows.append(["tokenize", "(summary, code) pairs kept", fmt_count(tokenize["pairs_kept"])])
    for reason, n in data.get("removed", {}).items():
        split, _, why = reason.partition(": ")
        rows.append(["split", f"{split}: removed, {why}" if why else f"removed: {reason}", fmt_count(n)])
    if not rows:
        return None
    return table("What each filter removed, in pipeline order.", ["stage", "filter", "rows"], rows)


def _length(stats: Mapping | None) -> str:
    """'mean / median / max' of one length statistic."""
    if not isinstance(stats, Mapping):
        return DASH
    return " / ".join(fmt_number(stats.get(k)) for k in ("mean", "median", "max"))


def _near_duplicates(data: Mapping, split: str) -> str:
    """'68 (6.8%)' near-duplicates of train in one split, when recorded."""
    found = data.get("near_duplicates", {})
    count, share = found.get(split), found.get(f"{split}_share")
    if not is_number(count):
        return DASH
    return fmt_count(count) + (f" ({fmt_rate(share)})" if is_number(share) else "")


def split_table(data: Mapping) -> Block | None:
    """Rows per split (candidates after de-duplication, sampled), token lengths, near-duplicates of train."""
    rows_, pool, length = data.get("rows", {}), data.get("pool", {}), data.get("length", {})
    names = [s for s in SPLITS if s in rows_ or s in pool or s in length]
    if not names:
        return None
    header = ["split", "candidates", "used", "docstring tokens (mean / median / max)",
              "code tokens (mean / median / max)"]
    has_near = bool(data.get("near_duplicates"))
    if has_near:
        header.append("near-duplicates of train")
    rows = []
    for split in names:
        lengths = length.get(split, {})
        row = [split, fmt_count(pool.get(split)), fmt_count(rows_.get(split)), _length(lengths.get("src")),
               _length(lengths.get("tgt"))]
        rows.append(row + ([_near_duplicates(data, split) if split != "train" else DASH] if has_near else []))
    return table("Split sizes and lengths in tokens.", header, rows)


def vocabulary_table(data: Mapping) -> Block | None:
    """Vocabulary sizes (from train) and out-of-vocabulary token rates of the held-out splits."""
    vocab, oov = data.get("vocab", {}), data.get("oov", {})
    held_out = [s for s in SPLITS if s in oov]
    if not vocab and not held_out:
        return None
    rows = [[label, fmt_count(vocab.get(side)), *(fmt_rate(oov[s].get(side)) for s in held_out)]
            for side, label in SIDES]
    return table("Vocabularies, built from the training split, and the share of held-out tokens outside them.",
                 ["side", "vocabulary", *(f"OOV in {s}" for s in held_out)], rows)


# --- configuration and training ------------------------------------------------------------------

def config_table(config: Mapping) -> Block | None:
    """The shared settings, one row per params.yaml section."""
    rows = []
    for section, settings in config.items():
        if isinstance(settings, Mapping):
            rows.append([section, ", ".join(f"{k} = {fmt_value(v)}" for k, v in settings.items()
                                            if not isinstance(v, Mapping))])
        else:
            rows.append([section, fmt_value(settings)])
    return table("Settings shared by every model (params.yaml).", ["section", "settings"], rows) if rows else None


def _epochs(summary: Mapping) -> str:
    """'19 (16)': epochs run and the best one."""
    if missing(summary.get("epochs")):
        return DASH
    best = summary.get("best_epoch")
    return fmt_count(summary["epochs"]) + (f" ({fmt_count(best)})" if is_number(best) else "")


def _device(summary: Mapping) -> str:
    """'cpu, 2 threads'."""
    threads = summary.get("threads")
    return str(summary.get("device", DASH)) + (f", {threads} threads" if is_number(threads) else "")


def training_table(train: Mapping) -> Block | None:
    """One row per model: size, epochs, losses, speed (metrics/train_<model>.json)."""
    if not train:
        return None
    columns = [(key, label, fmt) for key, label, fmt in TRAIN_COLUMNS
               if any(not missing(t.get(key)) for t in train.values())]
    rows = []
    for model, summary in train.items():
        cells = [_epochs(summary) if key == "epochs" else _device(summary) if key == "device"
                 else DASH if missing(summary.get(key)) else fmt(summary[key]) for key, _, fmt in columns]
        rows.append([model, *cells])
    return table("Training of each model: the best epoch is the one with the lowest validation loss.",
                 ["model", *(label for _, label, _ in columns)], rows)


# --- results -------------------------------------------------------------------------------------

def _metric_table(caption: str, evaluation: Mapping, columns: Sequence[tuple]) -> Block | None:
    """Systems x the columns that at least one system has."""
    names = results.systems(evaluation)
    present = [c for c in columns if any(results.value(evaluation, s, c[0]) is not None for s in names)]
    if not names or not present:
        return None
    rows = [[s, *(DASH if results.value(evaluation, s, key) is None else fmt(results.value(evaluation, s, key))
                  for key, _, fmt in present)] for s in names]
    return table(caption, ["system", *(label for _, label, _ in present)], rows)


def results_table(evaluation: Mapping, caption: str = "Test-set results.") -> Block | None:
    """The main results: BLEU and the rates, one row per system."""
    return _metric_table(caption, evaluation, RESULT_COLUMNS)


def further_table(evaluation: Mapping) -> Block | None:
    """Secondary numbers per system, and every scalar metric the report does not know by name."""
    known = {key for key, _, _ in RESULT_COLUMNS + FURTHER_COLUMNS} | NOT_MEASURES
    extra = list(dict.fromkeys(key for s in results.systems(evaluation) for key, v in evaluation[s].items()
                               if key not in known and is_number(v) and not results.subset_key(key)))
    columns = list(FURTHER_COLUMNS) + [(key, humanize(key), lambda v, k=key: fmt_metric(k, v)) for key in extra]
    return _metric_table("Further measures of the outputs.", evaluation, columns)


def nested_tables(evaluation: Mapping) -> list[Block]:
    """One table per group of per-system sub-metrics the report does not know (e.g. alignment error rates)."""
    names = results.systems(evaluation)
    groups = list(dict.fromkeys(key for s in names for key, v in evaluation[s].items()
                                if isinstance(v, Mapping) and key not in NOT_MEASURES))
    blocks = []
    for group in groups:
        values = [(k, v) for s in names for k, v in (evaluation[s].get(group) or {}).items() if is_number(v)]
        keys = list(dict.fromkeys(k for k, _ in values))
        # A group whose values are all fractions (e.g. token alignment error rates) reads as percentages.
        as_rates = all(isinstance(v, float) and 0 <= v <= 1 for _, v in values)
        fmt = (lambda k, v: fmt_rate(v)) if as_rates else fmt_metric
        if keys:
            rows = [[s, *(fmt(k, (evaluation[s].get(group) or {}).get(k)) for k in keys)] for s in names]
            blocks.append(table(f"{humanize(group).capitalize()}, per system.", ["system", *map(humanize, keys)], rows))
    return blocks


def _token_errors(evaluation: Mapping) -> dict[str, Mapping]:
    """{system: token_errors} for the systems that have lib.evaluation.alignment.edit_rates."""
    return {s: evaluation[s]["token_errors"] for s in results.systems(evaluation)
            if isinstance(evaluation[s].get("token_errors"), Mapping)}


def token_error_tables(evaluation: Mapping) -> list[Block]:
    """Token edits per reference token: by operation (the total), and summed over operations by token type."""
    found = _token_errors(evaluation)
    if not found:
        return []
    ops = list(dict.fromkeys(op for errs in found.values() for op in (errs.get("total") or {})))
    blocks = []
    if ops:
        rows = [[s, *(fmt_rate((errs.get("total") or {}).get(op)) for op in ops),
                 fmt_rate(sum(v for v in (errs.get("total") or {}).values() if is_number(v)))]
                for s, errs in found.items()]
        blocks.append(table("Token edits per reference token, after aligning each output with its reference.",
                            ["system", *(EDIT_LABELS.get(op, humanize(op)) for op in ops), "all edits"], rows))
    types = list(dict.fromkeys(t for errs in found.values() for t, v in errs.items()
                               if t != "total" and isinstance(v, Mapping)))
    if types:
        rows = [[s, *(fmt_rate(type_edit_rate(errs, t)) for t in types)] for s, errs in found.items()]
        blocks.append(table("Token edits per reference token by token type (substitutions, insertions and deletions "
                            "together).", ["system", *map(humanize, types)], rows))
    return blocks


def type_edit_rate(token_errors: Mapping, token_type: str) -> float | None:
    """The summed edit rate of one token type, None when it has no numbers."""
    values = [v for v in (token_errors.get(token_type) or {}).values() if is_number(v)]
    return sum(values) if values else None


def bootstrap_table(evaluation: Mapping, scope: str = "") -> Block | None:
    """Every bootstrap comparison, the better system first, with its 95% interval and verdict; `scope` names
    a test subset in the caption."""
    rows = []
    for stored in results.comparisons(evaluation):
        c = stored.winner_first()
        # The stored one-sided p-value tests "a better"; it is quoted only where that is the claim.
        p = fmt_p(stored.p_value) if c is stored else DASH
        rows.append([f"{c.a} − {c.b}", f"{fmt_bleu(c.bleu_a)} vs {fmt_bleu(c.bleu_b)}", fmt_signed(c.diff),
                     fmt_interval(c.ci_low, c.ci_high), p, "yes" if c.sign else "no"])
    if not rows:
        return None
    caption = (f"Paired bootstrap of BLEU differences{scope} (better system first); significant when the 95% "
               f"interval excludes 0.")
    return table(caption, ["comparison", "BLEU", "difference", "95% interval", "one-sided p", "significant"], rows)


def seed_table(seeds: Mapping) -> Block:
    """Test BLEU of each system over the training seeds of seeds.json (lib/study/experiments.py)."""
    rows = [[system, f"{fmt_bleu(entry['mean'])} ± {fmt_bleu(entry['std'])}",
             f"{fmt_bleu(entry['min'])} – {fmt_bleu(entry['max'])}",
             *(fmt_bleu(entry["bleu"][str(seed)]) for seed in seeds["seeds"])]
            for system, entry in seeds["systems"].items()]
    return table(f"Test BLEU over {len(seeds['seeds'])} training seeds, at {fmt_count(seeds['train_pairs'])} training "
                 f"pairs (mean ± sample standard deviation; the split and test rows are the same for every seed).",
                 ["system", "mean ± sd", "min – max", *(f"seed {seed}" for seed in seeds["seeds"])], rows)


def ordering_table(findings) -> Block:
    """Each ordering of the seed study (lib.study.report.study.ordering_findings) and in how many seeds it holds."""
    rows = [[f.claim, f"{f.numbers['holds_in']} of {f.numbers['seeds']}", "yes" if f.passed else "no"]
            for f in findings if f.kind == "ordering"]
    return table("Orderings of test BLEU across training seeds; one is claimed only where it holds in every seed.",
                 ["ordering", "holds in seeds", "in every seed"], rows)


def constraint_table(evaluation: Mapping) -> Block | None:
    """BLEU and parse rate of each model with and without the syntax constraint."""
    rows = []
    for s in results.systems(evaluation):
        free = evaluation[s].get("without_constraint")
        if isinstance(free, Mapping):
            rows.append([s, fmt_bleu(results.value(evaluation, s, "bleu")), fmt_bleu(free.get("bleu")),
                         fmt_rate(results.value(evaluation, s, "parse_rate")), fmt_rate(free.get("parse_rate"))])
    if not rows:
        return None
    return table("Decoding with and without the syntax constraint.",
                 ["model", "BLEU, constrained", "BLEU, free", "parses, constrained", "parses, free"], rows)


def subset_table(evaluation: Mapping, name: str) -> Block | None:
    """Results on one test subset, next to BLEU on the whole test split."""
    sub = results.subset(evaluation, name)
    names = results.systems(sub)
    if not names:
        return None
    columns = [c for c in RESULT_COLUMNS if any(results.value(sub, s, c[0]) is not None for s in names)]
    rows = [[s, fmt_bleu(results.value(evaluation, s, "bleu")),
             *(DASH if results.value(sub, s, key) is None else fmt(results.value(sub, s, key))
               for key, _, fmt in columns)] for s in names]
    header = ["system", "BLEU, all test", *(f"{label}, {name}" for _, label, _ in columns)]
    count = results.subset_rows(sub)
    size = f" ({fmt_count(count)} rows)" if is_number(count) else ""
    return table(f"Results on the {name} subset{size}: {results.SUBSETS.get(name, name)}.", header, rows)


def error_classes(evaluation: Mapping) -> list[str]:
    """The error classes of eval.json: known ones in taxonomy order, then new ones, the total last."""
    found = list(dict.fromkeys(c for s in results.systems(evaluation)
                               for c in (evaluation[s].get("errors") or {})))
    ordered = [c for c in ERROR_CLASSES if c in found] + [c for c in found if c not in ERROR_CLASSES]
    return [c for c in ordered if c != TOTAL_CLASS] + ([TOTAL_CLASS] if TOTAL_CLASS in found else [])


def error_table(evaluation: Mapping) -> Block | None:
    """Share of test outputs in each error class, per system."""
    classes = error_classes(evaluation)
    names = [s for s in results.systems(evaluation) if evaluation[s].get("errors")]
    if not classes or not names:
        return None
    labels = ["does not parse (total)" if c == TOTAL_CLASS else humanize(c) for c in classes]
    rows = [[s, *(fmt_rate((evaluation[s]["errors"].get(c) or {}).get("rate")) for c in classes)] for s in names]
    return table("Error classes: share of test outputs.", ["system", *labels], rows)


def alignment_table(alignment: Mapping) -> Block:
    """The identifier alignment rate against its chance levels and ceiling."""
    rows = [["generated identifiers", fmt_count(alignment.get("identifiers"))],
            ["strongest attention on a matching docstring word", fmt_rate(alignment.get("rate"))],
            ["same, random docstring position (seeded)", fmt_rate(alignment.get("random_rate"))],
            ["same, uniform attention (expected)", fmt_rate(alignment.get("chance_rate"))],
            ["ceiling: some docstring word matches", fmt_rate(alignment.get("oracle_rate"))],
            ["aligned among identifiers with a match", fmt_rate(alignment.get("rate_when_matchable"))],
            ["one-sided p-value against uniform", fmt_p(alignment.get("p_value"))]]
    return table("Sub-word alignment of generated identifiers.", ["measure", "value"], rows)
