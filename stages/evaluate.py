r"""Stage `evaluate`: decode the test split with each model, score it with the rerank system (its choices come from
stage rerank) and the retrieval baseline beside them.

    python -m stages.evaluate --split data/split --models models --rerank data/rerank --results data/eval \
        --metrics metrics/eval --timings metrics/timings/evaluate.json --length-plot plots/length.csv

Writes <metrics>/<system>.json (the headline numbers DVC tables), the timings, the BLEU-by-length table and
<results>/ (scores.json with every number, predictions per system, examples.json). Every metric is given
for all test rows and for the novel ones (no near-duplicate in train, see lib/prepare/near_duplicates.py).
"""
import argparse
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
from tqdm import tqdm

from lib.common.cli import DataError, run_stage, stage_parser
from lib.common.device import resolve_device
from lib.common.outputs import atomic_dir, write_json_atomic, write_text_atomic
from lib.common.config import Config, DecodeConfig, EvaluateConfig, load_config
from lib.decoding.prediction import generate
from lib.decoding.unknowns import count_unknowns
from lib.evaluation.metrics import bleu_interval, paired_bootstrap
from lib.evaluation.retrieval import TfidfRetriever
from lib.evaluation.scoring import (BASELINE, COMPARISONS, RERANK, SYSTEMS, error_examples, extreme_examples,
                                    headline, length_table, predictions_frame, score, subset_scores,
                                    teacher_forced_accuracy, token_error_analysis)
from lib.models.batching import collate, encode_rows
from lib.models.checkpoint import load_checkpoint
from lib.models.registry import ATTENTION_KINDS, MODEL_KINDS, MODELS
from lib.prepare.near_duplicates import evaluation_subsets
from lib.rerank.candidates import SOURCES
from lib.tokens.vocabulary import UNK


def command_line() -> argparse.ArgumentParser:
    parser, inputs, outputs = stage_parser(__doc__)
    inputs.add_argument("--split", type=Path, required=True, help="folder: {train,test}.parquet")
    inputs.add_argument("--models", type=Path, required=True, help="folder of the checkpoints <model>.pt")
    inputs.add_argument("--rerank", type=Path, required=True, help="the rerank stage's folder: test.parquet")
    outputs.add_argument("--results", type=Path, required=True,
                         help="folder: scores.json, predictions_<system>.parquet, examples.json")
    outputs.add_argument("--metrics", type=Path, required=True, help="folder of the headline <system>.json")
    outputs.add_argument("--timings", type=Path, required=True, help="JSON file: decoding seconds, device")
    outputs.add_argument("--length-plot", type=Path, required=True, help="CSV file: BLEU per docstring length")
    return parser


def read_config(params: Config) -> tuple[EvaluateConfig, DecodeConfig, str]:
    """The `evaluate` and `decode` sections, and the device to decode on."""
    return params.evaluate, params.decode, params.train.device


def evaluate_model(name: str, models: Path, test: pd.DataFrame, decode: DecodeConfig, config: EvaluateConfig,
                   device) -> tuple:
    """(predictions frame, scores, decoding seconds) of model `name` (<models>/<name>.pt) on the test split."""
    checkpoint = load_checkpoint(models / f"{name}.pt", device=device)
    model, src_vocab, tgt_vocab = checkpoint.model, checkpoint.src_vocab, checkpoint.tgt_vocab
    start = time.perf_counter()
    generations = generate(model, src_vocab, tgt_vocab, list(test["src"]), decode, device=device,
                           progress=f"decoding {name}")
    seconds = time.perf_counter() - start
    attention = [g.attention for g in generations] if name in ATTENTION_KINDS else None
    frame = predictions_frame(test, [g.tokens for g in generations], attention)
    frame["unknowns"] = [count_unknowns(g.raw_tokens, UNK) for g in generations]
    encoded = encode_rows(test, src_vocab, tgt_vocab, copy=MODELS[name].copy)
    batches = [collate(encoded[i: i + 64], len(tgt_vocab)) for i in range(0, len(encoded), 64)]
    result = score(frame, config.short_len, config.benchmark_bleu)
    result["token_accuracy"] = round(teacher_forced_accuracy(model, batches, device), 4)
    result["unk_per_output"] = round(float(frame["unknowns"].mean()), 3)
    if decode.constrained:  # what the constraint changes, on the same model and split
        free = generate(model, src_vocab, tgt_vocab, list(test["src"]), replace(decode, constrained=False),
                        device=device, progress=f"decoding {name} unconstrained")
        free_scores = score(predictions_frame(test, [g.tokens for g in free]), config.short_len)
        result["without_constraint"] = {key: free_scores[key] for key in ("bleu", "parse_rate", "exact_match")}
    return frame, result, seconds


def main(args: argparse.Namespace) -> None:
    config, decode, device = read_config(load_config())
    device = resolve_device(device)
    test = pd.read_parquet(args.split / "test.parquet")
    train = pd.read_parquet(args.split / "train.parquet")
    predictions, results = {}, {}
    timings = {"device": str(device)}
    for name in MODEL_KINDS:
        predictions[name], results[name], seconds = evaluate_model(name, args.models, test, decode, config, device)
        timings[f"{name}_decode_seconds"] = round(seconds, 2)
    retriever = TfidfRetriever().fit(list(train["src"]), list(train["tgt"]))
    predictions[BASELINE] = predictions_frame(test, retriever.retrieve(list(test["src"])))
    results[BASELINE] = score(predictions[BASELINE], config.short_len, config.benchmark_bleu)
    predictions[RERANK], results[RERANK] = rerank_scores(args.rerank / "test.parquet", test, config)
    novel = evaluation_subsets(test)["novel"]
    for system in tqdm(SYSTEMS, desc="bootstrap BLEU intervals", unit="system", disable=None):
        frame = predictions[system]
        low, high = bleu_interval(list(frame["hypothesis"]), list(frame["reference"]),
                                  n_resamples=config.bootstrap_resamples, seed=config.seed)
        results[system].update(bleu_ci_low=round(low, 2), bleu_ci_high=round(high, 2))
        results[system]["novel"] = subset_scores(predictions[system], novel, config.short_len)
    results["bootstrap"] = comparisons(predictions, np.ones(len(test), dtype=bool), config, "all rows")
    results["bootstrap_novel"] = comparisons(predictions, novel, config, "novel rows")
    results["bleu_signature"] = results["attn"]["bleu_signature"]
    results["decode"] = vars(decode)
    examples = {
        "errors": {name: error_examples(frame, config.examples_per_class) for name, frame in predictions.items()},
        "best": {name: extreme_examples(frame, 3, best=True) for name, frame in predictions.items()},
        "worst": {name: extreme_examples(frame, 3, best=False) for name, frame in predictions.items()},
        "token_errors": {name: token_error_analysis(frame, config.examples_per_class) for name, frame in predictions.items()},
    }
    write_text_atomic(args.length_plot, length_table(predictions, config.length_buckets).to_csv(index=False))
    with atomic_dir(args.results) as staging:
        for name, frame in predictions.items():
            frame.to_parquet(staging / f"predictions_{name}.parquet", index=False)
        write_json_atomic(staging / "examples.json", examples)
        write_json_atomic(staging / "scores.json", results)
    with atomic_dir(args.metrics) as staging:
        for system in SYSTEMS:
            write_json_atomic(staging / f"{system}.json", headline(results[system]))
    write_json_atomic(args.timings, timings)  # apart from the metrics, so a rerun with equal results diffs nothing
    print(results_table(results))


def rerank_scores(path: Path, test: pd.DataFrame, config: EvaluateConfig) -> tuple[pd.DataFrame, dict]:
    """(predictions frame, scores) of the rerank stage's test choices; the scores say how often each source won."""
    chosen = pd.read_parquet(path)
    if len(chosen) != len(test):
        raise DataError(f"{path} has {len(chosen)} rows for {len(test)} test rows: run `dvc repro rerank`")
    frame = predictions_frame(test, list(chosen["hypothesis"]))
    result = score(frame, config.short_len, config.benchmark_bleu)
    result["sources"] = {source: int((chosen["source"] == source).sum()) for source in SOURCES}
    return frame, result


def comparisons(predictions: dict[str, pd.DataFrame], mask: np.ndarray, config: EvaluateConfig,
                rows: str) -> dict:
    """Paired bootstrap of the BLEU difference of each pair in COMPARISONS, on the rows `mask` selects
    (`rows` names them in the progress bar, shown when stderr is a terminal)."""
    hypotheses = {name: [h for h, keep in zip(frame["hypothesis"], mask) if keep]
                  for name, frame in predictions.items()}
    references = [r for r, keep in zip(predictions[BASELINE]["reference"], mask) if keep]
    return {f"{a}_vs_{b}": paired_bootstrap(hypotheses[a], hypotheses[b], references,
                                            n_resamples=config.bootstrap_resamples, seed=config.seed)
            for a, b in tqdm(COMPARISONS, desc=f"paired bootstrap, {rows}", unit="pair", disable=None)}


def results_table(results: dict) -> str:
    rows = {system: {"BLEU": results[system]["bleu"], "BLEU novel": results[system]["novel"]["bleu"],
                     "exact": results[system]["exact_match"], "compile": results[system]["compile_rate"],
                     "tf acc": results[system].get("token_accuracy", float("nan")),
                     "unk/output": results[system].get("unk_per_output", float("nan"))}
            for system in SYSTEMS}
    return pd.DataFrame(rows).T.to_string(float_format=lambda x: f"{x:.3f}")


if __name__ == "__main__":
    run_stage(lambda: main(command_line().parse_args()))
