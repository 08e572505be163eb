"""The study's report, as Markdown (renders on GitHub) and as a PDF (matplotlib only, no LaTeX).

The report is first built as a list of sections of plain blocks (paragraph, bullet list, table, code,
figure); two small renderers turn the same blocks into Markdown and into PDF pages, so both always say
the same thing. The conclusions are generated from the numbers by the explicit rules of `conclusions`.

Units: BLEU is sacrebleu's corpus BLEU on a 0-100 scale; every rate (exact match, parse rate,
accuracies, error-class rates, alignment rates) is a fraction in [0, 1], shown as a percentage.
"""
from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from lib.study.report.conclusions import compare, conclusions
from lib.study.report.markdown import md_escape, to_markdown
from lib.study.report.pdf import to_pdf
from lib.study.report.sections import SECTIONS, build_sections, results_table

__all__ = ["SECTIONS", "compare", "conclusions", "example_records", "md_escape", "results_table", "write_report"]


def example_records(predictions, columns=("summary", "reference_code", "generated_code", "bleu",
                                          "error_class")) -> list[dict]:
    """Rows of a predictions DataFrame as the example dicts the context expects."""
    present = [c for c in columns if c in predictions.columns]
    return [{c: (float(v) if c == "bleu" else str(v)) for c, v in zip(present, row)}
            for row in predictions[present].itertuples(index=False)]


def write_report(context: Mapping, markdown_path, pdf_path) -> tuple[Path, Path]:
    """Write the report as Markdown and PDF; returns both paths.

    `context` (every key optional; a missing part is said to be missing in the report):
      title           str, the report's title
      data            dict, metrics/data.json
      config          dict, the shared configuration (e.g. params.yaml's model/train sections)
      train           {model: dict}, metrics/train_<model>.json (best_valid_loss, epochs, params,
                      seconds_per_epoch, tokens_per_second, ...)
      eval            dict, metrics/eval.json: {system: {bleu (0-100), exact_match, exact_match_short,
                      parse_rate, token_accuracy, positional_accuracy (fractions), errors: {class:
                      {count, rate}}}, bootstrap: {"a_vs_b": {bleu_a, bleu_b, diff (or delta), ci_low,
                      ci_high, p_value (one-sided, a better)}}, bleu_signature: str (or per system)};
                      None / NaN metrics show as "—"
      figures         {"loss": path, "length": path, "errors": path, "alignment": path (optional),
                       "attention": [{"path": path, "caption": str}, ...]}; paths absolute or relative
                      to the working directory, linked relative to the Markdown file's folder
      examples        {"errors": {model: {class: [example, ...]}},
                       "best": {model: [example, ...]}, "worst": {model: [example, ...]}}
                      where example = {summary, reference_code, generated_code, bleu (sentence BLEU,
                      optional), error_class (optional)}; see example_records
      interpretation  {"alignment": dict of interpretation.subword_alignment_rate,
                       "probes": [dict of interpretation.probe_attention / probe_corpus, ...],
                       "strongest": [{"caption": str, "pairs": [(tgt, src, weight), ...]}, ...],
                       "rule": str, the choose_examples rule that picked the heatmap examples (optional)}
    """
    markdown_path, pdf_path = Path(markdown_path), Path(pdf_path)
    title = context.get("title", "docstring → Python: RNN, LSTM and attention")
    sections = build_sections(context)
    markdown_path.parent.mkdir(parents=True, exist_ok=True)
    pdf_path.parent.mkdir(parents=True, exist_ok=True)
    markdown_path.write_text(to_markdown(title, sections, markdown_path), encoding="utf-8")
    to_pdf(title, sections, pdf_path)
    return markdown_path, pdf_path
