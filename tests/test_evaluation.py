import pandas as pd
import pytest

from lib.evaluation.scoring import error_examples, length_table, predictions_frame, score

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
