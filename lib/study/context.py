"""The visualize stage's work: every figure, the computed attention interpretation and the report's context."""
from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from lib.common.config import VisualizeConfig
from lib.evaluation.scoring import SYSTEMS
from lib.models.registry import MODEL_KINDS
from lib.study import interpretation, plotting
from lib.study.experiments import read_study
from lib.study.probes import Probe
from lib.tokens.code_tokens import detokenize


@dataclass(frozen=True)
class StudyFiles:
    """Where the earlier stages wrote what the report reads (the visualize stage's command line names them)."""

    split_stats: Path  # data/split/stats.json (metrics/data.json holds its headline numbers)
    train_metrics: Path  # metrics/train/: <model>.json
    train_timings: Path  # metrics/timings/: train_<model>.json
    train_logs: Path  # plots/train/: the DVCLive log <model>/
    results: Path  # data/eval/: scores.json, predictions_<system>.parquet, examples.json
    length_plot: Path  # plots/length.csv
    seeds: Path  # metrics/study/seeds.json, written by lib.study.experiments
    learning_curve: Path  # plots/learning_curve.csv, written by lib.study.experiments
    rerank: Path  # metrics/rerank.json: the rerank stage's weights, validation BLEU and sources


@dataclass
class StudyOutputs:
    """What the earlier stages wrote, loaded."""

    data: dict  # split stats.json (metrics/data.json holds its headline numbers)
    train: dict[str, dict]  # training metrics and timings per model
    curves: dict[str, pd.DataFrame]  # epoch, train_loss, valid_loss of each model's DVCLive log
    evaluation: dict  # scores.json (metrics/eval/<system>.json hold its headline numbers)
    length: pd.DataFrame  # BLEU per docstring length
    predictions: dict[str, pd.DataFrame]  # per system
    examples: dict  # examples.json
    study: dict  # seeds.json and learning_curve.csv (lib.study.experiments.read_study)
    rerank: dict  # metrics/rerank.json, and the reverse model's training as "reverse"

    @classmethod
    def load(cls, files: StudyFiles) -> StudyOutputs:
        read = lambda path: json.loads(path.read_text())  # noqa: E731
        return cls(
            data=read(files.split_stats),
            # the report's training table shows the time too (a rerun of visualize costs seconds)
            train={m: read(files.train_metrics / f"{m}.json") | read(files.train_timings / f"train_{m}.json")
                   for m in MODEL_KINDS},
            curves={m: read_loss_curve(files.train_logs / m) for m in MODEL_KINDS},
            evaluation=read(files.results / "scores.json"),
            length=pd.read_csv(files.length_plot),
            predictions={s: pd.read_parquet(files.results / f"predictions_{s}.parquet") for s in SYSTEMS},
            examples=read(files.results / "examples.json"),
            study=read_study(files.seeds, files.learning_curve),
            rerank=read(files.rerank) | {"reverse": read(files.train_metrics / "reverse.json")
                                         | read(files.train_timings / "train_reverse.json")},
        )


def read_loss_curve(log: Path) -> pd.DataFrame:
    """epoch, train_loss, valid_loss of a training run's DVCLive log (one TSV per loss, DVCLive's step is the
    epoch)."""
    losses = [pd.read_csv(log / "plots" / "metrics" / f"{name}.tsv", sep="\t") for name in ("train_loss", "valid_loss")]
    return losses[0].merge(losses[1], on="step").rename(columns={"step": "epoch"})


def probe_scope(probe: Probe) -> str:
    """The caption / scope of a probe: `probe: <summary>` for attn (the model the interpretation studies),
    `copy probe: <summary>` for the copy model (its heatmap also shows the copy gate)."""
    return f"{'copy ' if probe.model == 'copy' else ''}probe: {probe.summary}"


def slug(text: str, limit: int = 40) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")[:limit] or "example"


def attention_figures(predictions: pd.DataFrame, probes: Sequence[Probe], rule: str, folder: Path) -> tuple:
    """Heatmaps of the chosen test examples and of the probes; ([figure], [strongest-source listing])."""
    chosen = interpretation.choose_examples(predictions, rule=rule)
    items = [(f"test, {row.choice} docstring: {row.summary}", row.attention, list(row.src), list(row.hypothesis),
               None) for row in chosen.itertuples()]
    items += [(f"{probe_scope(probe)}", probe.attention, probe.src, probe.tokens, probe.copy_gate)
              for probe in probes]
    figures, strongest = [], []
    for index, (caption, weights, src, tokens, gate) in enumerate(items):
        path = plotting.attention_heatmap(weights, src, tokens, folder / f"attention_{index}_{slug(caption)}.png",
                                          title=caption, copy_gate=gate)
        figures.append({"path": str(path), "caption": caption})
        strongest.append({"caption": caption, "pairs": interpretation.strongest_source(weights, src, tokens)})
    return figures, strongest


def study_figures(study: Mapping, folder: Path) -> dict:
    """{"learning_curve": path} when the study's curve has two training-set sizes or more (one is no curve)."""
    if len(study["curve"]) < 2:
        return {}
    return {"learning_curve": str(plotting.plot_learning_curve(study["curve"], folder / "learning_curve.png"))}


def reading_figures(probes: Sequence[Probe], word: str, folder: Path) -> list[dict]:
    """Heatmaps of each model reading the reference code of the probes whose docstring holds `word`."""
    figures = []
    for index, probe in enumerate(p for p in probes if word.lower() in (t.lower() for t in p.src)):
        caption = f"{probe.model} reading the reference of: {probe.summary}"
        path = plotting.attention_heatmap(probe.forced, probe.src, probe.reference,
                                          folder / f"reading_{index}_{probe.model}_{slug(probe.summary)}.png",
                                          title=caption, rows="reference code tokens")
        figures.append({"path": str(path), "caption": caption, "model": probe.model})
    return figures


def reference_reading(probes: Sequence[Probe], references: Mapping[str, Sequence[tuple]], config: VisualizeConfig
                      ) -> dict:
    """What each attention model attends to while it reads given code (forced decoding): {model: {alignment: the
    sub-word alignment of the test references' identifiers, corpus: the probe over the test references, single:
    [the probe on each probe's reference code]}}, each probe with `code`: what was read, in one line;
    `references`: {model: [(weights, src, reference)]} of the test split (lib.study.probes.read_references)."""
    word, targets = config.probe_word, config.probe_targets
    return {model: {
        "alignment": interpretation.subword_alignment_rate(examples, seed=config.seed),
        "corpus": interpretation.probe_corpus(examples, word, targets) | {"code": "the test references"},
        "single": [interpretation.probe_attention(p.forced, p.src, p.reference, word, targets)
                   | {"scope": p.summary, "code": " ".join(detokenize(list(p.reference)).split())}
                   for p in probes if p.model == model],
    } for model, examples in references.items()}


def build_context(outputs: StudyOutputs, probes: Sequence[Probe], references: Mapping[str, Sequence[tuple]],
                  config: VisualizeConfig, shared: Mapping, figure_folder: Path) -> dict:
    """Draw every figure into `figure_folder` and return the context of lib.study.report.write_report;
    `references`: each attention model's reading of the test references (see reference_reading); `shared`: the
    params sections the report prints."""
    attn = outputs.predictions["attn"]
    examples = interpretation.attention_examples(attn)
    alignment = interpretation.subword_alignment_rate(examples, seed=config.seed)
    probe_word, targets = config.probe_word, config.probe_targets
    probe_results = [interpretation.probe_corpus(examples, probe_word, targets) | {"scope": "test split"}]
    single = {model: [interpretation.probe_attention(p.attention, p.src, p.tokens, probe_word, targets)
                      | {"scope": probe_scope(p)} for p in probes if p.model == model] for model in ("attn", "copy")}
    probe_results += single["attn"]
    attention, strongest = attention_figures(attn, probes, config.heatmap_rule, figure_folder)
    figures = {
        "loss": str(plotting.plot_loss_curves(outputs.curves, figure_folder / "loss.png")),
        "length": str(plotting.plot_length_buckets(outputs.length, figure_folder / "length.png")),
        "errors": str(plotting.plot_error_taxonomy(outputs.evaluation, figure_folder / "errors.png")),
        "alignment": str(plotting.plot_alignment_rates(alignment, figure_folder / "alignment.png")),
        "attention": attention,
        "reading": reading_figures(probes, probe_word, figure_folder),
    } | study_figures(outputs.study, figure_folder)
    return {
        "data": outputs.data,
        "config": shared,
        "train": outputs.train,
        "eval": outputs.evaluation,
        "figures": figures,
        "examples": outputs.examples,
        "study": outputs.study,
        "rerank": outputs.rerank,
        "interpretation": {"alignment": alignment, "probes": probe_results, "copy_probes": single["copy"],
                           "strongest": strongest, "rule": config.heatmap_rule,
                           "reading": reference_reading(probes, references, config)},
    }
