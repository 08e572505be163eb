"""The report: every section, relative figure links, a real PDF, and conclusions that follow the numbers."""
import re

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from lib.study.report import SECTIONS, compare, conclusions, example_records, md_escape, results_table, write_report


def system(bleu, parse, token_accuracy=0.5):
    section = {"bleu": bleu, "exact_match": 0.05, "exact_match_short": 0.1, "parse_rate": parse,
               "positional_accuracy": 0.3,
               "errors": {"correct": {"count": 5, "rate": 0.05}, "syntax_error": {"count": 95, "rate": 0.95}}}
    if token_accuracy is not None:
        section["token_accuracy"] = token_accuracy
    return section


def pair(a, b, low, high, p):
    return {"bleu_a": a, "bleu_b": b, "diff": a - b, "ci_low": low, "ci_high": high, "p_value": p}


def evaluation():
    return {
        "rnn": system(10.0, 0.6), "lstm": system(12.0, 0.7), "attn": system(20.0, 0.8),
        "retrieval": system(15.0, 0.99, token_accuracy=None),
        "bootstrap": {"attn_vs_lstm": pair(20.0, 12.0, 5.0, 11.0, 0.01),
                      "lstm_vs_rnn": pair(12.0, 10.0, -0.5, 4.5, 0.2),
                      "attn_vs_retrieval": pair(20.0, 15.0, 1.0, 9.0, 0.02),
                      "lstm_vs_retrieval": pair(12.0, 15.0, -6.0, -0.5, 0.03)},
        "bleu_signature": "nrefs:1|case:mixed|eff:no|tok:none|smooth:exp|version:2.6.0",
    }


def example(cls="syntax_error"):
    return {"summary": "return the <maximum> of a | b, costs $x^2 \\frac$",
            "reference_code": "def f(a, b):\n    return max(a, b)",
            "generated_code": "def f(a, b):\n    return a", "bleu": 42.0, "error_class": cls}


@pytest.fixture
def context(tmp_path):
    figures = tmp_path / "figures"
    figures.mkdir()
    paths = {}
    for name in ("loss", "length", "errors", "alignment", "attn_0"):
        paths[name] = figures / f"{name}.png"
        plt.imsave(paths[name], np.random.default_rng(0).random((20, 30)))
    return {
        "title": "test report",
        "data": {"rows": {"train": 80, "valid": 10, "test": 10}, "vocab": {"src": 100, "tgt": 200},
                 "oov_rate": {"test": 0.031}},
        "config": {"model": {"emb_dim": 32, "hidden": 64}, "train": {"epochs": 3, "lr": 0.001}},
        "train": {m: {"best_valid_loss": loss, "epochs": 3, "seconds_per_epoch": 2.0}
                  for m, loss in (("rnn", 4.0), ("lstm", 3.5), ("attn", 3.0))},
        "eval": evaluation(),
        "figures": {"loss": paths["loss"], "length": paths["length"], "errors": paths["errors"],
                    "alignment": paths["alignment"],
                    "attention": [{"path": paths["attn_0"], "caption": "short docstring"}]},
        "examples": {"errors": {"attn": {"syntax_error": [example()], "correct": []}},
                     "best": {"attn": [example("correct")]}, "worst": {"rnn": [example()]}},
        "interpretation": {
            "alignment": {"identifiers": 200, "aligned": 90, "rate": 0.45, "chance_rate": 0.1, "random_rate": 0.11,
                          "oracle_rate": 0.7, "rate_when_matchable": 0.64, "z": 16.5, "p_value": 1e-10},
            "probes": [{"word": "maximum", "targets": ["max", ">"], "target_rows": 4, "other_rows": 40,
                        "target_mean": 0.4, "other_mean": 0.05, "ratio": 8.0, "reason": None}],
            "rule": "length_terciles",
            "strongest": [{"caption": "short docstring", "pairs": [("max", "maximum", 0.8), ("<NEWLINE>", ".", 0.3)]}],
        },
    }


def test_report_has_every_section_and_relative_figure_links(tmp_path, context):
    markdown, pdf = write_report(context, tmp_path / "report" / "report.md", tmp_path / "report" / "report.pdf")
    text = markdown.read_text(encoding="utf-8")
    for heading in SECTIONS:
        assert f"\n## {heading}\n" in text
    # headings in the required order
    assert [text.index(f"## {h}") for h in SECTIONS] == sorted(text.index(f"## {h}") for h in SECTIONS)
    for name in ("loss", "length", "errors", "alignment", "attn_0"):
        assert f"](../figures/{name}.png)" in text
    assert "nrefs:1" in text and "def f(a, b):" in text
    assert "chosen by rule, not by hand: in each third of the test set by docstring length" in text


def test_pdf_is_written_with_text_and_figure_pages(tmp_path, context):
    _, pdf = write_report(context, tmp_path / "r.md", tmp_path / "r.pdf")
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF") and len(data) > 10_000
    pages = len(re.findall(rb"/Type\s*/Page\b(?!s)", data))
    assert pages >= 3  # text and five figures do not fit on fewer pages
    assert data.count(b"/Subtype /Image") >= 5  # every figure is embedded


def test_report_works_with_missing_parts(tmp_path):
    markdown, pdf = write_report({}, tmp_path / "r.md", tmp_path / "r.pdf")
    text = markdown.read_text(encoding="utf-8")
    assert all(f"## {h}" in text for h in SECTIONS)
    assert pdf.read_bytes().startswith(b"%PDF")


def test_results_table_formats_bleu_and_rates():
    table = results_table(evaluation())
    rows = {row[0]: row for row in table.items}
    assert list(rows) == ["rnn", "lstm", "attn", "retrieval"]
    assert rows["attn"][1:5] == ["20.00", "5.0%", "10.0%", "80.0%"]
    assert rows["retrieval"][5] == "—"  # no teacher-forced accuracy for retrieval


def test_significance_follows_the_confidence_interval():
    assert compare("attn_vs_lstm", pair(20, 12, 5, 11, 0.01)) == (
        1, "attn beats lstm in BLEU (20.00 vs 12.00; attn − lstm = +8.00, one-sided p = 0.010, "
           "95% CI [+5.00, +11.00]).")
    sign, sentence = compare("lstm_vs_rnn", pair(12, 10, -0.5, 4.5, 0.2))
    assert sign == 0 and sentence.startswith("No significant BLEU difference between lstm and rnn")
    # the stored p-value tests "rnn better": it must not be quoted as evidence for attn
    sign, sentence = compare("rnn_vs_attn", pair(10, 20, -12, -3, 0.999))
    assert sign == -1 and sentence.startswith("attn beats rnn") and "0.999" not in sentence


def test_compare_reads_lib_metrics_delta_key():
    stored = {"bleu_a": 20.0, "bleu_b": 18.5, "delta": 1.5, "ci_low": 0.2, "ci_high": 2.9, "p_value": 0.01}
    assert "attn − lstm = +1.50" in compare("attn_vs_lstm", stored)[1]


def test_nan_metrics_show_as_dash_and_are_not_ranked():
    evaluation_ = {"rnn": system(float("nan"), 0.5), "attn": system(20.0, 0.7), "retrieval": system(15.0, 0.9)}
    assert results_table(evaluation_).items[0][1] == "—"
    text = "\n".join(conclusions({"eval": evaluation_}))
    assert "nan" not in text and "rnn cannot be compared with the retrieval baseline" in text


def test_conclusions_state_only_what_the_numbers_support(context):
    lines = conclusions(context)
    text = "\n".join(lines)
    assert lines[0] == "BLEU from highest to lowest: attn 20.00, retrieval 15.00, lstm 12.00, rnn 10.00."
    assert "attn beats lstm in BLEU" in text
    assert "No significant BLEU difference between lstm and rnn" in text
    assert "lstm beats rnn" not in text
    assert "attn beats the retrieval baseline" in text
    assert "lstm does not beat the retrieval baseline, which is significantly better" in text
    # no bootstrap pair rnn/retrieval: numbers only, no significance claimed
    assert "rnn scores below the retrieval baseline in BLEU (10.00 vs 15.00; no bootstrap test" in text
    assert "Parse rate from highest to lowest (descriptive, not tested): retrieval 99.0%, attn 80.0%" in text
    assert "above chance: 45.0% of 200 generated identifiers vs 10.0%" in text
    assert "'maximum' receives 8.0x more attention" in text
    assert "Lowest best validation loss: attn (3.000" in text


def test_alignment_not_significant_is_not_called_above_chance(context):
    context["interpretation"]["alignment"].update(rate=0.12, p_value=0.3)
    text = "\n".join(conclusions(context))
    assert "not distinguishable from chance" in text and "above chance" not in text


def test_markdown_escapes_tokens_and_pipes(tmp_path, context):
    markdown, _ = write_report(context, tmp_path / "r.md", tmp_path / "r.pdf")
    text = markdown.read_text(encoding="utf-8")
    assert r"\<maximum\> of a \| b, costs \$x^2 \\frac\$" in text and r"\<NEWLINE\>" in text
    assert md_escape("a_b") == r"a\_b"


def test_example_records_from_predictions():
    table = pd.DataFrame({"summary": ["s"], "reference_code": ["a"], "generated_code": ["b"],
                          "bleu": [np.float32(3.5)], "error_class": ["correct"], "src": [["s"]]})
    assert example_records(table) == [{"summary": "s", "reference_code": "a", "generated_code": "b",
                                       "bleu": 3.5, "error_class": "correct"}]
