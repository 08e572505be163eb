"""Token alignment on hand-made pairs whose edits are known, and the token-type rules."""
import pytest

from lib.evaluation.alignment import (
    EDIT_OPS,
    TOKEN_TYPES,
    DocstringNames,
    align,
    corpus_counts,
    count_edits,
    edit_examples,
    edit_rates,
    signature_names,
    similarity,
    token_type,
)
from lib.tokens.code_tokens import tokenize_code


def tokens(code: str) -> list[str]:
    return tokenize_code(code, drop_docstring=False)


REF = tokens("def scale(values, factor):\n    return [v * factor for v in values if v > 0]\n")
SRC = ["scale", "the", "values", "by", "a", "factor"]


def edits_of(hyp, ref=REF, src=SRC) -> list[tuple]:
    return [(e.op, e.token_type, e.reference, e.generated) for e in align(hyp, ref, src)]


def test_identical_sequences_have_no_edits():
    assert align(REF, REF, SRC) == []
    assert similarity(REF, REF) == 1.0


def test_one_substitution_is_typed_by_the_reference_token():
    hyp = ["+" if t == "*" else t for t in REF]
    assert edits_of(hyp) == [("sub", "operator", "*", "+")]


def test_a_missing_tail_is_deletions_and_an_extra_token_an_insertion():
    # `if v > 0` dropped: four deletions, one per reference token, each with its own type.
    hyp = tokens("def scale(values, factor):\n    return [v * factor for v in values]\n")
    assert edits_of(hyp) == [("del", "keyword", "if", None), ("del", "other_name", "v", None),
                             ("del", "operator", ">", None), ("del", "literal", "0", None)]
    # An inserted token takes the output token's type.
    extra = REF[:-1] + ["+", "1", "]"]
    assert edits_of(extra) == [("ins", "operator", None, "+"), ("ins", "literal", None, "1")]


def test_a_replace_block_pairs_tokens_then_leaves_the_rest_as_deletions():
    ref = ["return", "a", "+", "b", "*", "c"]
    hyp = ["return", "x", "<NEWLINE>"]
    # SequenceMatcher keeps `return`; the block [a + b * c] -> [x <NEWLINE>] gives 2 subs and 3 deletions.
    assert edits_of(hyp, ref, []) == [("sub", "other_name", "a", "x"), ("sub", "operator", "+", "<NEWLINE>"),
                                      ("del", "other_name", "b", None), ("del", "operator", "*", None),
                                      ("del", "other_name", "c", None)]


def test_counts_and_rates_per_reference_token():
    hyp = tokens("def scale(items, n):\n    return [v + n for v in items]\n")
    counts, reference_tokens = corpus_counts([hyp, REF], [REF, REF], [SRC, SRC])
    assert reference_tokens == 2 * len(REF) == 48
    # values->items and factor->n twice each (all four named in the docstring), * -> +, and `if v > 0` dropped.
    assert counts["docstring_name"] == {"sub": 4, "ins": 0, "del": 0}
    assert counts["operator"] == {"sub": 1, "ins": 0, "del": 1}
    assert counts["keyword"]["del"] == counts["other_name"]["del"] == counts["literal"]["del"] == 1
    assert counts["layout"] == counts["punctuation"] == counts["signature_name"] == {"sub": 0, "ins": 0, "del": 0}
    rates = edit_rates(counts, reference_tokens)
    assert list(rates) == ["total", *TOKEN_TYPES] and all(list(r) == list(EDIT_OPS) for r in rates.values())
    assert rates["total"] == {"sub": round(5 / 48, 4), "ins": 0.0, "del": round(4 / 48, 4)}
    assert rates["docstring_name"]["sub"] == round(4 / 48, 4)
    assert edit_rates(count_edits([]), 0)["total"]["sub"] is None


def test_names_from_the_signature_and_elsewhere():
    # No docstring: `scale`, `values`, `factor` are the signature's names, `v` is another name.
    hyp = tokens("def resize(values, size):\n    return [w * size for v in values if v > 0]\n")
    assert edits_of(hyp, REF, []) == [("sub", "signature_name", "scale", "resize"),
                                      ("sub", "signature_name", "factor", "size"),
                                      ("sub", "other_name", "v", "w"), ("sub", "signature_name", "factor", "size")]


def test_signature_names_skip_annotations_and_defaults():
    ref = tokens("def f(self, n: int = len, *args, key=None, **kw) -> str:\n    return g(n)\n")
    assert signature_names(ref) == {"f", "self", "n", "args", "key", "kw"}
    assert signature_names(["x", "=", "1"]) == set()


def test_docstring_names_match_ignoring_case_or_by_a_long_enough_sub_word():
    names = DocstringNames(["return", "the", "maximum", "X", "of", "a", "fileName", "is", "it"])
    assert "x" in names and "A" in names  # whole token, any case
    assert "max_len" in names  # max ~ maximum (prefix, 3 letters)
    assert "file_path" in names and "FILENAME" in names
    assert "is_ok" not in names and "item" not in names  # "is", "it": pieces under 3 letters
    assert "result" not in names
    assert "sha256" not in DocstringNames(["256"])  # digit runs are no pieces


@pytest.mark.parametrize(("token", "expected"), [
    ("<NEWLINE>", "layout"), ("<DEDENT>", "layout"), ("+=", "operator"), ("not", "operator"),
    ("in", "operator"), ("'a b'", "literal"), ("rb'x'", "literal"), ('f"{x}"', "literal"), ("0x1F", "literal"),
    (".5", "literal"), ("None", "literal"), ("...", "literal"), ("def", "keyword"), ("return", "keyword"),
    ("(", "punctuation"), (".", "punctuation"), ("=", "punctuation"), ("->", "punctuation"),
    ("<unk>", "punctuation"), ("values", "docstring_name"), ("factor", "signature_name"), ("tmp", "other_name"),
])
def test_token_types(token, expected):
    assert token_type(token, DocstringNames(["values"]), {"scale", "factor"}) == expected


def test_examples_show_each_edit_in_context_one_per_program_and_type():
    hyp = ["+" if t == "*" else t for t in REF]
    other = tokens("def scale(values, factor):\n    return [v - factor for v in values if v > 0]\n")
    examples = edit_examples([hyp, other], [REF, REF], [SRC, SRC], ["first", "second"], per_type=1)
    assert list(examples) == list(TOKEN_TYPES)
    assert examples["operator"] == [{
        "summary": "first", "op": "sub", "type": "operator", "reference": "*", "generated": "+",
        "reference_context": ": <NEWLINE> <INDENT> return [ v «*» factor for v in values if",
        "generated_context": ": <NEWLINE> <INDENT> return [ v «+» factor for v in values if"}]
    assert examples["layout"] == []
    deletion = edit_examples([REF[:-1]], [REF], [SRC], ["s"], per_type=2)["punctuation"][0]
    assert (deletion["op"], deletion["reference"], deletion["generated"]) == ("del", "]", None)
    assert deletion["generated_context"].endswith("v > 0 «»")
