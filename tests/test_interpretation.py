"""Interpretation numbers on hand-made attention matrices whose answers are known."""
import numpy as np
import pandas as pd
import pytest

from lib.study.interpretation import (
    as_matrix,
    attention_examples,
    choose_examples,
    probe_attention,
    probe_corpus,
    shares_subword,
    strongest_source,
    subword_alignment_rate,
    with_eos,
)


def test_strongest_source_picks_row_argmax():
    src = ["return", "maximum", "value"]
    tgt = ["return", "max", "x"]
    weights = [[0.7, 0.2, 0.1],
               [0.1, 0.8, 0.1],
               [0.2, 0.3, 0.5]]
    assert strongest_source(weights, src, tgt) == [("return", "return", 0.7), ("max", "maximum", 0.8),
                                                   ("x", "value", 0.5)]


def test_strongest_source_accepts_parquet_style_nested_arrays():
    weights = np.empty(2, dtype=object)
    weights[0], weights[1] = np.array([0.9, 0.1]), np.array([0.4, 0.6])
    assert [s for _, s, _ in strongest_source(weights, np.array(["a", "b"]), ["x", "y"])] == ["a", "b"]


def test_shape_mismatch_is_an_error():
    with pytest.raises(ValueError, match="tgt_len, src_len"):
        as_matrix([[0.5, 0.5]], ["a", "b", "c"], ["x"])
    with pytest.raises(ValueError):
        with_eos(np.ones((1, 5)), ["a", "b", "c"], ["x"])  # two extra columns: not an EOS


def test_eos_column_and_row_are_labelled():
    weights = [[0.1, 0.2, 0.7], [0.6, 0.3, 0.1], [0.2, 0.2, 0.6]]  # [tgt + EOS, src + EOS]
    matrix, src, tgt = with_eos(weights, ["a", "b"], ["x", "y"])
    assert matrix.shape == (3, 3) and src == ["a", "b", "<eos>"] and tgt == ["x", "y", "<eos>"]
    assert strongest_source(weights, ["a", "b"], ["x", "y"])[0] == ("x", "<eos>", 0.7)
    with pytest.raises(ValueError):
        as_matrix(weights, ["a", "b"], ["x", "y"])  # as_matrix stays exact
    assert not shares_subword("eos", "<eos>")  # specials match nothing


@pytest.mark.parametrize("identifier, word, expected", [
    ("max", "maximum", True),        # prefix of length 3
    ("maximum", "max", True),        # either direction
    ("file", "filename", True),
    ("file_path", "path", True),     # shared piece after splitting
    ("getUserName", "user", True),   # camelCase piece
    ("x", "x", True),                # equal pieces match at any length
    ("is", "isdir", False),          # prefix too short
    ("size", "resize", False),       # not a prefix
    ("path", ".", False),            # punctuation shares nothing
])
def test_shares_subword_rules(identifier, word, expected):
    assert shares_subword(identifier, word) is expected


def test_alignment_rate_counts_identifiers_and_chance():
    src = ["return", "the", "maximum", "path"]
    # identifiers: max (row 1), path (row 3); keywords/punctuation rows are ignored.
    tgt = ["return", "max", "(", "path", ")"]
    weights = np.full((5, 4), 0.1)
    weights[1, 2] = 0.7   # max -> maximum: aligned
    weights[3, 1] = 0.7   # path -> the: not aligned
    result = subword_alignment_rate([(weights, src, tgt)], seed=0)
    assert result["identifiers"] == 2 and result["aligned"] == 1
    assert result["rate"] == 0.5
    # each identifier matches 1 of 4 docstring positions
    assert result["chance_rate"] == pytest.approx(0.25)
    assert result["oracle_rate"] == 1.0 and result["rate_when_matchable"] == 0.5
    assert 0 <= result["random_rate"] <= 1 and result["examples"] == 1


def test_alignment_random_baseline_is_seeded_and_near_chance():
    rng = np.random.default_rng(1)
    src = ["compute", "the", "file", "size", "of", "path"]
    examples = [(rng.dirichlet(np.ones(6), size=3), src, ["file_size", "x", "path"]) for _ in range(300)]
    first, second = subword_alignment_rate(examples, seed=3), subword_alignment_rate(examples, seed=3)
    assert first == second
    assert first["random_rate"] == pytest.approx(first["chance_rate"], abs=0.05)
    assert first["p_value"] > 0.01  # random attention is not called above chance


def test_alignment_perfect_attention_is_significant():
    src = ["open", "the", "file", "and", "read", "it"]
    tgt = ["f", "=", "open", "(", "file", ")"]
    weights = np.eye(6)[[1, 1, 0, 1, 2, 1]]  # open -> open, file -> file
    result = subword_alignment_rate([(weights, src, tgt)] * 20)
    assert result["rate"] == pytest.approx(2 / 3)  # f is an identifier with no match
    assert result["p_value"] < 1e-6


def test_alignment_without_identifiers_gives_none():
    result = subword_alignment_rate([([[1.0]], ["a"], [">"])])
    assert result["identifiers"] == 0 and result["rate"] is None and result["p_value"] is None


def test_probe_ratio_is_eight():
    src = ["return", "the", "maximum"]
    tgt = ["return", "max", "(", "a", ")"]
    weights = np.array([[0.8, 0.1, 0.1],
                        [0.1, 0.1, 0.8],
                        [0.8, 0.1, 0.1],
                        [0.8, 0.1, 0.1],
                        [0.8, 0.1, 0.1]])
    probe = probe_attention(weights, src, tgt, word="maximum", targets=("max", ">", ">="))
    assert probe["target_mean"] == pytest.approx(0.8) and probe["other_mean"] == pytest.approx(0.1)
    assert probe["ratio"] == pytest.approx(8.0)
    assert probe["target_rows"] == 1 and probe["other_rows"] == 4 and probe["reason"] is None


def test_probe_handles_missing_word_and_targets():
    absent = probe_attention([[1.0]], ["minimum"], ["max"])
    assert absent["ratio"] is None and absent["target_mean"] is None and "not in the docstring" in absent["reason"]
    no_target = probe_attention([[1.0], [1.0]], ["maximum"], ["min", "x"])
    assert no_target["ratio"] is None and no_target["other_mean"] == 1.0 and "no generated token" in no_target["reason"]


def test_probe_corpus_pools_rows_of_examples_with_the_word():
    with_word = (np.array([[0.9, 0.1], [0.2, 0.8]]), ["maximum", "x"], [">", "x"])
    without = (np.array([[1.0]]), ["y"], ["max"])
    probe = probe_corpus([with_word, without, with_word])
    assert probe["examples"] == 2 and probe["target_rows"] == 2 and probe["other_rows"] == 2
    assert probe["ratio"] == pytest.approx(0.9 / 0.2)


def _predictions():
    lengths = [3, 4, 5, 6, 7, 8, 9, 10, 11]
    bleu = [10.0, 50.0, 50.0, 5.0, 80.0, 90.0, 40.0, 40.0, 99.0]
    parse = [True, True, True, True, True, False, True, True, False]
    return pd.DataFrame({
        "summary": [f"s{i}" for i in range(9)],
        "src": [["w"] * n for n in lengths],
        "reference": [["r"] * (3 if i == 2 else 5) for i in range(9)],
        "hypothesis": [["h"] for _ in range(9)],
        "generated_code": ["x" * (9 - i) for i in range(9)],
        "reference_code": ["y"] * 9,
        "bleu": bleu, "parse_ok": parse,
        "error_class": ["correct", "syntax_error", "syntax_error"] * 3,
    }, index=[f"row{i}" for i in range(9)])


def test_length_terciles_choose_best_parsing_row_per_third():
    chosen = choose_examples(_predictions(), "length_terciles")
    # thirds: rows 0-2, 3-5, 6-8; row 2 beats row 1 (same BLEU) by its shorter reference;
    # rows 5 and 8 have the top BLEU of their thirds but do not parse.
    assert list(chosen.index) == ["row2", "row4", "row6"]
    assert list(chosen["choice"]) == ["short", "medium", "long"]


def test_length_terciles_fall_back_to_all_rows_where_nothing_parses():
    chosen = choose_examples(_predictions().assign(parse_ok=False), "length_terciles")
    assert list(chosen.index) == ["row2", "row5", "row8"]


def test_choice_is_deterministic_and_independent_of_row_order():
    table = _predictions()
    shuffled = table.sample(frac=1, random_state=0)
    for rule in ("length_terciles", "best", "worst"):
        first = choose_examples(table, rule, n=2)
        assert first.equals(choose_examples(table, rule, n=2))
    # different order, same lengths/BLEU: same rows except where only the position breaks a tie
    assert set(choose_examples(shuffled, "best", n=2).index) == {"row8", "row5"}


def test_best_worst_and_per_class():
    table = _predictions()
    assert list(choose_examples(table, "best", n=2).index) == ["row8", "row5"]
    assert list(choose_examples(table, "worst", n=1).index) == ["row3"]
    per_class = choose_examples(table, "per_error_class", n=1)
    # shortest generated code of each class
    assert dict(zip(per_class["choice"], per_class.index)) == {"correct": "row6", "syntax_error": "row8"}
    with pytest.raises(ValueError):
        choose_examples(table, "random")


def test_attention_examples_reads_a_predictions_table():
    table = pd.DataFrame({"src": [["a", "b"]], "hypothesis": [["x"]], "attention": [[[0.3, 0.7]]]})
    [(weights, src, tgt)] = attention_examples(table)
    assert src == ["a", "b"] and tgt == ["x"] and strongest_source(weights, src, tgt)[0][1] == "b"
