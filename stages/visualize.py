"""Stage `visualize`: figures and report -> plots/report/, computed attention figures -> metrics/attention.json."""
import argparse
import json
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

import torch

from lib.common.cli import run_stage
from lib.common.outputs import atomic_dir, write_json_atomic
from lib.common.config import Config, DecodeConfig, ProbeConfig, VisualizeConfig, as_dict, load_config
from lib.models.checkpoint import load_checkpoint
from lib.models.seq2seq import ATTENTION_KINDS
from lib.study.context import StudyOutputs, build_context
from lib.study.probes import read_references, run_probes
from lib.study.report import write_report

OUTPUT = Path("plots/report")
METRICS = Path("metrics/attention.json")
SHARED_SECTIONS = ("tokenize", "split", "train", "decode")


def read_config(config: Config) -> tuple[VisualizeConfig, DecodeConfig, dict]:
    """The `visualize` section, the decoding settings, and the sections the report prints (as plain dicts)."""
    shared = {section: as_dict(getattr(config, section)) for section in SHARED_SECTIONS}
    return config.visualize, config.decode, shared


def read_models(probes: Sequence[ProbeConfig], decode: DecodeConfig, test: pd.DataFrame) -> tuple[list, dict]:
    """Each attention model on the probes (decoded, and read on their reference code) and read on the test split's
    references: ([Probe], {model: [(weights, src, reference)]})."""
    decoded, references = [], {}
    for model in ATTENTION_KINDS:
        checkpoint = load_checkpoint(Path(f"models/{model}.pt"), device=torch.device("cpu"))
        decoded += run_probes(model, checkpoint, probes, decode)
        references[model] = read_references(checkpoint, test)
    return decoded, references


def main() -> None:
    config, decode, shared = read_config(load_config())
    outputs = StudyOutputs.load()
    probes, references = read_models(config.probes, decode, outputs.predictions["attn"])
    with atomic_dir(OUTPUT) as staging:
        context = build_context(outputs, probes, references, config, shared, staging / "figures")
        write_report(context, staging / "report.md", staging / "report.pdf")
    interpretation = context["interpretation"]
    figures = {"alignment": {key: value for key, value in interpretation["alignment"].items() if key != "examples"},
               "probes": interpretation["probes"], "copy_probes": interpretation["copy_probes"],
               "reading": interpretation["reading"]}
    write_json_atomic(METRICS, figures)
    print(json.dumps(figures, indent=1, default=str))


if __name__ == "__main__":
    # No options: `--help` says what the stage does, without running it.
    argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter).parse_args()
    run_stage(main)
