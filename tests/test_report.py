"""The report: its findings as data (each rule and whether it passed), the document as one golden file rendered
from a fixed small context, its structure, and a real PDF made from the same Markdown.

Regenerate the golden file after an intended change of the report's wording: UPDATE_GOLDEN=1 pytest tests/test_report.py
"""
import os
import re
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from lib.study.experiments import CURVE_COLUMNS, EMPTY_SEEDS, study_from_rows
from lib.study.report import SECTIONS, md_escape, render, write_report
from lib.study.report.findings import Difference, find
from lib.study.report.pdf import markdown_to_html, new_pdf, to_pdf

GOLDEN = Path(__file__).parent / "golden" / "report.md"
NEVER = "no generated token in ['max', '>', '>=']"
PROBE = "probe: returns the maximum value in a list"
OTHER_PROBE = "probe: open a file and return its lines"
COPY_PROBE = "copy probe: returns the maximum value in a list"
# Test BLEU per training seed (42 is the context's evaluation): copy > attn in 2 of 3 seeds, attn > retrieval in 2
# of 3, attn > lstm, lstm > rnn and retrieval > lstm in all 3.
SEED_BLEU = {42: {"rnn": 10.0, "lstm": 12.0, "attn": 20.0, "copy": 22.0, "retrieval": 15.0},
             43: {"rnn": 10.5, "lstm": 12.2, "attn": 21.0, "copy": 20.5, "retrieval": 15.0},
             44: {"rnn": 9.8, "lstm": 11.5, "attn": 14.9, "copy": 21.0, "retrieval": 15.0}}
# Test BLEU per training-set size at seed 42; retrieval's lead shrinks at every step over attn and copy only,
# and only at 2,000 pairs is it within 2 BLEU (the intervals, ±1, overlap) for attn and copy.
CURVE_BLEU = {1000: {"rnn": 5.0, "lstm": 6.0, "attn": 8.0, "copy": 9.0, "retrieval": 12.0},
              2000: {"rnn": 7.0, "lstm": 8.0, "attn": 12.0, "copy": 13.0, "retrieval": 13.0},
              4000: {"rnn": 9.0, "lstm": 11.0, "attn": 17.0, "copy": 18.0, "retrieval": 14.0},
              8000: SEED_BLEU[42]}


# --- a small context, as lib.study.context.build_context makes it ---------------------------------

def system(bleu, parse, model=True):
    """One system's section of data/eval/scores.json (stages/evaluate.py)."""
    section = {"bleu": bleu, "bleu_signature": "nrefs:1|tok:none", "exact_match": 0.05, "exact_match_short": 0.1,
               "parse_rate": parse, "compile_rate": parse - 0.01, "positional_accuracy": 0.3,
               "distinct_outputs": 0.92, "function_name_accuracy": 0.25, "mean_output_length": 21.06,
               "mean_reference_length": 37.2, "bleu_ci_low": bleu - 1, "bleu_ci_high": bleu + 1,
               "errors": {"correct": {"count": 5, "rate": 0.05}, "syntax_error": {"count": 35, "rate": 0.35},
                          "wrong_operator": {"count": 60, "rate": 0.6}},
               "token_errors": {"total": {"sub": 0.3, "ins": 0.1, "del": 0.2},
                                "layout": {"sub": 0.05, "ins": 0.05}, "other name": {"sub": 0.25, "del": 0.25}},
               "novel": {"rows": 812, "bleu": bleu - 4, "exact_match": 0.01, "exact_match_short": 0.02,
                         "compile_rate": parse - 0.1}}
    if model:
        section |= {"token_accuracy": 0.5, "unk_per_output": 2.993,
                    "without_constraint": {"bleu": bleu - 0.5, "parse_rate": parse - 0.2, "exact_match": 0.05}}
    return section


def pair(a, b, low, high, p):
    """A paired bootstrap as lib.evaluation.metrics.paired_bootstrap writes it."""
    return {"bleu_a": a, "bleu_b": b, "delta": a - b, "mean_delta": a - b, "ci_low": low, "ci_high": high,
            "p_value": p, "n_resamples": 1000, "seed": 1, "signature": "nrefs:1|tok:none"}


def scores():
    return {
        "rnn": system(10.0, 0.6), "lstm": system(12.0, 0.7), "attn": system(20.0, 0.8), "copy": system(22.0, 0.9),
        "rerank": system(23.0, 0.95, model=False) | {"sources": {"beam": 500, "short": 120, "retrieval": 380}},
        "retrieval": system(15.0, 0.99, model=False),
        "bootstrap": {"rerank_vs_copy": pair(23.0, 22.0, -0.2, 2.1, 0.06),  # not significant
                      "rerank_vs_retrieval": pair(23.0, 15.0, 6.0, 10.0, 0.0),"attn_vs_lstm": pair(20.0, 12.0, 5.0, 11.0, 0.0004),
                      "lstm_vs_rnn": pair(12.0, 10.0, -0.5, 4.5, 0.2),  # includes 0: not significant
                      "attn_vs_retrieval": pair(20.0, 15.0, 1.0, 9.0, 0.02),
                      "lstm_vs_retrieval": pair(12.0, 15.0, -6.0, -0.5, 0.97),
                      "copy_vs_attn": pair(22.0, 20.0, 0.5, 3.5, 0.01)},
        "bootstrap_novel": {"attn_vs_lstm": pair(16.0, 8.0, 4.0, 12.0, 0.001),
                            "copy_vs_attn": pair(18.0, 16.0, -1.0, 5.0, 0.2)},
        "bleu_signature": "nrefs:1|case:mixed|eff:no|tok:none|smooth:exp|version:2.6.0",
        "decode": {"beam_size": 1, "constrained": True},
    }


def example(summary="return the <maximum> of a | b, costs $x^2 \\frac$", bleu=None):
    """An example of data/eval/examples.json: an error class's has no sentence BLEU, a best or worst output's has."""
    return {"summary": summary, "reference_code": "def f(a, b):\n    return max(a, b)",
            "generated_code": "def f(a, b):\n    return a"} | ({} if bleu is None else {"bleu": bleu})


def probe(scope, reason=None, ratio=None, target_rows=0, other_rows=26, other_mean=0.18):
    found = {"word": "maximum", "targets": ["max", ">", ">="], "target_rows": target_rows, "other_rows": other_rows,
             "target_mean": 0.4 if ratio else None, "other_mean": other_mean, "ratio": ratio,
             "reason": reason, "scope": scope}
    return found | ({"examples": 3} if scope == "test split" else {})


def study(seeds=(42, 43, 44), sizes=(1000, 2000, 4000, 8000)) -> dict:
    """The study of SEED_BLEU and CURVE_BLEU, as lib.study.experiments makes it from the runs' rows."""
    def row(name, bleu, seed=42, n_train=8000):
        found = {"Experiment": name, "rev": "abc1234" if name else "workspace",
                 "typ": "branch_commit" if name else "baseline", "State": None, "train.seed": float(seed),
                 "split.n_train": float(n_train), "rows.train": float(n_train)}
        for s, v in bleu.items():
            found |= {f"metrics/eval/{s}.json:bleu": v, f"metrics/eval/{s}.json:bleu_ci_low": v - 1,
                      f"metrics/eval/{s}.json:bleu_ci_high": v + 1}
        return found

    rows = ([row(None, SEED_BLEU[42])] + [row(f"seed-{s}", SEED_BLEU[s], seed=s) for s in seeds if s != 42]
            + [row(f"n-{n}", CURVE_BLEU[n], n_train=n) for n in sizes if n != 8000])
    seeds_json, curve = study_from_rows(rows, ["train.seed", "split.n_train"])
    return {"seeds": seeds_json, "curve": curve}


def report_context(folder: Path, with_study: bool = True) -> dict:
    """A fixed small context of lib.study.report.write_report, its figures drawn into `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = {}
    for name in ("loss", "length", "errors", "alignment", "learning_curve", "attn_0", "probe_0", "probe_1",
                 "copy_probe_0", "reading_attn", "reading_copy"):
        paths[name] = folder / f"{name}.png"
        plt.imsave(paths[name], np.random.default_rng(0).random((20, 30)))
    figures = {"loss": paths["loss"], "length": paths["length"], "errors": paths["errors"],
               "alignment": paths["alignment"],
               "attention": [{"path": paths["attn_0"], "caption": "test, short docstring: Returns the max."},
                             {"path": paths["probe_0"], "caption": PROBE},
                             {"path": paths["probe_1"], "caption": OTHER_PROBE},
                             {"path": paths["copy_probe_0"], "caption": COPY_PROBE}],
               "reading": [{"path": paths[f"reading_{m}"], "caption": f"{m} reading the reference of: {PROBE[7:]}",
                            "model": m} for m in ("attn", "copy")]}
    if with_study:
        figures["learning_curve"] = paths["learning_curve"]
    return {
        "data": {"tokenize": {"rows_read": 35145, "pairs_kept": 18817, "round_trip_rate": 1.0,
                              "dropped": {"body is only a docstring": 301, "code over tokenize.max_tgt_len": 15043}},
                 "rows": {"train": 8000, "valid": 1000, "test": 1000},
                 "pool": {"train": 14787, "valid": 1862, "test": 1801},
                 "removed": {"test: code also in an earlier split": 68},
                 "near_duplicates": {"valid": 70, "valid_share": 0.07, "test": 188, "test_share": 0.188},
                 "length": {s: {"src": {"mean": 10.15, "median": 9.0, "max": 50},
                                "tgt": {"mean": 37.15, "median": 33.0, "max": 80}} for s in ("train", "valid", "test")},
                 "vocab": {"src": 3741, "tgt": 8699},
                 "oov": {"valid": {"src": 0.0811, "tgt": 0.1003}, "test": {"src": 0.0896, "tgt": 0.0978}},
                 "official_test": {"rows": 900, "untokenizable": 12, "code_in_train": 30,
                                   "code_in_train_share": 0.0333}},
        "config": {"train": {"emb_dim": 32, "lr": 0.001, "bucketing": True, "adaptive_cutoffs": [1000, 4000]}},
        "train": {m: {"model": m, "best_valid_loss": loss, "best_valid_ppl": float(np.exp(loss)), "epochs": 19,
                      "best_epoch": 16, "final_train_loss": loss - 0.5, "seconds_per_epoch": 2.0,
                      "train_tokens_per_second": 29009.2, "parameters": 3991984, "wall_seconds": 205.27,
                      "device": "cpu", "threads": 2}
                  for m, loss in (("rnn", 4.0), ("lstm", 3.5), ("attn", 3.0), ("copy", 2.9))},
        "eval": scores(),
        "figures": figures,
        "examples": {"errors": {"attn": {"correct": [], "syntax_error": [example()], "wrong_operator": []}},
                     "best": {"attn": [example("return the larger", 90.0)]},
                     "worst": {"rnn": [example("sum two numbers", bleu=1.0)]}},
        "rerank": {"pool": {"models": ["copy"], "beam_size": 10, "short": True, "retrieved": 5},
                   "weights": {"forward": 0.4, "reverse": 1.2, "similarity": 0.8, "retrieved": -0.1, "length": 0.3},
                   "valid": {"bleu": 21.5, "first_candidate_bleu": 20.1, "oracle_bleu": 30.2,
                             "sources": {"beam": 480, "short": 130, "retrieval": 390}, "pool_size": 24.5},
                   "test": {"sources": {"beam": 500, "short": 120, "retrieval": 380}, "pool_size": 24.1},
                   "reverse": {"best_valid_loss": 3.123, "wall_seconds": 402.5}},
        "study": study() if with_study else {"seeds": dict(EMPTY_SEEDS), "curve": pd.DataFrame(columns=CURVE_COLUMNS)},
        "interpretation": {
            "alignment": {"identifiers": 200, "aligned": 90, "rate": 0.45, "chance_rate": 0.1, "random_rate": 0.11,
                          "oracle_rate": 0.7, "rate_when_matchable": 0.64, "z": 16.5, "p_value": 1e-10},
            "probes": [probe("test split", NEVER, other_rows=111, other_mean=0.103), probe(PROBE, NEVER),
                       probe(OTHER_PROBE, "'maximum' is not in the docstring", other_rows=0, other_mean=None)],
            "copy_probes": [probe(COPY_PROBE, NEVER)],
            # read on reference code: attn's probe measures, copy's never reaches a target on the test references
            "reading": {m: {"alignment": {"identifiers": 900, "aligned": 300, "rate": 0.333, "chance_rate": 0.08,
                                          "random_rate": 0.09, "oracle_rate": 0.6, "rate_when_matchable": 0.55,
                                          "z": 20.1, "p_value": 1e-12},
                            "corpus": probe("test split", *corpus) | {"code": "the test references"},
                            "single": [probe(PROBE, ratio=ratio, target_rows=1, other_rows=13, other_mean=0.08)
                                       | {"code": "def max_value(nums): return max(nums)"}]}
                        for m, corpus, ratio in (("attn", (None, 5.0, 4, 300, 0.08), 5.0),
                                                 ("copy", (NEVER, None, 0, 280, 0.1), 0.5))},
            "rule": "length_terciles",
            "strongest": [{"caption": "test, short docstring: Returns the max.",
                           "pairs": [("def", "max", 0.5), ("maximum", "max", 0.8), ("<NEWLINE>", ".", 0.3)]},
                          {"caption": PROBE, "pairs": [("def", "list", 0.5), ("integers", "list", 0.6),
                                                       (",", "maximum", 0.48), ("<eos>", "list", 0.4)]},
                          {"caption": OTHER_PROBE, "pairs": [("def", "file", 0.5), ("file", "file", 0.6)]},
                          {"caption": COPY_PROBE, "pairs": [("def", "maximum", 0.5)]}],
        },
    }


@pytest.fixture
def context(tmp_path):
    return report_context(tmp_path / "figures")


@pytest.fixture
def one_run(tmp_path):
    """The context without a seed study or learning curve: every conclusion rests on one run per model."""
    return report_context(tmp_path / "figures", with_study=False)


def markdown_of(tmp_path, context) -> str:
    return render(context, tmp_path / "report" / "report.md")


# --- findings as data ----------------------------------------------------------------------------

def difference(findings, better, worse) -> Difference:
    return next(d for d in findings.differences if (d.better, d.worse) == (better, worse))


def test_a_difference_is_claimed_only_where_its_interval_excludes_0(one_run):
    findings = find(one_run)
    assert findings.seeds is None and findings.orderings == [] and findings.trends == []
    assert difference(findings, "attn", "lstm") == Difference("attn", "lstm", 20.0, 12.0, 8.0, 5.0, 11.0, 0.0004,
                                                              significant=True, holds_in=None, seeds=None)
    tied = difference(findings, "lstm", "rnn")  # [-0.5, +4.5] includes 0
    assert not tied.significant and not tied.claimed and not tied.withheld
    # stored as lstm_vs_retrieval, lstm worse: turned round, and its one-sided p tested the other direction
    flipped = difference(findings, "retrieval", "lstm")
    assert flipped.claimed and (flipped.diff, flipped.ci_low, flipped.ci_high, flipped.p_value) == (3.0, 0.5, 6.0, None)
    assert [findings.lead(*pair) for pair in (("copy", "attn"), ("lstm", "rnn"), ("rnn", "lstm"), ("copy", "rnn"))] \
        == ["significant", "not significant", "not significant", "untested"]
    assert [(d.better, d.worse, d.significant) for d in findings.subset_differences] == [
        ("attn", "lstm", True), ("copy", "attn", False)]


def test_with_seeds_a_difference_is_claimed_only_where_its_order_holds_in_every_seed(context):
    findings = find(context)
    copy = difference(findings, "copy", "attn")
    assert copy.significant and (copy.holds_in, copy.seeds) == (2, 3) and copy.withheld and not copy.claimed
    assert findings.lead("copy", "attn") == "not in every seed"
    assert difference(findings, "attn", "lstm").claimed and difference(findings, "attn", "retrieval").withheld
    assert not difference(findings, "lstm", "rnn").claimed  # holds in every seed, but its interval includes 0


def test_the_seed_orderings_and_the_curve_are_records_with_their_rule(context):
    findings = find(context)
    orderings = {(o.better, o.worse): o for o in findings.orderings}
    assert list(orderings) == [("attn", "lstm"), ("lstm", "rnn"), ("attn", "rnn"), ("copy", "attn"),
                               ("retrieval", "rnn"), ("retrieval", "lstm"), ("attn", "retrieval"),
                               ("copy", "retrieval")]
    copy = orderings["copy", "attn"]
    assert not copy.passed and (copy.holds_in, copy.reverse_holds_in, copy.seeds) == (2, 1, 3)
    assert (copy.mean_better, copy.mean_worse) == (21.167, 18.633)
    assert orderings["attn", "lstm"].passed and not orderings["attn", "retrieval"].passed
    trends = {t.model: t for t in findings.trends}
    assert trends["attn"].approaches and trends["attn"].gap == [4.0, 1.0, -3.0, -5.0]
    assert trends["attn"].train_pairs == [1000, 2000, 4000, 8000] and trends["attn"].reached_at == [2000]
    assert not trends["rnn"].approaches and trends["rnn"].reached_at == []  # 7, 6, 5, 5: not at every step


def test_a_study_of_other_results_is_not_used(context):
    context["eval"]["attn"]["bleu"] = 20.5  # the study's seed-42 attn scored 20.00
    findings = find(context)
    assert findings.other_study and findings.seeds is None and findings.curve is None and findings.trends == []


def test_a_curve_without_other_seeds_is_used_alone(context):
    context["study"] = study(seeds=(42,))
    findings = find(context)
    assert findings.seeds is None and findings.curve is not None and len(findings.trends) == 4
    assert difference(findings, "copy", "attn").claimed  # one run: the bootstrap alone decides


def test_the_alignment_is_above_chance_only_when_its_test_says_so(one_run):
    assert find(one_run).alignment.above_chance
    one_run["interpretation"]["alignment"]["p_value"] = 0.2
    assert not find(one_run).alignment.above_chance


def test_measures_are_what_the_scores_say(one_run):
    measures = find(one_run).measures
    assert measures.ranking[:2] == [("rerank", 23.0), ("copy", 22.0)] and measures.ranking[-1] == ("rnn", 10.0)
    assert measures.ranges[0] == ("outputs that parse", 0.6, ["rnn"], 0.99, ["retrieval"])
    assert measures.constraint[0] == ("rnn", pytest.approx(0.4), 0.6) and measures.constraint_bleu == 0.5
    assert measures.top_error["attn"] == ("wrong_operator", 0.6) and measures.top_token["attn"] == ("other name", 0.5)
    assert measures.subset[0] == ("rnn", 10.0, 6.0) and measures.subset_rows == 812


# --- the document ----------------------------------------------------------------------------------

def test_the_report_is_the_golden_file(tmp_path, context):
    """The whole Markdown of the fixed context; an intended change of wording regenerates it (UPDATE_GOLDEN=1)."""
    text = markdown_of(tmp_path, context)
    if os.environ.get("UPDATE_GOLDEN"):
        GOLDEN.write_text(text, encoding="utf-8")
    assert text == GOLDEN.read_text(encoding="utf-8")


def test_every_section_and_figure_is_there_and_numbered_in_order(tmp_path, context):
    text = markdown_of(tmp_path, context)
    assert re.findall(r"^## (.+)$", text, flags=re.M) == list(SECTIONS)
    links = re.findall(r"^!\[Figure (\d+)\]\(\.\./figures/(\w+)\.png\)$", text, flags=re.M)
    assert [int(n) for n, _ in links] == list(range(1, len(links) + 1))
    assert {name for _, name in links} == {"loss", "learning_curve", "length", "errors", "attn_0", "copy_probe_0",
                                           "alignment", "reading_attn", "reading_copy"}  # the attn probes' heatmaps
    # only where a probe measured; the reading of the probe's reference by each model always
    tables = [int(n) for n in re.findall(r"^\*Table (\d+)\. ", text, flags=re.M)]
    assert tables == list(range(1, len(tables) + 1))
    assert "nan" not in text.lower()


def test_without_a_study_the_report_rests_on_one_run(tmp_path, one_run):
    text = markdown_of(tmp_path, one_run)
    assert "Every conclusion rests on one training run per model." in text
    assert "learning\\_curve" not in text and "seed 43" not in text


def test_a_missing_key_fails_instead_of_being_left_out(tmp_path, context):
    del context["data"]["rows"]
    with pytest.raises(Exception, match="rows"):
        markdown_of(tmp_path, context)


def test_markdown_escapes_tokens_and_pipes(tmp_path, context):
    text = markdown_of(tmp_path, context)
    assert r"\<maximum\> of a \| b, costs \$x^2 \\frac\$" in text
    assert md_escape("a_b") == r"a\_b"


# --- the PDF ---------------------------------------------------------------------------------------

def test_pdf_is_a_valid_pdf_of_plausible_length_with_every_figure(tmp_path, context):
    markdown, pdf = write_report(context, tmp_path / "report" / "r.md", tmp_path / "report" / "r.pdf")
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF-") and data.rstrip().endswith(b"%%EOF")
    pages = len(re.findall(rb"/Type\s*/Page\b(?!s)", data))
    assert 3 <= pages <= 14
    assert len(re.findall(rb"/Subtype\s*/Image", data)) >= 5  # loss, length, errors, alignment, one heatmap
    assert markdown.read_text(encoding="utf-8") == markdown_of(tmp_path, context)


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


def test_the_same_report_gives_the_same_pdf_bytes(tmp_path, context):
    """No clock in the PDF: a rerun of visualize with the same inputs changes nothing that git tracks."""
    write_report(context, tmp_path / "a.md", tmp_path / "a.pdf")
    write_report(context, tmp_path / "b.md", tmp_path / "b.pdf")
    assert (tmp_path / "a.pdf").read_bytes() == (tmp_path / "b.pdf").read_bytes()
