"""Each error class on a real example, and the rules that separate neighbouring classes."""
import ast

import pytest

from lib.evaluation.alignment import similarity
from lib.evaluation.errors import (
    ERROR_CLASSES,
    OPERATORS,
    UNRELATED_BELOW,
    classify,
    free_names,
    layout_unbalanced,
    operator_counts,
    summarize,
)
from lib.evaluation.metrics import parses
from lib.tokens.code_tokens import detokenize, tokenize_code


def tokens(code: str) -> list[str]:
    return tokenize_code(code, drop_docstring=False)


REF = tokens(
    "def scale(values, factor):\n"
    "    result = []\n"
    "    for value in values:\n"
    "        if value > 0:\n"
    "            result.append(value * factor)\n"
    "    return os.path.join(result)\n"
)


def test_classes_are_ordered_as_the_rules():
    assert ERROR_CLASSES == ("correct", "indentation_error", "syntax_error", "unrelated",
                             "wrong_operator", "wrong_variable", "other_mismatch")


def test_correct():
    assert classify(REF, list(REF)) == "correct"


def test_missing_indent_after_block_opener_is_an_indentation_error():
    hyp = [t for i, t in enumerate(REF) if not (t == "<INDENT>" and i == REF.index("<INDENT>"))]
    assert classify(hyp, REF) == "indentation_error"


def test_unexpected_indent_is_an_indentation_error():
    hyp = tokens("def f(x):\n    y = x\n    return y\n")
    hyp.insert(hyp.index("return"), "<INDENT>")
    assert classify(hyp, REF) == "indentation_error"


def test_dedent_below_level_zero_that_breaks_the_parse_is_an_indentation_error():
    # detokenize clamps the level at 0, so `else` lands at top level: the parser reports a plain
    # SyntaxError, which the unbalanced layout attributes to indentation.
    hyp = ["def", "f", "(", "x", ")", ":", "<NEWLINE>", "<INDENT>", "return", "x", "<NEWLINE>",
           "<DEDENT>", "<DEDENT>", "else", ":", "<NEWLINE>", "<INDENT>", "pass"]
    assert layout_unbalanced(hyp)
    assert classify(hyp, REF) == "indentation_error"


def test_a_stray_dedent_in_code_that_still_parses_is_not_an_indentation_error():
    hyp = ["def", "f", "(", "x", ")", ":", "<NEWLINE>", "<INDENT>", "return", "x", "<NEWLINE>",
           "<DEDENT>", "<DEDENT>", "y", "=", "1"]
    assert layout_unbalanced(hyp)
    assert classify(hyp, hyp[:-4]) != "indentation_error"


def test_layout_checks():
    assert not layout_unbalanced(REF)
    assert layout_unbalanced(["x", "<DEDENT>"])
    assert layout_unbalanced(["if", "x", ":", "<NEWLINE>", "y"])
    assert layout_unbalanced(["if", "x", ":"])
    assert not layout_unbalanced(["if", "x", ":", "y"])  # one-line body


def test_syntax_error():
    hyp = REF + [")"]  # unbalanced bracket
    assert classify(hyp, REF) == "syntax_error"
    assert classify(["def", "f", "(", "<unk>", ")", ":", "<NEWLINE>", "<INDENT>", "pass"], REF) == "syntax_error"


@pytest.mark.parametrize("code", [
    "def n(n, n, n=None):\n    pass\n",  # duplicate arguments
    "def f(x):\n    y = x\nreturn y\n",  # `return` outside a function: the body ended one line early
    "nonlocal x\nx = 1\n",  # `nonlocal` at module level
])
def test_output_that_parses_but_does_not_compile_is_a_syntax_error(code):
    hyp = tokens(code)
    assert parses(detokenize(hyp))
    assert classify(hyp, REF) == "syntax_error"


def _strings(n_shared: int, n_total: int) -> tuple[list[str], list[str]]:
    """`x = 's0' 's1' ...` (implicit concatenation: compiles, no operators, no names read) as hyp and ref
    of n_total + 2 tokens each, the first n_shared strings the same: similarity (2 + n_shared) / (n_total + 2)."""
    ref = ["x", "="] + [f"'r{i}'" for i in range(n_total)]
    hyp = ["x", "="] + [f"'r{i}'" if i < n_shared else f"'h{i}'" for i in range(n_total)]
    return hyp, ref


def test_unrelated_threshold_just_below_and_above():
    at, ref = _strings(23, 48)  # 25 of 50 tokens aligned
    below, _ = _strings(22, 48)  # 24 of 50
    assert similarity(at, ref) == UNRELATED_BELOW == 0.5
    assert similarity(below, ref) == pytest.approx(0.48)
    assert classify(at, ref) == "other_mismatch"
    assert classify(below, ref) == "unrelated"


def test_a_different_function_is_unrelated_before_operators_and_names_are_compared():
    hyp = tokens("def get_name(self):\n    return self.name\n")  # shares only the def skeleton
    assert similarity(hyp, REF) < UNRELATED_BELOW
    assert classify(hyp, REF) == "unrelated"
    # An empty output compiles (an empty module) and shares nothing.
    assert classify([], REF) == "unrelated"


def test_wrong_operator():
    hyp = [">=" if t == ">" else t for t in REF]
    assert classify(hyp, REF) == "wrong_operator"
    hyp = [t for t in REF]
    hyp[hyp.index("*")] = "+"
    assert classify(hyp, REF) == "wrong_operator"


def test_operator_set():
    assert {"+", "==", "and", "not", "is", "in", "+=", "<<", "~", "//"} <= OPERATORS
    assert not {"=", ".", ",", ":", "->", ":="} & OPERATORS
    assert operator_counts(["a", "+", "b", "+", "c", "==", "d"]) == {"+": 2, "==": 1}


def test_wrong_variable_undefined_name():
    hyp = [t for t in REF]
    hyp[len(hyp) - 1 - hyp[::-1].index("result")] = "results"  # `return os.path.join(results)`
    assert classify(hyp, REF) == "wrong_variable"


def test_reading_a_name_the_reference_binds_but_the_hypothesis_does_not_is_wrong_variable():
    # `result = []` missing: the name is the reference's, yet undefined in the hypothesis.
    hyp = tokens(
        "def scale(values, factor):\n"
        "    for value in values:\n"
        "        if value > 0:\n"
        "            result.append(value * factor)\n"
        "    return os.path.join(result)\n"
    )
    assert classify(hyp, REF) == "wrong_variable"


def test_wrong_variable_foreign_attribute():
    hyp = [("extend" if t == "append" else t) for t in REF]
    assert classify(hyp, REF) == "wrong_variable"


def test_globals_of_the_reference_builtins_and_all_kinds_of_bindings_are_not_wrong_variables():
    ref = tokens(
        "def load(path, *args, **kwargs):\n"
        "    import json as js\n"
        "    with open(path) as handle:\n"
        "        data = js.load(handle)\n"
        "    try:\n"
        "        items = [k for k, _ in data.items() if k]\n"
        "    except KeyError as error:\n"
        "        raise ValueError(error)\n"
        "    def helper(n=len(args)):\n"
        "        return n\n"
        "    return os.sep, helper, items, kwargs, (total := sum(map(int, items)))\n"
    )
    # Same program with `items` and the comprehension reordered: a plain mismatch.
    hyp = list(ref)
    position = hyp.index("kwargs", hyp.index("return"))
    hyp[position - 2], hyp[position] = hyp[position], hyp[position - 2]  # items <-> kwargs in the return
    assert classify(hyp, ref) == "other_mismatch"
    assert free_names(ast.parse("def f(a):\n    return os.sep, a, len(a)\n")) == {"os"}


def test_other_mismatch():
    hyp = tokens(
        "def scale(values, factor):\n"
        "    result = []\n"
        "    for value in values:\n"
        "        if value > 0:\n"
        "            result.append(factor * value)\n"
        "    return os.path.join(result)\n"
    )
    assert classify(hyp, REF) == "other_mismatch"


def test_summarize_counts_rates_and_syntax_total():
    classes = ["correct", "syntax_error", "indentation_error", "indentation_error", "other_mismatch"]
    summary = summarize(classes)
    assert list(summary) == list(ERROR_CLASSES) + ["syntax_error_total"]
    assert summary["unrelated"] == {"count": 0, "rate": 0.0}
    assert summary["indentation_error"] == {"count": 2, "rate": 0.4}
    assert summary["wrong_operator"] == {"count": 0, "rate": 0.0}
    assert summary["syntax_error_total"] == {"count": 3, "rate": pytest.approx(0.6)}
    assert sum(summary[c]["count"] for c in ERROR_CLASSES) == len(classes)
    with pytest.raises(ValueError):
        summarize(["typo"])
