"""Stage `visualize`: figures and report -> plots/report/, computed attention figures -> metrics/attention.json."""
import argparse
import json
from pathlib import Path

import torch

from lib.common.cli import run_stage
from lib.common.outputs import atomic_dir, write_json_atomic
from lib.common.config import Config, DecodeConfig, VisualizeConfig, as_dict, load_config
from lib.decoding.prediction import generate
from lib.models.checkpoint import load_checkpoint
from lib.models.registry import ATTENTION_KINDS
from lib.study.context import Probe, StudyOutputs, build_context
from lib.study.report import write_report
from lib.tokens.docstrings import tokenize_summary

OUTPUT = Path("plots/report")
METRICS = Path("metrics/attention.json")
SHARED_SECTIONS = ("tokenize", "split", "train", "decode")


def read_config(config: Config) -> tuple[VisualizeConfig, DecodeConfig, dict]:
    """The `visualize` section, the decoding settings, and the sections the report prints (as plain dicts)."""
    shared = {section: as_dict(getattr(config, section)) for section in SHARED_SECTIONS}
    return config.visualize, config.decode, shared


def decode_probes(summaries: list[str], decode: DecodeConfig) -> list[Probe]:
    """The probe docstrings decoded by each attention model."""
    sources = [tokenize_summary(summary) for summary in summaries]
    probes = []
    for model in ATTENTION_KINDS:
        checkpoint = load_checkpoint(Path(f"models/{model}.pt"), device=torch.device("cpu"))
        generations = generate(checkpoint.model, checkpoint.src_vocab, checkpoint.tgt_vocab, sources, decode,
                               gates=True, progress=f"probes {model}")
        probes += [Probe(model, summary, src, g.tokens, g.attention, g.copy_gate)
                   for summary, src, g in zip(summaries, sources, generations)]
    return probes


def main() -> None:
    config, decode, shared = read_config(load_config())
    outputs = StudyOutputs.load()
    probes = decode_probes(list(config.probes), decode)
    with atomic_dir(OUTPUT) as staging:
        context = build_context(outputs, probes, config, shared, staging / "figures")
        write_report(context, staging / "report.md", staging / "report.pdf")
    interpretation = context["interpretation"]
    figures = {"alignment": {key: value for key, value in interpretation["alignment"].items() if key != "examples"},
               "probes": interpretation["probes"], "copy_probes": interpretation["copy_probes"]}
    write_json_atomic(METRICS, figures)
    print(json.dumps(figures, indent=1, default=str))


if __name__ == "__main__":
    # No options: `--help` says what the stage does, without running it.
    argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter).parse_args()
    run_stage(main)
