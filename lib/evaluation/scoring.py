"""Scoring decoded test outputs: the predictions table, the metrics of one system, the token-level error
analysis, the length analysis and the examples for the report."""
from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import pandas as pd
import torch

from lib.evaluation import alignment, errors, metrics
from lib.models.batching import Batch
from lib.models.registry import MODEL_KINDS
from lib.tokens.code_tokens import detokenize
from lib.tokens.vocabulary import PAD_ID, UNK_ID

BASELINE = "retrieval"  # TF-IDF nearest-docstring retrieval, scored beside the models
RERANK = "rerank"  # the best of the copy model's N-best and retrieval's top k (stage rerank, lib/rerank)
SYSTEMS = (*MODEL_KINDS, RERANK, BASELINE)
# The pairs (a, b) whose BLEU difference evaluate bootstraps, each asking: is a better than b?
COMPARISONS = (("attn", "lstm"), ("lstm", "rnn"), ("attn", "rnn"), ("copy", "attn"),
               *((m, BASELINE) for m in MODEL_KINDS), (RERANK, "copy"), (RERANK, BASELINE))


def in_system_order(names) -> list[str]:
    """`names` with the known systems first, in SYSTEMS order, then any others alphabetically."""
    return sorted(names, key=lambda name: (SYSTEMS.index(name) if name in SYSTEMS else len(SYSTEMS), name))


def predictions_frame(test: pd.DataFrame, hypotheses: Sequence[Sequence[str]],
                      attention: Sequence | None = None) -> pd.DataFrame:
    """One row per test example: its summary, reference and hypothesis (tokens and code) and their scores.

    The reference is the real token sequence, never mapped to UNK, so an emitted UNK is always wrong.
    `attention` (attn model only) holds one [len(hypothesis), src_len] matrix per example.
    """
    references = [list(tokens) for tokens in test["tgt"]]
    hypotheses = [list(tokens) for tokens in hypotheses]
    codes = [detokenize(tokens) for tokens in hypotheses]
    frame = pd.DataFrame({
        "summary": list(test["summary"]),
        "src": [list(tokens) for tokens in test["src"]],
        "reference": references,
        "hypothesis": hypotheses,
        "reference_code": [detokenize(tokens) for tokens in references],
        "generated_code": codes,
        "bleu": [metrics.sentence_bleu(h, r) for h, r in zip(hypotheses, references)],
        "parse_ok": [metrics.parses(code) for code in codes],
        "compile_ok": [metrics.compiles(code) for code in codes],
        "similarity": [alignment.similarity(h, r) for h, r in zip(hypotheses, references)],
        "error_class": [errors.classify(h, r) for h, r in zip(hypotheses, references)],
    })
    if attention is not None:
        frame["attention"] = [matrix.tolist() for matrix in attention]
    return frame


def score(predictions: pd.DataFrame, short_len: int, benchmark: str = "none") -> dict:
    """The corpus metrics of one system's predictions (a `predictions_frame`), as metrics/eval.json holds
    them: BLEU, exact match, parse / compile rates, positional accuracy, distinct outputs, function-name
    accuracy, mean lengths, the error classes and `token_errors` (`alignment.edit_rates`). A `benchmark`
    tokenization other than "none" adds `benchmark_bleu` and its signature (`metrics.benchmark_bleu` of
    the detokenized code)."""
    hypotheses, references = list(predictions["hypothesis"]), list(predictions["reference"])
    bleu, signature = metrics.corpus_bleu(hypotheses, references)
    counts, reference_tokens = alignment.corpus_counts(hypotheses, references, list(predictions["src"]))
    extra = {}
    if benchmark != "none":
        value, extra["benchmark_bleu_signature"] = metrics.benchmark_bleu(
            list(predictions["generated_code"]), list(predictions["reference_code"]), benchmark)
        extra["benchmark_bleu"] = round(value, 2)
    return {
        "bleu": round(bleu, 2),
        "bleu_signature": signature,
        "exact_match": round(metrics.exact_match(hypotheses, references), 4),
        "exact_match_short": round(metrics.exact_match(hypotheses, references, max_ref_len=short_len), 4),
        "parse_rate": round(float(predictions["parse_ok"].mean()), 4),
        "compile_rate": round(float(predictions["compile_ok"].mean()), 4),
        "positional_accuracy": round(metrics.positional_accuracy(hypotheses, references), 4),
        "distinct_outputs": round(metrics.distinct_outputs(hypotheses), 4),
        "function_name_accuracy": _rounded(metrics.function_name_accuracy(hypotheses, references), 4),
        "mean_output_length": round(metrics.mean_length(hypotheses), 2),
        "mean_reference_length": round(metrics.mean_length(references), 2),
        "errors": errors.summarize(list(predictions["error_class"])),
        "token_errors": alignment.edit_rates(counts, reference_tokens),
        **extra,
    }


# What metrics/eval/<system>.json holds (DVC tables these; everything else is in data/eval/scores.json).
HEADLINE = ("bleu", "bleu_ci_low", "bleu_ci_high", "exact_match", "exact_match_short", "compile_rate", "parse_rate", "token_accuracy",
            "unk_per_output", "distinct_outputs", "function_name_accuracy", "mean_output_length", "benchmark_bleu")
SUBSET_METRICS = ("bleu", "exact_match", "exact_match_short", "compile_rate", "unk_per_output")


def subset_scores(predictions: pd.DataFrame, mask, short_len: int) -> dict:
    """The headline metrics of the rows `mask` selects (e.g. the novel test rows): BLEU, exact match (all and
    short), compile rate and, where the frame has an `unknowns` column (models), `<unk>` per output."""
    rows = predictions[mask]
    if rows.empty:
        return {"rows": 0}
    hypotheses, references = list(rows["hypothesis"]), list(rows["reference"])
    result = {
        "rows": len(rows),
        "bleu": round(metrics.corpus_bleu(hypotheses, references)[0], 2),
        "exact_match": round(metrics.exact_match(hypotheses, references), 4),
        "exact_match_short": round(metrics.exact_match(hypotheses, references, max_ref_len=short_len), 4),
        "compile_rate": round(float(rows["compile_ok"].mean()), 4),
    }
    if "unknowns" in rows.columns:
        result["unk_per_output"] = round(float(rows["unknowns"].mean()), 3)
    return result


def headline(result: dict) -> dict:
    """The few numbers of one system's `score` result that metrics/eval/<system>.json keeps, plus the novel
    rows' BLEU and exact match (`*_novel`) when scored."""
    kept = {key: result[key] for key in HEADLINE if key in result}
    for key in ("bleu", "exact_match", "compile_rate"):
        if key in result.get("novel", {}):
            kept[f"{key}_novel"] = result["novel"][key]
    return kept


def _rounded(value: float, digits: int) -> float | None:
    """`value` rounded, or None for NaN (a corpus without `def`s has no function-name accuracy)."""
    return None if math.isnan(value) else round(value, digits)


def token_error_analysis(predictions: pd.DataFrame, per_type: int) -> dict:
    """The token-level error analysis of one system for data/eval/examples.json: {"reference_tokens": n,
    "counts": {type: {op: count}}, "examples": {type: [up to `per_type` edits in context]}}; examples
    come from the shortest references first (ties by summary), at most one per test example and type."""
    rows = predictions.assign(_length=predictions["reference"].map(len)).sort_values(["_length", "summary"])
    counts, reference_tokens = alignment.corpus_counts(
        list(predictions["hypothesis"]), list(predictions["reference"]), list(predictions["src"]))
    examples = alignment.edit_examples(list(rows["hypothesis"]), list(rows["reference"]), list(rows["src"]),
                                       list(rows["summary"]), per_type)
    return {"reference_tokens": reference_tokens, "counts": counts, "examples": examples}


@torch.no_grad()
def teacher_forced_accuracy(model, batches: Sequence[Batch], device) -> float:
    """Share of real target tokens the model predicts given the gold prefix (what training optimises).

    A gold UNK counts as a miss: predicting UNK there would hide an out-of-vocabulary token.
    """
    model.eval()
    correct = total = 0
    for batch in batches:
        batch = batch.to(device)
        real = batch.tgt_out != PAD_ID
        gold = batch.tgt_out[real]
        predicted = model.teacher_forced_predictions(batch)
        correct += int(((predicted == gold) & (gold != UNK_ID)).sum())
        total += int(real.sum())
    return correct / total if total else float("nan")


def length_table(predictions: Mapping[str, pd.DataFrame], edges: Sequence[int]) -> pd.DataFrame:
    """Per docstring-length bucket: `<system>_bleu`, `_parse_rate`, `_accuracy` and `_count` columns.

    `max_src_len` is the bucket's upper edge (numeric, for plotting); `bucket` its label (e.g. "6-10").
    """
    columns = {}
    for system, frame in predictions.items():
        lengths = list(frame["src"].map(len))
        rows = metrics.bucket_metrics(list(frame["hypothesis"]), list(frame["reference"]), edges, lengths=lengths)
        columns["bucket"] = [row["bucket"] for row in rows]
        for name, key in (("bleu", "bleu"), ("parse_rate", "parse_rate"),
                          ("accuracy", "positional_accuracy"), ("count", "count")):
            columns[f"{system}_{name}"] = [row[key] for row in rows]
    table = pd.DataFrame(columns)
    uppers = [*edges, max(edges) + 1]  # "51+" gets the edge after the last
    table.insert(0, "max_src_len", uppers[: len(table)])
    return table[table[f"{next(iter(predictions))}_count"] > 0].reset_index(drop=True)


def error_examples(predictions: pd.DataFrame, per_class: int) -> dict[str, list[dict]]:
    """Up to `per_class` real examples of each error class, the shortest references first."""
    examples = {}
    for error_class in errors.ERROR_CLASSES:
        rows = predictions[predictions["error_class"] == error_class]
        rows = rows.assign(_length=rows["reference"].map(len)).sort_values(["_length", "summary"]).head(per_class)
        examples[error_class] = [
            {"summary": row.summary, "reference_code": row.reference_code, "generated_code": row.generated_code}
            for row in rows.itertuples()
        ]
    return examples


def extreme_examples(predictions: pd.DataFrame, n: int, best: bool) -> list[dict]:
    """The `n` examples of highest (or lowest) sentence BLEU, ties to the earlier example."""
    ranked = predictions.sort_values("bleu", ascending=not best, kind="stable").head(n)
    return ranked[["summary", "reference_code", "generated_code", "bleu"]].to_dict("records")
