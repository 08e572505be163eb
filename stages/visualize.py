r"""Stage `visualize`: figures and report -> <report>/, computed attention figures -> <metrics>.

    python -m stages.visualize --split-stats data/split/stats.json --models models --train-metrics metrics/train \
        --train-timings metrics/timings --train-logs plots/train --results data/eval --length-plot plots/length.csv \
        --seeds metrics/study/seeds.json --learning-curve plots/learning_curve.csv --rerank metrics/rerank.json \
        --report plots/report --metrics metrics/attention.json
"""
import argparse
import json
from dataclasses import fields
from pathlib import Path

from lib.common.cli import run_stage, stage_parser
from lib.common.outputs import atomic_dir, write_json_atomic
from lib.common.config import Config, DecodeConfig, VisualizeConfig, as_dict, load_config
from lib.study.context import StudyFiles, StudyOutputs, build_context
from lib.study.probes import read_attention_models
from lib.study.report import write_report

SHARED_SECTIONS = ("tokenize", "split", "train", "decode")


def command_line() -> argparse.ArgumentParser:
    parser, inputs, outputs = stage_parser(__doc__)
    inputs.add_argument("--split-stats", type=Path, required=True, help="the split's stats.json")
    inputs.add_argument("--models", type=Path, required=True, help="folder of the checkpoints <model>.pt")
    inputs.add_argument("--train-metrics", type=Path, required=True, help="folder of the training <model>.json")
    inputs.add_argument("--train-timings", type=Path, required=True, help="folder of train_<model>.json")
    inputs.add_argument("--train-logs", type=Path, required=True, help="folder of the DVCLive logs <model>/")
    inputs.add_argument("--results", type=Path, required=True,
                        help="folder: scores.json, predictions_<system>.parquet, examples.json")
    inputs.add_argument("--length-plot", type=Path, required=True, help="CSV file: BLEU per docstring length")
    inputs.add_argument("--seeds", type=Path, required=True, help="the study's seeds.json")
    inputs.add_argument("--learning-curve", type=Path, required=True, help="the study's learning_curve.csv")
    inputs.add_argument("--rerank", type=Path, required=True, help="the rerank stage's metrics JSON")
    outputs.add_argument("--report", type=Path, required=True, help="folder: report.md, report.pdf, figures/")
    outputs.add_argument("--metrics", type=Path, required=True, help="JSON file: the computed attention figures")
    return parser


def study_files(args: argparse.Namespace) -> StudyFiles:
    """What the report reads, from the input options named after StudyFiles' fields."""
    return StudyFiles(**{field.name: getattr(args, field.name) for field in fields(StudyFiles)})


def read_config(config: Config) -> tuple[VisualizeConfig, DecodeConfig, dict]:
    """The `visualize` section, the decoding settings, and the sections the report prints (as plain dicts)."""
    shared = {section: as_dict(getattr(config, section)) for section in SHARED_SECTIONS}
    return config.visualize, config.decode, shared


def main(args: argparse.Namespace) -> None:
    config, decode, shared = read_config(load_config())
    outputs = StudyOutputs.load(study_files(args))
    probes, references = read_attention_models(args.models, config.probes, decode, outputs.predictions["attn"])
    with atomic_dir(args.report) as staging:
        context = build_context(outputs, probes, references, config, shared, staging / "figures")
        write_report(context, staging / "report.md", staging / "report.pdf")
    interpretation = context["interpretation"]
    figures = {"alignment": {key: value for key, value in interpretation["alignment"].items() if key != "examples"},
               "probes": interpretation["probes"], "copy_probes": interpretation["copy_probes"],
               "reading": interpretation["reading"]}
    write_json_atomic(args.metrics, figures)
    print(json.dumps(figures, indent=1, default=str))


if __name__ == "__main__":
    run_stage(lambda: main(command_line().parse_args()))
