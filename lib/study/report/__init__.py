"""The study's report, written as Markdown (renders on GitHub) and as a PDF made from that same Markdown.

The findings (findings.py: each claim as a record with whether its rule passed) and the tables (tables.py) are
computed from the context as data; one Jinja2 template, report.md.j2, words them, with the number formatters of
numbers.py as filters; pdf.py lays the Markdown out as a PDF.

Modules, one concern each:
  scores     what data/eval/scores.json holds, read as stages/evaluate.py writes it
  numbers    how each kind of number is written
  findings   every claim and measured summary, as records
  tables     every table, as data
  attention  the attention section's heatmaps and probe, as data
  pdf        Markdown -> PDF (markdown-it-py + fpdf2)

Units: BLEU is sacrebleu's corpus BLEU on a 0-100 scale; every rate is a fraction in [0, 1] in the metric
files and a percentage in the report.
"""
from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import jinja2

from lib.evaluation.scoring import BASELINE, RERANK, SYSTEMS
from lib.models.registry import MODELS
from lib.study.interpretation import EOS
from lib.study.report import numbers, scores, tables
from lib.study.report.attention import MAX_PROBE_LINES, attention_view, docstring
from lib.study.report.findings import TOTAL_CLASS, find
from lib.study.report.pdf import to_pdf

TITLE = "docstring → Python: sequence-to-sequence models against retrieval"
SECTIONS = ("Abstract", "Data", "Models and training", "Results", "Error analysis", "Attention", "Examples",
            "Conclusions")
MAX_CODE_LINES = 12  # longer example listings are cut
_MD_SPECIAL = "\\`*_<>|[]#$"  # $ too: GitHub renders $...$ as math


def md_escape(text) -> str:
    """Plain text safe in Markdown: special characters backslash-escaped, newlines as spaces."""
    return "".join("\\" + c if c in _MD_SPECIAL else c for c in str(text).replace("\n", " "))


def paragraph(text: str) -> str:
    """A paragraph's line: the template's text with its whitespace collapsed, escaped, ending in a newline."""
    return md_escape(" ".join(text.split())) + "\n"


def join_and(items, last: str = "and") -> str:
    """'a', 'a and b', 'a, b and c'."""
    items = [str(i) for i in items]
    return ", ".join(items[:-1]) + f" {last} " + items[-1] if len(items) > 1 else "".join(items)


def quote(token: str) -> str:
    """A docstring token in quotes; the source EOS column is the end-of-docstring marker."""
    return "the end-of-docstring marker" if token == EOS else f"“{token}”"


def excerpt(code, max_lines: int = MAX_CODE_LINES) -> str:
    """At most max_lines lines of code, with a note of what was cut."""
    lines = str(code).splitlines() or [""]
    cut = len(lines) - max_lines
    return "\n".join(lines[:max_lines] + ([f"# ... {cut} more lines"] if cut > 0 else []))


def examples_view(context: Mapping, classes) -> dict:
    """errors: one example per error class (from the strongest system that has one), extremes: each system's best
    and worst output (with its sentence bleu); each an example of examples.json with its label and system, and an
    output shown once."""
    examples, seen = context["examples"], set()
    bleu = scores.scored(context["eval"], "bleu")

    def unseen(found, system, label) -> dict | None:
        for example in found:
            key = (system, example["summary"], example["generated_code"])
            if key not in seen:
                seen.add(key)
                return example | {"system": system, "label": label}
        return None

    errors = []
    for cls in classes:
        for system in sorted(examples["errors"], key=lambda s: -bleu[s]):
            example = unseen(examples["errors"][system][cls], system, numbers.humanize(cls).capitalize())
            if example:
                errors.append(example)
                break
    extremes = [unseen(examples[kind][system], system, f"{kind.capitalize()} output")
                for kind in ("best", "worst") for system in SYSTEMS if system in examples[kind]]
    return {"errors": errors, "extremes": [example for example in extremes if example]}


class Numbering:
    """Tables and figures numbered in the order the template shows them."""

    def __init__(self):
        self.counts = {"table": 0, "figure": 0}

    def __call__(self, kind: str) -> int:
        self.counts[kind] += 1
        return self.counts[kind]


def environment() -> jinja2.Environment:
    """The template's environment: strict (a missing key fails), the formatters of numbers.py as filters."""
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(Path(__file__).parent), undefined=jinja2.StrictUndefined,
                             keep_trailing_newline=True, trim_blocks=True, lstrip_blocks=True,
                             extensions=["jinja2.ext.do"])
    env.filters |= {name: getattr(numbers, name)
                    for name in ("bleu", "rate", "ratio", "signed", "interval", "count", "p_clause", "humanize",
                                 "duration")}
    env.filters |= {"md": md_escape, "para": paragraph, "join_and": join_and, "quote": quote, "excerpt": excerpt,
                    "capitalize_first": lambda text: text[:1].upper() + text[1:], "docstring": docstring}
    env.globals["MAX_PROBE_LINES"] = MAX_PROBE_LINES
    return env


def render(context: Mapping, markdown_path: Path) -> str:
    """The report's Markdown; figure links relative to the Markdown file's folder."""
    evaluation = context["eval"]
    findings = find(context)
    classes = tables.error_classes(evaluation)

    def link(path) -> str:
        return Path(os.path.relpath(Path(path).resolve(), markdown_path.parent.resolve())).as_posix()

    return environment().get_template("report.md.j2").render(
        title=TITLE, c=context, data=context["data"], eval=evaluation, f=findings, m=findings.measures,
        baseline=BASELINE, rerank=RERANK, parse=list(scores.scored(evaluation, "parse_rate").values()),
        models=scores.models(evaluation), subset=scores.SUBSET, classes=classes,
        tables=tables.data_tables(context["data"]) | tables.training_tables(context["config"], context["train"])
        | tables.results_tables(evaluation, findings)
        | tables.attention_tables(context["interpretation"]) | tables.rerank_tables(context["rerank"]),
        attention=attention_view(context), examples=examples_view(context, [c for c in classes if c != TOTAL_CLASS]),
        model_descriptions={name: spec.description for name, spec in MODELS.items()}, number=Numbering(), link=link)


def write_report(context: Mapping, markdown_path, pdf_path) -> tuple[Path, Path]:
    """Write the report as Markdown and as a PDF of that Markdown; returns both paths.

    `context` (lib.study.context.build_context):
      data            data/split/stats.json
      config          the shared configuration (params.yaml sections)
      train           {model: metrics/train/<model>.json | metrics/timings/train_<model>.json}
      eval            data/eval/scores.json (see scores)
      figures         {"loss", "length", "errors", "alignment", "learning_curve" (with a curve of two sizes or
                      more): path, "attention": [{"path", "caption"}], "reading": [{"path", "caption", "model"}]}
      study           {"seeds": metrics/study/seeds.json, "curve": plots/learning_curve.csv as a DataFrame}
                      (lib.study.experiments.read_study); used where it describes these results (findings)
      examples        data/eval/examples.json: {"errors": {system: {class: [example]}}, "best" / "worst":
                      {system: [example]}}, example = {summary, reference_code, generated_code}, with its sentence
                      bleu for the best and worst outputs
      rerank          metrics/rerank.json (stages/rerank.py) and, as "reverse", the reverse model's training summary
      interpretation  {"alignment": dict, "probes": [dict], "strongest": [{"caption", "pairs"}], "rule": str,
                      "reading": lib.study.context.reference_reading's result}
    """
    markdown_path, pdf_path = Path(markdown_path), Path(pdf_path)
    markdown_path.parent.mkdir(parents=True, exist_ok=True)
    pdf_path.parent.mkdir(parents=True, exist_ok=True)
    text = render(context, markdown_path)
    markdown_path.write_text(text, encoding="utf-8")
    to_pdf(text, markdown_path.parent, pdf_path, TITLE)
    return markdown_path, pdf_path
