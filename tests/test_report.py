"""The report: sections in order, readable tables, one sentence per finding, conclusions that follow the numbers,
robustness to missing and new metrics, and a real PDF made from the same Markdown."""
import re

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from lib.study.report import (
    SECTIONS,
    abstract,
    conclusions,
    example_records,
    md_escape,
    results,
    results_table,
    tables,
    write_report,
)
from lib.study.experiments import study_from_rows
from lib.study.plotting import plot_learning_curve
from lib.study.report.numbers import fmt_number, p_clause
from lib.study.report.pdf import markdown_to_html, new_pdf, to_pdf
from lib.study.report.study import curve_in_use, holds_in_every_seed, seeds_in_use, study_findings


def system(bleu, parse, token_accuracy=0.5):
    section = {"bleu": bleu, "exact_match": 0.05, "exact_match_short": 0.1, "parse_rate": parse,
               "positional_accuracy": 0.3, "mean_length": 21.06, "unk_per_output": 2.993,
               "errors": {"correct": {"count": 5, "rate": 0.05}, "syntax_error": {"count": 35, "rate": 0.35},
                          "wrong_operator": {"count": 60, "rate": 0.6}}}
    if token_accuracy is not None:
        section["token_accuracy"] = token_accuracy
    return section


def pair(a, b, low, high, p):
    return {"bleu_a": a, "bleu_b": b, "delta": a - b, "ci_low": low, "ci_high": high, "p_value": p}


def evaluation():
    return {
        "rnn": system(10.0, 0.6), "lstm": system(12.0, 0.7), "attn": system(20.0, 0.8),
        "retrieval": system(15.0, 0.99, token_accuracy=None),
        "bootstrap": {"attn_vs_lstm": pair(20.0, 12.0, 5.0, 11.0, 0.0004),
                      "lstm_vs_rnn": pair(12.0, 10.0, -0.5, 4.5, 0.2),
                      "attn_vs_retrieval": pair(20.0, 15.0, 1.0, 9.0, 0.02),
                      "lstm_vs_retrieval": pair(12.0, 15.0, -6.0, -0.5, 0.97)},
        "bleu_signature": "nrefs:1|case:mixed|eff:no|tok:none|smooth:exp|version:2.6.0",
        "decode": {"beam_size": 1, "constrained": True},
    }


def example(summary="return the <maximum> of a | b, costs $x^2 \\frac$", cls="syntax_error", bleu=42.0):
    return {"summary": summary, "reference_code": "def f(a, b):\n    return max(a, b)",
            "generated_code": "def f(a, b):\n    return a", "bleu": bleu, "error_class": cls}


def probe(scope, reason=None, ratio=None, target_rows=0, other_rows=26, other_mean=0.18):
    found = {"word": "maximum", "targets": ["max", ">", ">="], "target_rows": target_rows, "other_rows": other_rows,
             "target_mean": 0.4 if ratio else None, "other_mean": other_mean, "ratio": ratio,
             "reason": reason, "scope": scope}
    return found | ({"examples": 3} if scope == "test split" else {})


NEVER = "no generated token in ['max', '>', '>=']"
PROBE = "probe: returns the maximum value in a list"
OTHER_PROBE = "probe: open a file and return its lines"


@pytest.fixture
def context(tmp_path):
    figures = tmp_path / "figures"
    figures.mkdir()
    paths = {}
    for name in ("loss", "length", "errors", "alignment", "attn_0", "probe_0", "probe_1"):
        paths[name] = figures / f"{name}.png"
        plt.imsave(paths[name], np.random.default_rng(0).random((20, 30)))
    return {
        "title": "test report",
        "data": {"tokenize": {"rows_read": 35145, "pairs_kept": 18817, "round_trip_rate": 1.0,
                              "dropped": {"body is only a docstring": 301, "code over tokenize.max_tgt_len": 15043}},
                 "rows": {"train": 8000, "valid": 1000, "test": 1000},
                 "pool": {"train": 14787, "valid": 1862, "test": 1801},
                 "removed": {"test: code also in an earlier split": 68},
                 "length": {s: {"src": {"mean": 10.15, "median": 9.0, "max": 50},
                                "tgt": {"mean": 37.15, "median": 33.0, "max": 80}} for s in ("train", "valid", "test")},
                 "vocab": {"src": 3741, "tgt": 8699},
                 "oov": {"valid": {"src": 0.0811, "tgt": 0.1003}, "test": {"src": 0.0896, "tgt": 0.0978}}},
        "config": {"train": {"emb_dim": 32, "lr": 0.001, "bucketing": True, "adaptive_cutoffs": [1000, 4000]}},
        "train": {m: {"model": m, "best_valid_loss": loss, "epochs": 19, "best_epoch": 16, "seconds_per_epoch": 2.0,
                      "train_tokens_per_second": 29009.2, "parameters": 3991984, "wall_seconds": 205.27,
                      "device": "cpu", "threads": 2}
                  for m, loss in (("rnn", 4.0), ("lstm", 3.5), ("attn", 3.0))},
        "eval": evaluation(),
        "figures": {"loss": paths["loss"], "length": paths["length"], "errors": paths["errors"],
                    "alignment": paths["alignment"],
                    "attention": [{"path": paths["attn_0"], "caption": "test, short docstring: Returns the max."},
                                  {"path": paths["probe_0"], "caption": PROBE},
                                  {"path": paths["probe_1"], "caption": OTHER_PROBE}]},
        "examples": {"errors": {"attn": {"syntax_error": [example()], "correct": []}},
                     "best": {"attn": [example("return the larger", "correct", 90.0)]},
                     "worst": {"rnn": [example("sum two numbers", bleu=1.0)]}},
        "interpretation": {
            "alignment": {"identifiers": 200, "aligned": 90, "rate": 0.45, "chance_rate": 0.1, "random_rate": 0.11,
                          "oracle_rate": 0.7, "rate_when_matchable": 0.64, "z": 16.5, "p_value": 1e-10},
            "probes": [probe("test split", NEVER, other_rows=111, other_mean=0.103), probe(PROBE, NEVER),
                       probe(OTHER_PROBE, "'maximum' is not in the docstring", other_rows=0, other_mean=None)],
            "rule": "length_terciles",
            "strongest": [{"caption": "test, short docstring: Returns the max.",
                           "pairs": [("def", "max", 0.5), ("maximum", "max", 0.8), ("<NEWLINE>", ".", 0.3)]},
                          {"caption": PROBE, "pairs": [("def", "list", 0.5), ("integers", "list", 0.6),
                                                       (",", "maximum", 0.48), ("<eos>", "list", 0.4)]},
                          {"caption": OTHER_PROBE, "pairs": [("def", "file", 0.5), ("file", "file", 0.6)]}],
        },
    }


def markdown_of(tmp_path, context) -> str:
    markdown, _ = write_report(context, tmp_path / "report" / "report.md", tmp_path / "report" / "report.pdf")
    return markdown.read_text(encoding="utf-8")


def prose_sentences(markdown: str) -> list[str]:
    """Sentences of paragraphs and list items: no tables, code, images, headings or captions."""
    text = re.sub(r"```.*?```", "", markdown, flags=re.S)
    lines = [line.removeprefix("- ") for line in text.splitlines()
             if line and not line.startswith(("|", "#", "!", "*Table", "*Figure"))]
    return [s for line in lines for s in re.split(r"(?<=[.!?])\s+", line) if s]


def table_headers(markdown: str) -> list[list[str]]:
    lines = markdown.splitlines()
    return [[c.strip() for c in line.strip("|").split(" | ")] for line, below in zip(lines, lines[1:])
            if line.startswith("| ") and below.startswith("|---")]


# --- structure and readability -------------------------------------------------------------------

def test_sections_in_order_with_numbered_captions_and_relative_figure_links(tmp_path, context):
    text = markdown_of(tmp_path, context)
    positions = [text.index(f"\n## {h}\n") for h in SECTIONS]
    assert positions == sorted(positions)
    for name in ("loss", "length", "errors", "alignment", "attn_0"):
        assert re.search(rf"!\[Figure \d+\]\(\.\./figures/{name}\.png\)", text)
    numbers = [int(n) for n in re.findall(r"^\*Table (\d+)\.", text, flags=re.M)]
    assert numbers == list(range(1, len(numbers) + 1)) and len(numbers) >= 8
    assert "nrefs:1" in text and "def f(a, b):" in text
    assert "chosen by rule, not by hand: in each third of the test set by docstring length" in text


def test_no_sentence_is_repeated(tmp_path, context):
    sentences = prose_sentences(markdown_of(tmp_path, context))
    repeated = {s for s in sentences if sentences.count(s) > 1}
    assert len(sentences) > 30 and not repeated


def test_data_summary_is_tables_not_flattened_keys(tmp_path, context):
    text = markdown_of(tmp_path, context)
    headers = table_headers(text)
    assert ["stage", "filter", "rows"] in headers
    assert ["side", "vocabulary", "OOV in valid", "OOV in test"] in headers
    assert "| tokenize | dropped: code over tokenize.max\\_tgt\\_len | 15,043 |" in text
    assert "| test | 1,801 | 1,000 | 10.15 / 9 / 50 | 37.15 / 33 / 80 |" in text
    assert "| docstring | 3,741 | 8.1% | 9.0% |" in text
    assert "tokenize.dropped." not in text and "length.train.src" not in text


def test_training_table_names_each_model_once_with_readable_numbers(tmp_path, context):
    text = markdown_of(tmp_path, context)
    header = next(h for h in table_headers(text) if h[0] == "model" and "parameters" in h)
    assert header.count("model") == 1
    assert "| rnn | 3.99 M | 19 (16) | 4.000 |" in text and "29,009" in text and "3.4 min" in text
    assert not re.search(r"\d e[+-]\d", text.replace(" ", " ")) and "e+0" not in text


def test_numbers_read_without_exponents():
    assert [fmt_number(v) for v in (29009.2, 2.228, 42.77, 556.05, 20.0, 0.001)] == \
        ["29,009", "2.23", "42.77", "556", "20", "0.001"]
    assert p_clause(0.0) == "p < 0.001" and p_clause(0.0123) == "p = 0.012"


def test_results_table_formats_bleu_and_rates():
    rows = {row[0]: row for row in results_table(evaluation()).items}
    assert list(rows) == ["rnn", "lstm", "attn", "retrieval"]
    assert rows["attn"][1:5] == ["20.00", "5.0%", "10.0%", "80.0%"]
    assert rows["retrieval"][5] == "—"  # no teacher-forced accuracy for retrieval


# --- conclusions and abstract --------------------------------------------------------------------

def test_conclusions_claim_a_bleu_difference_only_where_the_interval_excludes_zero(context):
    text = "\n".join(conclusions(context))
    assert "attn over lstm (+8.00 BLEU, 95% CI [+5.00, +11.00], one-sided p < 0.001)" in text
    assert "No significant BLEU difference between lstm and rnn (+2.00 BLEU, 95% CI [−0.50, +4.50]" in text
    assert "lstm over rnn" not in text
    assert "attn beats the retrieval baseline in BLEU (+5.00 BLEU" in text
    assert "The retrieval baseline is significantly better in BLEU than lstm (by 3.00 BLEU" in text
    # no bootstrap pair rnn/retrieval: numbers only, no significance claimed
    assert "rnn scores below the retrieval baseline in BLEU (10.00 vs 15.00), untested" in text
    assert "p = <" not in text and "0.970" not in text  # the p-value of "lstm better" is not quoted for retrieval


def test_conclusions_state_each_finding_once(context):
    lines = conclusions(context)
    assert lines[0] == "Ranked by test BLEU: attn 20.00, retrieval 15.00, lstm 12.00, rnn 10.00."
    assert len(lines) == len(set(lines))
    probe_lines = [line for line in lines if "“maximum”" in line]
    assert probe_lines == ["The “maximum” probe measures nothing: attn never writes max, > or >= where a docstring "
                           "contains “maximum”."]
    text = "\n".join(lines)
    assert "The share of outputs that parse ranges from 60.0% (rnn) to 99.0% (retrieval)" in text
    assert "above chance (45.0% of 200 generated identifiers vs 10.0% expected under uniform attention, " \
           "one-sided p < 0.001)" in text
    assert "attn reaches the lowest validation loss (3.000; rnn 4.000, lstm 3.500)." in text


def test_alignment_not_significant_is_not_called_above_chance(context):
    context["interpretation"]["alignment"].update(rate=0.12, p_value=0.3)
    text = "\n".join(conclusions(context)) + abstract(context)
    assert "not distinguishable from chance" in text and "above chance" not in text and "interpretable" not in text


def test_abstract_states_the_findings_from_the_numbers(context):
    text = abstract(context)
    assert "We train 3 encoder-decoder models (rnn, lstm and attn)" in text
    assert "8,000 pairs mined from 35,145 documented functions and are tested on 1,000" in text
    assert "attn scores the highest BLEU (20.00), significantly above the retrieval baseline (15.00)." in text
    assert "the bootstrap does not support the step between lstm and rnn" in text
    context["eval"]["bootstrap"]["attn_vs_retrieval"] = pair(20.0, 15.0, -1.0, 9.0, 0.08)
    assert "not significantly above the retrieval baseline" in abstract(context)


# --- attention and the probe ---------------------------------------------------------------------

def test_probe_that_never_meets_its_targets_is_said_once_without_heatmaps(tmp_path, context):
    text = markdown_of(tmp_path, context)
    assert len(re.findall(r"never wrote max, \\> or \\>=", text)) == 1
    assert "probe\\_0.png" not in text and "probe\\_1.png" not in text
    assert "probe_0.png" not in text and "probe_1.png" not in text
    # what the model wrote, rebuilt from its tokens (EOS dropped)
    assert "```python\n# returns the maximum value in a list\ndef integers,\n\n# open a file and return its lines\n" \
           "def file\n```" in text
    assert "“maximum” is the most attended docstring word only at the generated tokens “,”." in text
    assert "the word drew 10.3% of the attention on average at each of their 111 generated tokens" in text


def test_measured_probe_gets_its_ratio_and_heatmap(tmp_path, context):
    context["interpretation"]["probes"][1] = probe(PROBE, ratio=2.2, target_rows=2, other_mean=0.18)
    text = markdown_of(tmp_path, context)
    assert "never wrote" not in text
    assert "For “returns the maximum value in a list”, “maximum” receives 2.2x more attention at max, \\> or \\>=" \
        in text
    assert "figures/probe_0.png" in text and "figures/probe_1.png" not in text


def test_heatmap_sentence_says_where_attention_went(tmp_path, context):
    text = markdown_of(tmp_path, context)
    assert "For “Returns the max.”, 2 of 3 generated tokens attend most to “max”; identifiers and the word each " \
           "attends to most: maximum → “max”." in text


# --- robustness: new and missing metrics ---------------------------------------------------------

def test_new_systems_metrics_classes_and_subsets_are_rendered(tmp_path, context):
    evaluation_ = context["eval"]
    evaluation_["copy"] = system(22.0, 0.9) | {
        "compile_rate": 0.85, "function_name_accuracy": 0.25, "distinct_outputs": 0.4, "mean_output_length": 30.5,
        "insertion_rate": 0.12, "alignment": {"insertions": 0.1, "deletions": 0.2},
        "token_errors": {"total": {"sub": 0.3, "ins": 0.1, "del": 0.2},
                         "layout": {"sub": 0.05, "ins": 0.0, "del": 0.05},
                         "other_name": {"sub": 0.25, "ins": 0.1, "del": 0.15}}}
    evaluation_["copy"]["errors"]["unrelated"] = {"count": 7, "rate": 0.07}
    evaluation_["bootstrap"]["copy_vs_attn"] = pair(22.0, 20.0, 0.5, 3.5, 0.01)
    for name in ("rnn", "lstm", "attn", "retrieval", "copy"):
        evaluation_[name]["novel"] = {"bleu": evaluation_[name]["bleu"] - 4, "parse_rate": 0.5, "rows": 812}
    evaluation_["bootstrap_novel"] = {"attn_vs_lstm": pair(16.0, 8.0, 4.0, 12.0, 0.001),
                                      "copy_vs_attn": pair(18.0, 16.0, -1.0, 5.0, 0.2)}
    text = markdown_of(tmp_path, context)
    header = next(h for h in table_headers(text) if h[:2] == ["system", "BLEU"])
    assert {"compiles", "function name right", "distinct outputs"} <= set(header)
    assert "| copy | 22.00 |" in text and "| copy | 85.0% |" not in text
    assert "insertion rate" in text and "| copy | 10.0% | 20.0% |" in text  # unknown nested group as its own table
    errors = next(h for h in table_headers(text) if h[:2] == ["system", "correct"])
    copy_row = next(line for line in text.splitlines() if line.startswith("| copy | 5.0% | 35.0%"))
    assert "unrelated" in errors and copy_row.split(" | ")[errors.index("unrelated")] == "7.0%"
    assert "| copy | 30.0% | 10.0% | 20.0% | 60.0% |" in text  # token edits by operation, and their sum
    assert ["system", "layout", "other name"] in table_headers(text) and "| copy | 10.0% | 50.0% |" in text
    assert "other name tokens take the most edits for every system (50.0% to 50.0%" in text
    assert "Results on the novel subset (812 rows): test rows without a near-duplicate" in text
    assert "BLEU, novel" in text
    assert "From all test rows to the 812 novel ones, BLEU moves: rnn 10.00 → 6.00" in text
    assert "copy over attn (+2.00 BLEU" in text
    assert "Paired bootstrap of BLEU differences on the novel subset" in text
    assert "The bootstrap on the novel rows alone finds attn over lstm (+8.00) significant and finds no " \
           "significant difference between copy and attn." in text
    assert "On test functions with no near-duplicate in training, BLEU falls for every system." in text


def test_subsets_are_read_from_every_layout():
    flat = {"attn": {"bleu": 20.0, "bleu_novel": 15.0, "exact_match_novel": 0.0}, "retrieval": {"bleu": 18.0}}
    assert results.subset(flat, "novel") == {"attn": {"bleu": 15.0, "exact_match": 0.0}}
    assert tables.further_table(flat) is None  # bleu_novel is not shown as a measure of its own
    top = {"attn": {"bleu": 20.0}, "novel": {"attn": {"bleu": 15.0}, "rows": 800}}
    assert results.systems(top) == ["attn"] and results.subset_rows(results.subset(top, "novel")) == 800
    nested = {"attn": {"bleu": 20.0, "novel": {"bleu": 15.0, "rows": 812}}}
    assert results.subset(nested, "novel") == {"attn": {"bleu": 15.0, "rows": 812}, "rows": 812}


def test_missing_optional_metrics_do_not_crash(tmp_path, context):
    for name in ("rnn", "lstm", "attn", "retrieval"):
        for key in ("token_accuracy", "exact_match_short", "errors", "mean_length", "unk_per_output"):
            context["eval"][name].pop(key, None)
    context["eval"]["attn"]["bleu"] = float("nan")
    context["eval"]["bootstrap"]["attn_vs_retrieval"].update(bleu_a=float("nan"), ci_low=float("nan"))
    del context["eval"]["bootstrap"]["attn_vs_lstm"]["p_value"]
    context["eval"]["bootstrap"]["lstm_vs_rnn"]["delta"] = None  # the difference is then BLEU(a) - BLEU(b)
    context["eval"]["bootstrap"]["broken_vs_pair"] = {"bleu_a": 1.0}
    del context["data"]["oov"], context["data"]["tokenize"]
    context["train"]["attn"] = {}
    context["interpretation"]["alignment"] = {"identifiers": 0, "rate": None}
    context["interpretation"]["probes"] = {"word": "maximum", "targets": ["max"], "reason": "no docstring contains"}
    text = markdown_of(tmp_path, context)
    assert "nan" not in text.lower().replace("nanoseconds", "")
    assert "| attn | — |" in text
    assert "attn cannot be compared with the retrieval baseline: a BLEU is missing." in text
    assert "token accuracy" not in text
    assert "No significant BLEU difference between lstm and rnn (+2.00 BLEU" in text


def test_report_works_with_an_empty_context(tmp_path):
    markdown, pdf = write_report({}, tmp_path / "r.md", tmp_path / "r.pdf")
    text = markdown.read_text(encoding="utf-8")
    assert all(f"## {h}" in text for h in SECTIONS)
    assert "No evaluation results were given." in text
    assert pdf.read_bytes().startswith(b"%PDF")


# --- rendering -----------------------------------------------------------------------------------

def test_markdown_escapes_tokens_and_pipes(tmp_path, context):
    text = markdown_of(tmp_path, context)
    assert r"\<maximum\> of a \| b, costs \$x^2 \\frac\$" in text
    assert md_escape("a_b") == r"a\_b"


def test_pdf_is_a_valid_pdf_of_plausible_length_with_every_figure(tmp_path, context):
    _, pdf = write_report(context, tmp_path / "r.md", tmp_path / "r.pdf")
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF-") and data.rstrip().endswith(b"%%EOF")
    pages = len(re.findall(rb"/Type\s*/Page\b(?!s)", data))
    assert 3 <= pages <= 12
    assert len(re.findall(rb"/Subtype\s*/Image", data)) >= 5  # loss, length, errors, alignment, one heatmap


def test_pdf_html_has_real_tables_wrapped_code_and_sized_figures(tmp_path, context):
    markdown = markdown_of(tmp_path, context)
    html = markdown_to_html(markdown, tmp_path / "report", new_pdf())
    assert html.count("<table") == markdown.count("\n*Table ")
    assert re.search(r'<th align="left" width="[\d.]+">stage</th>', html)
    assert '<td align="right">15,043</td>' in html
    assert re.search(r'<img src="[^"]+loss\.png" width="[\d.]+" height="[\d.]+">', html)
    assert "<pre><code" in html


def test_long_code_lines_wrap_instead_of_running_off_the_page(tmp_path):
    code = "x = [" + ", ".join(f"value_{i}" for i in range(60)) + "]"
    short = to_pdf("# t\n\n```python\nx = 1\n```\n", tmp_path, tmp_path / "short.pdf", "t")
    long = to_pdf("# t\n\n```python\n" + "\n".join([code] * 60) + "\n```\n", tmp_path, tmp_path / "long.pdf", "t")
    # 60 lines of ~600 characters need several wrapped lines each: more than one page, none cut off
    assert short == 1 and long >= 3


def test_example_records_from_predictions():
    table = pd.DataFrame({"summary": ["s"], "reference_code": ["a"], "generated_code": ["b"],
                          "bleu": [np.float32(3.5)], "error_class": ["correct"], "src": [["s"]]})
    assert example_records(table) == [{"summary": "s", "reference_code": "a", "generated_code": "b",
                                       "bleu": 3.5, "error_class": "correct"}]


def test_the_same_report_gives_the_same_pdf_bytes(tmp_path, context):
    """No clock in the PDF: a rerun of visualize with the same inputs changes nothing that git tracks."""
    write_report(context, tmp_path / "a.md", tmp_path / "a.pdf")
    write_report(context, tmp_path / "b.md", tmp_path / "b.pdf")
    assert (tmp_path / "a.pdf").read_bytes() == (tmp_path / "b.pdf").read_bytes()


def test_copy_probe_heatmaps_name_the_copy_model_and_its_gate():
    from lib.study.report.attention import figure_title
    assert figure_title("copy probe: return the sum", "attn").startswith("Attention of copy, with its copy gate")
    assert figure_title("test, short docstring: x", "attn") == "Attention of attn, test, short docstring: x"


# --- the seed and learning-curve study -----------------------------------------------------------

# Test BLEU per training seed (42 is the fixture's evaluation, with copy added): copy > attn in 2 of 3 seeds,
# attn > retrieval in 2 of 3, attn > lstm, lstm > rnn and retrieval > lstm in all 3.
SEED_BLEU = {42: {"rnn": 10.0, "lstm": 12.0, "attn": 20.0, "copy": 22.0, "retrieval": 15.0},
             43: {"rnn": 10.5, "lstm": 12.2, "attn": 21.0, "copy": 20.5, "retrieval": 15.0},
             44: {"rnn": 9.8, "lstm": 11.5, "attn": 14.9, "copy": 21.0, "retrieval": 15.0}}
# Test BLEU per training-set size at seed 42; retrieval's lead shrinks at every step over attn and copy only,
# and only at 2,000 pairs is it within 2 BLEU (the intervals, ±1, overlap) for attn and copy.
CURVE_BLEU = {1000: {"rnn": 5.0, "lstm": 6.0, "attn": 8.0, "copy": 9.0, "retrieval": 12.0},
              2000: {"rnn": 7.0, "lstm": 8.0, "attn": 12.0, "copy": 13.0, "retrieval": 13.0},
              4000: {"rnn": 9.0, "lstm": 11.0, "attn": 17.0, "copy": 18.0, "retrieval": 14.0},
              8000: SEED_BLEU[42]}


def exp_row(name, bleu, seed=42, n_train=8000):
    """A finished run as dvc.api.exp_show gives it (the workspace when `name` is None); BLEU's interval ±1."""
    row = {"Experiment": name, "rev": "abc1234" if name else "workspace",
           "typ": "branch_commit" if name else "baseline", "State": None, "train.seed": float(seed),
           "split.n_train": float(n_train), "rows.train": float(n_train)}
    for s, v in bleu.items():
        row |= {f"metrics/eval/{s}.json:bleu": v, f"metrics/eval/{s}.json:bleu_ci_low": v - 1,
                f"metrics/eval/{s}.json:bleu_ci_high": v + 1}
    return row


def study_rows(seeds=(42, 43, 44), sizes=(1000, 2000, 4000, 8000)) -> list[dict]:
    return ([exp_row(None, SEED_BLEU[42])] + [exp_row(f"seed-{s}", SEED_BLEU[s], seed=s) for s in seeds if s != 42]
            + [exp_row(f"n-{n}", CURVE_BLEU[n], n_train=n) for n in sizes if n != 8000])


@pytest.fixture
def studied(context, tmp_path):
    """The report's context with copy and the study of SEED_BLEU and CURVE_BLEU, as lib.study.experiments makes it."""
    context["eval"]["copy"] = system(22.0, 0.9)
    context["eval"]["bootstrap"]["copy_vs_attn"] = pair(22.0, 20.0, 0.5, 3.5, 0.01)
    seeds, curve = study_from_rows(study_rows(), ["train.seed", "split.n_train"])
    context["study"] = {"seeds": seeds, "curve": curve}
    context["figures"]["learning_curve"] = plot_learning_curve(curve, tmp_path / "figures" / "learning_curve.png")
    return context


def finding(findings, claim):
    return next(f for f in findings if f.claim == claim)


def test_study_findings_are_data_with_their_numbers_and_rule(studied):
    findings = study_findings(studied)
    assert [f.claim for f in findings if f.kind == "ordering"] == [
        "attn > lstm", "lstm > rnn", "attn > rnn", "copy > attn", "retrieval > rnn", "retrieval > lstm",
        "attn > retrieval", "copy > retrieval"]
    copy = finding(findings, "copy > attn")
    assert not copy.passed and copy.rule == "BLEU(a) > BLEU(b) in every training seed"
    assert copy.numbers == {"better": "copy", "worse": "attn", "holds_in": 2, "reverse_holds_in": 1, "seeds": 3,
                            "mean_better": 21.167, "mean_worse": 18.633}
    assert finding(findings, "attn > lstm").passed and finding(findings, "retrieval > lstm").passed
    assert not finding(findings, "attn > retrieval").passed
    attn = finding(findings, "attn approaches retrieval")
    assert attn.passed and attn.numbers["gap"] == [4.0, 1.0, -3.0, -5.0]
    assert attn.numbers["train_pairs"] == [1000, 2000, 4000, 8000]
    assert not finding(findings, "rnn approaches retrieval").passed  # 7, 6, 5, 5: not at every step
    assert finding(findings, "copy reaches retrieval").numbers["reached_at"] == [2000]
    rnn = finding(findings, "rnn reaches retrieval")
    assert not rnn.passed and rnn.numbers["reached_at"] == []


def test_an_order_is_claimed_only_where_it_holds_in_every_seed(studied):
    text = "\n".join(conclusions(studied))
    assert "Significant in this run's bootstrap but not in every training seed, so not claimed: copy over attn " \
           "(+2.00 BLEU; copy above in 2 of 3 seeds)." in text
    assert "attn over retrieval (+5.00 BLEU; attn above in 2 of 3 seeds)" in text
    assert "copy over attn (+2.00 BLEU, 95% CI" not in text and "attn beats the retrieval baseline" not in text
    assert "attn over lstm (+8.00 BLEU, 95% CI [+5.00, +11.00]" in text  # holds in every seed: claimed
    assert "The retrieval baseline is significantly better in BLEU than lstm" in text
    assert "In every training seed, BLEU puts attn above lstm (mean 18.63 vs 11.90), lstm above rnn" in text
    assert "BLEU changes order between training seeds for copy and attn (copy above in 2 of 3) and attn and " \
           "retrieval (attn above in 2 of 3), so no order is claimed there." in text
    summary = abstract(studied)
    assert "An order between two systems is claimed only where it holds in every one of the 3 training seeds " \
           "(42, 43 and 44)." in summary
    assert "the step between copy and attn does not hold in every training seed" in summary


def test_the_learning_curve_says_whether_and_where_models_approach_retrieval(studied):
    text = "\n".join(conclusions(studied))
    assert "From 1,000 to 8,000 training pairs, retrieval's BLEU lead over attn goes +4.00 → +1.00 → −3.00 → " \
           "−5.00: it shrinks at every step; their 95% intervals overlap at 2,000 pairs." in text
    assert "retrieval's BLEU lead over rnn goes +7.00 → +6.00 → +5.00 → +5.00, not shrinking at every step; " \
           "their 95% intervals overlap at no size." in text
    assert "retrieval's BLEU lead moves rnn +7.00 → +5.00, lstm +6.00 → +3.00, attn +4.00 → −5.00, copy +3.00 → " \
           "−7.00; it shrinks at every step for attn and copy, and the 95% intervals of model and retrieval overlap " \
           "for attn at 2,000 pairs and copy at 2,000 pairs." in abstract(studied)


def test_report_shows_the_curve_beside_the_bleu_table_and_the_seed_tables(tmp_path, studied):
    text = markdown_of(tmp_path, studied)
    results_part = text[text.index("## Results"):text.index("## Error analysis")]
    main, curve = results_part.index("*Table"), results_part.index("figures/learning_curve.png")
    assert main < curve < results_part.index("Paired bootstrap")
    assert ["system", "mean ± sd", "min – max", "seed 42", "seed 43", "seed 44"] in table_headers(text)
    assert "| attn | 18.63 ± 3.27 | 14.90 – 21.00 | 20.00 | 21.00 | 14.90 |" in text
    assert "| copy \\> attn | 2 of 3 | no |" in text and "| attn \\> lstm | 3 of 3 | yes |" in text
    assert "excludes 0 and its order holds in every training seed." in text
    assert len(set(prose_sentences(text))) == len(prose_sentences(text))


def test_without_other_seeds_the_report_says_it_rests_on_one_run(tmp_path, context):
    text = markdown_of(tmp_path, context)
    assert "Every conclusion rests on one training run per model." in abstract(context)
    assert "excludes 0, from one training run per model." in text
    assert "seed 43" not in text and "learning\\_curve" not in text and "learning_curve" not in text
    assert study_findings(context) == [] and holds_in_every_seed([], "attn", "lstm") is None


def test_a_study_of_other_results_is_not_used(tmp_path, studied):
    studied["eval"]["attn"]["bleu"] = 20.5  # the study's seed-42 attn scored 20.00
    text = markdown_of(tmp_path, studied)
    assert "Every conclusion rests on one training run per model (metrics/study/ and plots/learning\\_curve.csv " \
           "hold other results than these)." in text
    assert study_findings(studied) == [] and "learning_curve.png" not in text and "seed 43" not in text


def test_a_curve_without_other_seeds_is_used_alone(studied):
    seeds, curve = study_from_rows(study_rows(seeds=(42,)), ["train.seed", "split.n_train"])
    studied["study"] = {"seeds": seeds, "curve": curve}
    assert seeds_in_use(studied) is None and curve_in_use(studied) is not None
    assert {f.kind for f in study_findings(studied)} == {"approach", "reach"}
    assert "copy over attn (+2.00 BLEU, 95% CI" in "\n".join(conclusions(studied))  # one run: the bootstrap alone
