"""Metrics on hand-made token sequences with known answers."""
import math
from collections import Counter

import pytest

from lib.evaluation.metrics import (
    benchmark_bleu,
    benchmark_bleu_of_tokens,
    bleu_interval,
    bleu_segment,
    bucket_labels,
    bucket_metrics,
    compile_error,
    compile_rate,
    compiles,
    conala_bleu_tokens,
    corpus_bleu,
    distinct_outputs,
    exact_match,
    function_name,
    function_name_accuracy,
    length_buckets,
    mean_length,
    paired_bootstrap,
    parse_rate,
    parses,
    positional_accuracy,
    sentence_bleu,
    token_compile_rate,
    token_parse_rate,
)
from lib.tokens.code_tokens import tokenize_code

CODE = tokenize_code("def f(x):\n    if x > 0:\n        return 'a b'\n    return x - 1\n", drop_docstring=False)


def test_bleu_of_identical_sequences_is_100_and_signature_names_the_tokenizer():
    score, signature = corpus_bleu([CODE, CODE], [CODE, CODE])
    assert score == pytest.approx(100.0)
    assert "tok:none" in signature and "nrefs:1" in signature


def test_bleu_of_disjoint_sequences_is_0():
    assert corpus_bleu([["a", "b", "c", "d"]], [["w", "x", "y", "z"]])[0] == 0.0
    assert sentence_bleu(["a", "b", "c", "d"], ["w", "x", "y", "z"]) == 0.0


def test_a_token_with_spaces_stays_one_bleu_token():
    assert bleu_segment(["return", "'a b'"]) == "return 'a\u2581b'"
    # Had the space survived, "'a" and "b'" would be two tokens and match these hypotheses' halves.
    assert corpus_bleu([["'a", "b'"]], [["'a b'"]])[0] == 0.0
    assert sentence_bleu(["'a b'"], ["'a b'"]) == pytest.approx(100.0)


def test_sentence_bleu_is_smoothed_and_between_0_and_100():
    score = sentence_bleu(["return", "x", "+", "1"], ["return", "x", "-", "1"])
    assert 0.0 < score < 100.0


def test_exact_match_counts_equal_sequences_and_filters_by_reference_length():
    refs = [["a"], ["b", "c"], ["d", "e", "f"]]
    hyps = [["a"], ["b", "x"], ["d", "e", "f"]]
    assert exact_match(hyps, refs) == pytest.approx(2 / 3)
    assert exact_match(hyps, refs, max_ref_len=2) == pytest.approx(1 / 2)
    assert math.isnan(exact_match(hyps, refs, max_ref_len=0))


def test_positional_accuracy_is_micro_averaged_over_the_longer_sequence():
    # 2 of max(3, 4) = 4 positions, then 1 of max(2, 1) = 2: 3 / 6.
    hyps = [["a", "b", "x"], ["c", "d"]]
    refs = [["a", "b", "c", "d"], ["c"]]
    assert positional_accuracy(hyps, refs) == pytest.approx(3 / 6)
    # A shifted sequence matches nowhere even though every token is right.
    assert positional_accuracy([["x", "a", "b"]], [["a", "b"]]) == 0.0


def test_parse_rate_of_good_and_bad_code():
    assert parses("def f(x):\n    return x\n")
    assert not parses("def f(x):\nreturn x\n")
    assert not parses("def f(x:\n    return x\n")
    assert not parses("x = '\0'\x00")
    assert parse_rate(["x = 1\n", "x = (\n", "y = 2\n", "if x\n"]) == 0.5
    assert token_parse_rate([CODE, CODE[:-1]])  # ends in "return x -" == 0.5


@pytest.mark.parametrize(("code", "message"), [
    ("def n(n, n, n=None):\n    pass\n", "duplicate argument"),
    ("x = 1\nreturn x\n", "'return' outside function"),
    ("nonlocal total\n", "nonlocal declaration not allowed at module level"),
    ("def f():\n    nonlocal total\n", "no binding for nonlocal"),
    ("for x in y:\n    pass\nbreak\n", "'break' outside loop"),
])
def test_code_that_parses_but_does_not_compile(code, message):
    assert parses(code)
    assert not compiles(code)
    assert message in compile_error(code).msg


def test_compile_rate_is_at_most_the_parse_rate():
    codes = ["def f(x):\n    return x\n", "return 1\n", "def f(x:\n", "def f(a, a):\n    pass\n"]
    assert parse_rate(codes) == 0.75
    assert compile_rate(codes) == 0.25
    assert compile_error(codes[0]) is None and compiles("")  # an empty module compiles
    assert isinstance(compile_error("x = '\0'\x00"), SyntaxError)  # null byte: ValueError, reported as SyntaxError
    assert token_compile_rate([CODE, ["return", "x"]]) == 0.5
    assert math.isnan(compile_rate([]))


def test_distinct_outputs_is_the_share_of_different_programs():
    assert distinct_outputs([["a"], ["a"], ["b"], ["a", "b"]]) == 0.75
    assert distinct_outputs([["pass"]] * 4) == 0.25
    assert math.isnan(distinct_outputs([]))


def test_function_name_accuracy_compares_def_names_where_the_reference_has_one():
    assert function_name(["async", "def", "fetch", "(", ")", ":"]) == "fetch"
    assert function_name(["x", "=", "1"]) is None and function_name(["def"]) is None
    refs = [["def", "size", "(", ")"], ["def", "load", "(", ")"], ["def", "save", "(", ")"], ["x", "=", "1"]]
    hyps = [["def", "size", "(", "x", ")"], ["def", "read", "(", ")"], ["return", "1"], ["def", "x", "(", ")"]]
    # size right, read wrong, no def wrong; the reference without a def is left out.
    assert function_name_accuracy(hyps, refs) == pytest.approx(1 / 3)
    assert math.isnan(function_name_accuracy([["def", "f"]], [["x"]]))


def test_mean_length():
    assert mean_length([["a"], ["a", "b", "c"]]) == 2.0
    assert math.isnan(mean_length([]))


def test_lengths_mismatch_is_an_error():
    with pytest.raises(ValueError):
        exact_match([["a"]], [])


def _systems():
    refs = [[f"t{i}", "=", f"v{i}", "+", "1", "<NEWLINE>", "return", f"t{i}"] for i in range(60)]
    good = [list(r) for r in refs]
    good[::4] = [r[:4] + ["-"] + r[5:] for r in refs[::4]]  # a quarter of them one token off
    bad = [["x", "=", "y", "*", "2", "<NEWLINE>", "return", "z"] for _ in refs]
    return refs, good, bad


def test_bootstrap_of_identical_systems_gives_no_difference():
    refs, good, _ = _systems()
    result = paired_bootstrap(good, good, refs, n_resamples=200, seed=1)
    assert result["delta"] == 0.0 and result["mean_delta"] == 0.0
    assert result["ci_low"] == result["ci_high"] == 0.0
    assert result["p_value"] == 1.0  # A is never better than itself


def test_bootstrap_finds_a_clearly_better_system_and_matches_corpus_bleu():
    refs, good, bad = _systems()
    result = paired_bootstrap(good, bad, refs, n_resamples=200, seed=1)
    assert result["bleu_a"] == pytest.approx(corpus_bleu(good, refs)[0])
    assert result["bleu_b"] == pytest.approx(corpus_bleu(bad, refs)[0])
    assert result["p_value"] < 0.05
    assert 0 < result["ci_low"] <= result["mean_delta"] <= result["ci_high"]
    reverse = paired_bootstrap(bad, good, refs, n_resamples=200, seed=1)
    assert reverse["p_value"] == 1.0 and reverse["delta"] == pytest.approx(-result["delta"])


def test_bootstrap_is_deterministic_for_a_seed():
    refs, good, bad = _systems()
    mixed = [g if i % 2 else b for i, (g, b) in enumerate(zip(good, bad))]
    first = paired_bootstrap(good, mixed, refs, n_resamples=100, seed=7)
    assert first == paired_bootstrap(good, mixed, refs, n_resamples=100, seed=7)


def test_bleu_interval_brackets_corpus_bleu_and_is_empty_for_a_perfect_system():
    refs, good, bad = _systems()
    mixed = [g if i % 2 else b for i, (g, b) in enumerate(zip(good, bad))]
    low, high = bleu_interval(mixed, refs, n_resamples=200, seed=1)
    assert low < corpus_bleu(mixed, refs)[0] < high
    assert bleu_interval(mixed, refs, n_resamples=200, seed=1) == (low, high)
    assert bleu_interval(refs, refs, n_resamples=50, seed=1) == pytest.approx((100.0, 100.0))
    with pytest.raises(ValueError):
        bleu_interval([], [])


def test_length_buckets_close_on_their_edge():
    assert bucket_labels([5, 10, 20, 50]) == ["1-5", "6-10", "11-20", "21-50", "51+"]
    assert length_buckets([1, 5, 6, 10, 11, 20, 21, 50, 51, 0], [5, 10, 20, 50]) == [
        "1-5", "1-5", "6-10", "6-10", "11-20", "11-20", "21-50", "21-50", "51+", "0"]
    with pytest.raises(ValueError):
        bucket_labels([10, 5])


def test_bucket_metrics_per_bucket():
    refs = [["x"], ["y", "=", "1"], ["a", "b", "c", "d", "e", "f", "g"]]
    hyps = [["x"], ["y", "=", "2"], ["a", "b", "c", "d", "e", "f", "g"]]
    rows = bucket_metrics(hyps, refs, edges=[3, 5])
    assert [(r["bucket"], r["count"]) for r in rows] == [("1-3", 2), ("4-5", 0), ("6+", 1)]
    short, empty, long = rows
    assert short["exact_match"] == 0.5 and short["positional_accuracy"] == pytest.approx(3 / 4)
    assert short["parse_rate"] == 1.0
    assert empty["bleu"] is None and empty["parse_rate"] is None
    assert long["bleu"] == pytest.approx(100.0) and long["exact_match"] == 1.0
    # Bucketing by other lengths (e.g. the source's) moves examples between buckets.
    by_source = bucket_metrics(hyps, refs, edges=[3, 5], lengths=[6, 6, 6])
    assert [r["count"] for r in by_source] == [0, 0, 3]


def test_sentence_bleu_equals_sacrebleus_sentence_bleu():
    import sacrebleu
    hyp, ref = ["return", "x", "+", "1", "<NEWLINE>"], ["return", "x", "-", "1", "<NEWLINE>"]
    expected = sacrebleu.sentence_bleu(" ".join(hyp), [" ".join(ref)], tokenize="none").score
    assert sentence_bleu(hyp, ref) == pytest.approx(expected)


def test_conala_tokenization_splits_symbols_and_camel_case_and_unifies_quotes():
    assert conala_bleu_tokens('df.groupBy("a")') == ["df", ".", "group", "By", "(", "`", "a", "`", ")"]
    assert conala_bleu_tokens("x_1  =\n 'b c'") == ["x_1", "=", "`", "b", "c", "`"]
    assert conala_bleu_tokens("HTTPServer") == ["HTTPServer"]  # only lower-to-upper splits


def reference_bleu(hypotheses: list[list[str]], references: list[list[str]]) -> float:
    """Corpus BLEU-4 as CoNaLa's bleu_score.compute_bleu defines it (one reference, no smoothing), in 0-100."""
    matches, possible, hyp_len, ref_len = [0] * 4, [0] * 4, 0, 0
    for hyp, ref in zip(hypotheses, references):
        hyp_len, ref_len = hyp_len + len(hyp), ref_len + len(ref)
        for n in range(1, 5):
            hyp_ngrams = Counter(tuple(hyp[i:i + n]) for i in range(len(hyp) - n + 1))
            ref_ngrams = Counter(tuple(ref[i:i + n]) for i in range(len(ref) - n + 1))
            matches[n - 1] += sum((hyp_ngrams & ref_ngrams).values())
            possible[n - 1] += max(len(hyp) - n + 1, 0)
    precisions = [m / p if p else 0.0 for m, p in zip(matches, possible)]
    if min(precisions) == 0:
        return 0.0
    brevity = 1.0 if hyp_len > ref_len else math.exp(1 - ref_len / hyp_len)
    return 100 * brevity * math.exp(sum(math.log(p) for p in precisions) / 4)


def test_benchmark_bleu_is_conalas_corpus_bleu_without_smoothing():
    hypotheses = ["sorted(a, key=lambda x: x[1])", 'print("hi")', "os.listdir(path)"]
    references = ["sorted(a, key=lambda t: t[1])", "print('hello')", "os.listdir('.')"]
    score, signature = benchmark_bleu(hypotheses, references, "conala")
    expected = reference_bleu([conala_bleu_tokens(h) for h in hypotheses], [conala_bleu_tokens(r) for r in references])
    assert score == pytest.approx(expected, abs=1e-9) and 40 < score < 70
    assert signature.startswith("nrefs:1|") and "|tok:conala|smooth:none|" in signature
    # No smoothing: a corpus without a single 4-gram match scores 0, where corpus_bleu's smoothing would not.
    assert benchmark_bleu(["x = 1"], ["x = 1"], "conala")[0] == 0.0


def test_benchmark_bleu_of_tokens_scores_the_detokenized_code():
    hypothesis = ["print", "(", "'a'", ")", "<NEWLINE>", "x", "=", "1"]
    reference = ["print", "(", '"a"', ")", "<NEWLINE>", "x", "=", "1"]
    assert benchmark_bleu_of_tokens([hypothesis], [reference], "conala")[0] == pytest.approx(100.0)
    assert math.isnan(benchmark_bleu([], [], "conala")[0])
