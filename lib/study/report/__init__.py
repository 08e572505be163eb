"""The study's report, written as Markdown (renders on GitHub) and as a PDF made from that same Markdown.

Modules, one concern each:
  results      what metrics/eval.json holds: systems, subsets, bootstrap comparisons (all optional)
  numbers      how each kind of number is written
  document     the blocks a section is made of (paragraph, list, table, code, figure)
  tables       every table, built only from the rows and columns that have data
  attention    the attention section: heatmaps, alignment, the probe told once
  study        the seed and learning-curve study as findings: which orders hold in every seed, the curve
  conclusions  the abstract and the conclusions, generated from the numbers by fixed rules
  sections     the sections in reading order
  markdown     blocks -> Markdown
  pdf          Markdown -> PDF (markdown-it-py + fpdf2)

Units: BLEU is sacrebleu's corpus BLEU on a 0-100 scale; every rate is a fraction in [0, 1] in the metric
files and a percentage in the report.
"""
from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from lib.study.report.conclusions import abstract, conclusions
from lib.study.report.markdown import md_escape, to_markdown
from lib.study.report.pdf import to_pdf
from lib.study.report.sections import SECTIONS, build_sections
from lib.study.report.tables import results_table

__all__ = ["SECTIONS", "abstract", "build_sections", "conclusions", "example_records", "md_escape", "results_table",
           "write_report"]
DEFAULT_TITLE = "docstring → Python: sequence-to-sequence models against retrieval"


def example_records(predictions, columns=("summary", "reference_code", "generated_code", "bleu",
                                          "error_class")) -> list[dict]:
    """Rows of a predictions DataFrame as the example dicts the context expects."""
    present = [c for c in columns if c in predictions.columns]
    return [{c: (float(v) if c == "bleu" else str(v)) for c, v in zip(present, row)}
            for row in predictions[present].itertuples(index=False)]


def write_report(context: Mapping, markdown_path, pdf_path) -> tuple[Path, Path]:
    """Write the report as Markdown and as a PDF of that Markdown; returns both paths.

    `context` (every key optional; a missing part is said to be missing, a missing metric leaves out its
    column or sentence):
      title           str, the report's title
      data            dict, metrics/data.json (tokenize, rows, pool, removed, length, vocab, oov; sources and
                      near_duplicates when recorded)
      config          dict, the shared configuration (params.yaml sections)
      train           {model: dict}, metrics/train_<model>.json
      eval            dict, metrics/eval.json: {system: {bleu (0-100), rates in [0, 1], errors: {class:
                      {count, rate}}, without_constraint, novel (optional subset), any further metric},
                      bootstrap: {"a_vs_b": {bleu_a, bleu_b, diff or delta, ci_low, ci_high, p_value}},
                      bleu_signature, novel: {system: {...}} (optional, the subset stored top-level)}
      figures         {"loss", "length", "errors", "alignment", "learning_curve": path, "attention": [{"path",
                      "caption"}]}; linked relative to the Markdown file's folder
      study           {"seeds": metrics/study/seeds.json, "curve": plots/learning_curve.csv as a DataFrame}
                      (lib.study.experiments.read_study); used where it describes these results, see study
      examples        {"errors": {system: {class: [example]}}, "best" / "worst": {system: [example]}},
                      example = {summary, reference_code, generated_code, bleu, error_class}; see example_records
      interpretation  {"alignment": dict, "probes": [dict], "strongest": [{"caption", "pairs"}], "rule": str,
                       "model": str (optional, default attn)}; see lib/study/context.py
    """
    markdown_path, pdf_path = Path(markdown_path), Path(pdf_path)
    title = context.get("title", DEFAULT_TITLE)
    markdown_path.parent.mkdir(parents=True, exist_ok=True)
    pdf_path.parent.mkdir(parents=True, exist_ok=True)
    text = to_markdown(title, build_sections(context), markdown_path)
    markdown_path.write_text(text, encoding="utf-8")
    to_pdf(text, markdown_path.parent, pdf_path, title)
    return markdown_path, pdf_path
