import ast
import importlib
import textwrap

import pytest

from lib.prepare.extract import functions_in_source, read_source
from lib.tokens.code_tokens import DEDENT, INDENT, NEWLINE, CodeError, ast_without_docstring, detokenize, tokenize_code

STDLIB_MODULES = ("inspect", "textwrap", "ast", "argparse", "pathlib", "shutil", "tarfile", "zipfile",
                  "configparser", "email.message", "difflib", "fractions")
METHOD = '''def area(self, scale=1):
        """Area of the shape.

        Longer text.
        """
        # a comment
        total = (self.width *
                 self.height)
        return total * scale'''


def test_docstring_comments_and_line_continuations_are_dropped():
    assert tokenize_code(METHOD) == [
        "def", "area", "(", "self", ",", "scale", "=", "1", ")", ":", NEWLINE,
        INDENT, "total", "=", "(", "self", ".", "width", "*", "self", ".", "height", ")", NEWLINE,
        "return", "total", "*", "scale",
    ]


def test_docstring_can_be_kept():
    assert '"""Area of the shape.' in " ".join(tokenize_code(METHOD, drop_docstring=False))


def test_detokenize_reads_like_python():
    assert detokenize(tokenize_code(METHOD)) == textwrap.dedent("""\
        def area(self, scale=1):
            total = (self.width * self.height)
            return total * scale
        """)


def test_detokenize_of_nested_blocks_and_dedent_below_zero():
    tokens = ["if", "x", ":", NEWLINE, INDENT, "if", "y", ":", NEWLINE, INDENT, "a", NEWLINE,
              DEDENT, DEDENT, DEDENT, "b"]
    assert detokenize(tokens) == "if x:\n    if y:\n        a\nb\n"


def test_detokenize_keeps_number_attribute_apart():
    assert ast.parse(detokenize(["x", "=", "1", ".", "real"]))


def test_body_with_only_a_docstring_is_rejected():
    with pytest.raises(CodeError, match="only a docstring"):
        tokenize_code('def f():\n    """Doc."""\n')


def test_unparseable_code_is_rejected():
    with pytest.raises(CodeError):
        tokenize_code("def f(:\n    return 1\n")


def test_snippets_without_function_keep_everything():
    assert tokenize_code("x = [i for i in y]  # note") == ["x", "=", "[", "i", "for", "i", "in", "y", "]"]


def test_round_trip_on_standard_library_functions():
    """At least 99% of real functions come back with the same AST, docstring removed."""
    total = same = 0
    for name in STDLIB_MODULES:
        for _, code, _, _ in functions_in_source(read_source(importlib.import_module(name).__file__)):
            try:
                tokens = tokenize_code(code)
            except CodeError:
                continue
            total += 1
            same += ast.dump(ast.parse(detokenize(tokens))) == ast_without_docstring(code)
    assert total > 400
    assert same / total >= 0.99
