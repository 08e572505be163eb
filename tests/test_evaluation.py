from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from lib.common.config import ParamError, from_mapping
from lib.evaluation.alignment import TOKEN_TYPES
from lib.evaluation.metrics import benchmark_bleu
from lib.evaluation.scoring import (error_examples, headline, length_table, predictions_frame, score,
                                    token_error_analysis)

REFERENCE = ["def", "f", "(", "x", ")", ":", "<NEWLINE>", "<INDENT>", "return", "x", "+", "1"]
TEST = pd.DataFrame({
    "summary": ["add one", "add one to x please now"],
    "src": [["add", "one"], ["add", "one", "to", "x", "please", "now"]],
    "tgt": [REFERENCE, REFERENCE],
})


def test_predictions_are_scored_against_the_real_reference():
    wrong_operator = REFERENCE[:-2] + ["-", "1"]
    frame = predictions_frame(TEST, [REFERENCE, wrong_operator])
    assert list(frame["error_class"]) == ["correct", "wrong_operator"]
    assert list(frame["parse_ok"]) == [True, True]
    assert frame.loc[0, "generated_code"] == "def f(x):\n    return x + 1\n"
    assert frame.loc[0, "bleu"] == pytest.approx(100.0)
    result = score(frame, short_len=20)
    assert result["exact_match"] == 0.5 and result["parse_rate"] == 1.0
    assert result["errors"]["wrong_operator"]["count"] == 1
    assert "tok:none" in result["bleu_signature"]


def test_an_emitted_unk_never_matches():
    frame = predictions_frame(TEST.head(1), [REFERENCE[:-1] + ["<unk>"]])
    assert frame.loc[0, "error_class"] == "syntax_error"
    assert score(frame, short_len=20)["exact_match"] == 0.0


def test_length_table_buckets_by_docstring_length():
    frames = {"a": predictions_frame(TEST, [REFERENCE, REFERENCE]), "b": predictions_frame(TEST, [["x"], ["x"]])}
    table = length_table(frames, edges=[5, 10])
    assert list(table["bucket"]) == ["1-5", "6-10"]
    assert list(table["max_src_len"]) == [5, 10]
    assert list(table["a_bleu"]) == pytest.approx([100.0, 100.0])
    assert list(table["b_parse_rate"]) == [1.0, 1.0]


def test_error_examples_hold_real_rows():
    frame = predictions_frame(TEST, [REFERENCE, ["def", "("]])
    examples = error_examples(frame, per_class=2)
    assert examples["correct"][0]["generated_code"].startswith("def f(x):")
    assert examples["syntax_error"][0]["generated_code"] == "def (\n"


def test_score_reports_validity_diversity_names_and_lengths():
    duplicate_args = ["def", "f", "(", "x", ",", "x", ")", ":", "<NEWLINE>", "<INDENT>", "return", "x", "+", "1"]
    renamed = ["def", "g"] + REFERENCE[2:]
    tests = pd.concat([TEST, TEST], ignore_index=True)
    frame = predictions_frame(tests, [REFERENCE, duplicate_args, renamed, REFERENCE])
    assert list(frame["parse_ok"]) == [True, True, True, True]
    assert list(frame["compile_ok"]) == [True, False, True, True]
    assert list(frame["error_class"]) == ["correct", "syntax_error", "other_mismatch", "correct"]
    result = score(frame, short_len=20)
    assert result["parse_rate"] == 1.0 and result["compile_rate"] == 0.75
    assert result["distinct_outputs"] == 0.75  # the reference twice
    assert result["function_name_accuracy"] == 0.75  # `g` for `f` once
    assert result["mean_output_length"] == 12.5 and result["mean_reference_length"] == 12.0
    # Edits: `x` -> `x , x` inserts `,` and `x` (named in that docstring), `f` -> `g` substitutes the def name.
    token_errors = result["token_errors"]
    assert token_errors["total"] == {"sub": round(1 / 48, 4), "ins": round(2 / 48, 4), "del": 0.0}
    assert token_errors["signature_name"]["sub"] == round(1 / 48, 4)
    assert token_errors["punctuation"]["ins"] == token_errors["docstring_name"]["ins"] == round(1 / 48, 4)


def test_token_error_analysis_counts_and_keeps_examples_from_short_references():
    wrong_operator = REFERENCE[:-2] + ["-", "1"]
    frame = predictions_frame(TEST, [wrong_operator, REFERENCE[:-2]])
    analysis = token_error_analysis(frame, per_type=3)
    assert analysis["reference_tokens"] == 24
    assert analysis["counts"]["operator"] == {"sub": 1, "ins": 0, "del": 1}
    assert analysis["counts"]["literal"] == {"sub": 0, "ins": 0, "del": 1}
    assert list(analysis["examples"]) == list(TOKEN_TYPES)
    operator_edits = analysis["examples"]["operator"]
    assert [(e["op"], e["reference"], e["generated"]) for e in operator_edits] == [("sub", "+", "-"),
                                                                                    ("del", "+", None)]
    assert operator_edits[0]["reference_context"].endswith("return x «+» 1")


def test_a_benchmark_bleu_is_added_only_when_asked_for():
    frame = predictions_frame(TEST, [REFERENCE, REFERENCE[:-2] + ["-", "1"]])
    assert "benchmark_bleu" not in score(frame, short_len=20)
    result = score(frame, short_len=20, benchmark="conala")
    # The detokenized code under CoNaLa's tokenizer: "def f ( x ) : return x + 1" against "... x - 1".
    assert result["benchmark_bleu"] == pytest.approx(benchmark_bleu(
        ["def f(x):\n    return x + 1\n", "def f(x):\n    return x - 1\n"],
        ["def f(x):\n    return x + 1\n"] * 2, "conala")[0], abs=0.01)
    assert 50 < result["benchmark_bleu"] < 100 and "tok:conala" in result["benchmark_bleu_signature"]
    assert headline(result)["benchmark_bleu"] == result["benchmark_bleu"]


def test_evaluate_reads_the_benchmark_bleu_choice():
    params = yaml.safe_load((Path(__file__).resolve().parent.parent / "params.yaml").read_text())
    assert from_mapping(params).evaluate.benchmark_bleu == "none"
    params["evaluate"]["benchmark_bleu"] = "codexglue"
    with pytest.raises(ParamError, match="evaluate.benchmark_bleu must be one of none, conala"):
        from_mapping(params)


def test_subset_scores_of_a_subset_and_of_no_rows():
    from lib.evaluation.scoring import subset_scores
    frame = predictions_frame(pd.DataFrame({"summary": ["a b c", "d e f"], "src": [["a", "b", "c"], ["d", "e", "f"]],
                                            "tgt": [["x", "=", "1"], ["return", "y"]]}),
                              [["x", "=", "1"], ["return", "z"]])
    frame["unknowns"] = [0, 2]
    first = subset_scores(frame, np.array([True, False]), short_len=20)
    assert first == {"rows": 1, "bleu": first["bleu"], "exact_match": 1.0, "exact_match_short": 1.0,
                     "compile_rate": 1.0, "unk_per_output": 0.0}
    assert subset_scores(frame, np.array([False, False]), short_len=20) == {"rows": 0}
