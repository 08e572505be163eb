"""Identifier sub-words: the split, the exact join, and the round trip on real functions."""
import ast
import importlib

import pytest

from lib.prepare.extract import functions_in_source, read_source
from lib.tokens.code_tokens import ast_without_docstring, detokenize, tokenize_code
from lib.tokens.subwords import join_pieces, merge_pieces, split_identifier, split_tokens
from lib.tokens.vocabulary import Vocabulary


@pytest.mark.parametrize("token, pieces", [
    ("max_value", ["max@_", "value"]),
    ("myList", ["my@@", "List"]),
    ("HTTPServer", ["HTTP@@", "Server"]),
    ("getHTTPResponse2Code", ["get@@", "HTTP@@", "Response@@", "2@@", "Code"]),
    ("SIGUSR1", ["SIGUSR@@", "1"]),
    ("float32", ["float@@", "32"]),
    ("_private_key", ["_@@", "private@_", "key"]),  # leading and trailing underscores: pieces of their own
    ("parse_args_", ["parse@_", "args@@", "_"]),
    ("_exp", ["_@@", "exp"]),
    ("__init__", ["__init__"]),  # dunder names stay whole
    ("a__b", ["a__b"]),  # a double underscore inside: whole
    ("self", ["self"]),
    ("lambda", ["lambda"]),  # keywords are never split
    ("'my_str'", ["'my_str'"]),  # string literals untouched
    ('"camelCase value"', ['"camelCase value"']),
    ("1e10", ["1e10"]),  # numbers are not identifiers
    ("<NEWLINE>", ["<NEWLINE>"]),
    ("==", ["=="]),
])
def test_split_identifier_and_join_back(token, pieces):
    assert split_identifier(token) == pieces
    assert merge_pieces(pieces) == [token]


def test_join_keeps_groups_and_ends_a_token_at_a_marker_that_cannot_continue():
    pieces, owner = split_tokens(["def", "max_value", "(", "myList", ")"])
    assert pieces == ["def", "max@_", "value", "(", "my@@", "List", ")"] and owner == [0, 1, 1, 2, 3, 3, 4]
    assert join_pieces(pieces) == (["def", "max_value", "(", "myList", ")"], [[0], [1, 2], [3], [4, 5], [6]])
    # a model may stop an identifier early: the marker's underscore stays, the next token stands alone
    assert join_pieces(["max@_", "(", "x@@"]) == (["max_", "(", "x"], [[0], [1], [2]])


def test_vocabulary_of_pieces_encodes_whole_tokens():
    vocab = Vocabulary.build([["max_value", "min_value", "myList"]], min_freq=1, max_size=100, subwords=True)
    assert "value" in vocab and "max@_" in vocab and "max_value" not in vocab
    assert vocab.decode(vocab.encode(["max_value"])) == ["max@_", "value"]
    assert vocab.oov_rate([["max_count"]]) == 0.5  # max@_ known, count unknown


def test_round_trip_of_real_functions_is_exact():
    """ast of the detokenized, re-joined pieces equals the original for >= 99.9% of standard-library functions."""
    total = exact = 0
    for name in ("inspect", "argparse", "pathlib", "difflib", "fractions", "textwrap", "configparser"):
        module = importlib.import_module(name)
        for _, code, _, _ in functions_in_source(read_source(module.__file__)):
            tokens = tokenize_code(code)
            pieces, _ = split_tokens(tokens)
            total += 1
            joined = merge_pieces(pieces)
            exact += joined == tokens and ast.dump(ast.parse(detokenize(joined))) == ast_without_docstring(code)
    assert total > 200 and exact / total >= 0.999


def test_strip_marker():
    from lib.tokens.subwords import strip_marker
    assert [strip_marker(p) for p in ("get@_", "my@@", "List", "@", "_@@")] == ["get", "my", "List", "@", "_"]
