"""Identifier sub-words: the split, the exact join, and the round trip on real functions."""
import ast
import importlib
import re

import pytest

from lib.prepare.extract import functions_in_source, read_source
from lib.tokens.code_tokens import ast_without_docstring, detokenize, tokenize_code
from lib.tokens.subwords import join_pieces, merge_pieces, spell, split_identifier, split_tokens, strip_marker
from lib.tokens.vocabulary import UNK_ID, Vocabulary


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
    assert [strip_marker(p) for p in ("get@_", "my@@", "List", "@", "_@@")] == ["get", "my", "List", "@", "_"]


KNOWN = {"get@@", "context", "context@_", "round", "round@@", "_@@", "_", "x", "x@@", "a@@", "b", "Look@@", "up",
         "max@_", "m@@", "i@@", "u@@", "m", "5"}


@pytest.mark.parametrize("piece, spelled", [
    ("getcontext", ["get@@", "context"]),
    ("getcontext@_", ["get@@", "context@_"]),  # the piece's own marker stays on its last spelled piece
    ("round@_", ["round@@", "_@@"]),  # `@_` is an underscore that goes on: `round@@ _@@`
    ("Lookup", ["Look@@", "up"]),
    ("__x", ["_@@", "_@@", "x"]),
    ("xab", ["x@@", "a@@", "b"]),
    ("x5", ["x@@", "5"]),
    ("maximum", ["m@@", "a@@", "x@@", "i@@", "m@@", "u@@", "m"]),  # `max@_` goes on with `_`: no use here
])
def test_spell_writes_an_unknown_piece_with_the_fewest_known_pieces(piece, spelled):
    assert spell(piece, KNOWN) == spelled
    assert merge_pieces([*spelled, "y"]) == merge_pieces([piece, "y"])  # joins back, marker included


def test_spell_leaves_what_is_not_a_word_piece_or_has_an_unknown_character():
    assert spell("'ab'", KNOWN | {"'", "a", "b"}) is None  # strings stay whole
    assert spell("x+", KNOWN) is None
    assert spell("xq", KNOWN) is None  # no piece writes `q`
    assert spell("ab", {"a@@", "ab@@", "b"}) == ["a@@", "b"]  # `ab@@` goes on: it cannot end the piece


def test_a_spelling_vocabulary_writes_every_identifier_of_its_training_data():
    train = [["def", "get_value", "(", "myList", ")"], ["return", "getValue", "+", "'s'"]] * 2
    vocab = Vocabulary.build(train + [["rare_thing"]], min_freq=2, max_size=100, subwords=True, spelling=True)
    assert "thing" not in vocab and {"t", "t@@", "_", "_@@"} <= set(vocab.itos)  # the alphabet of every piece
    ids = vocab.encode(["rare_thing", "'other'"], bos_eos=True)
    assert ids.count(UNK_ID) == 1  # the string cannot be spelled
    assert merge_pieces(vocab.decode(ids)) == ["rare_thing", "<unk>"]
    assert vocab.oov_rate([["rare_thing", "'other'"]]) == pytest.approx(1 / 3)  # rare@_, thing, 'other'
    plain = Vocabulary.build(train + [["rare_thing"]], min_freq=2, max_size=100, subwords=True)
    assert plain.encode(["rare_thing"]) == [UNK_ID, UNK_ID] and "t" not in plain


def test_spelled_real_functions_decode_to_the_same_tokens():
    """Real functions encoded with a small spelling vocabulary (many pieces spelled) decode to the same tokens;
    only literals and operators it lacks are UNK."""
    functions = [tokenize_code(code) for name in ("textwrap", "fractions", "difflib")
                 for _, code, _, _ in functions_in_source(read_source(importlib.import_module(name).__file__))]
    vocab = Vocabulary.build(functions, min_freq=5, max_size=500, subwords=True, spelling=True)
    writable = [tokens for tokens in functions if UNK_ID not in vocab.encode(tokens)]
    spelled = [tokens for tokens in writable if len(vocab.encode(tokens)) > len(vocab.pieces(tokens))]
    assert len(spelled) > 20
    for tokens in writable:
        assert merge_pieces(vocab.decode(vocab.encode(tokens))) == tokens
    for tokens in functions:
        pieces = vocab.pieces(tokens)
        unknown = [p for p, ids in zip(pieces, map(vocab.piece_ids, pieces)) if ids == [UNK_ID]]
        assert not any(re.fullmatch(r"\w+", strip_marker(p)) for p in unknown), unknown  # literals, operators
