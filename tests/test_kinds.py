"""Token kinds agree with `tokenize`; names split into the pieces every module matches on."""
import io
import keyword
import tokenize

import pytest

from lib.tokens.code_tokens import DEDENT, INDENT, NEWLINE
from lib.tokens.kinds import (
    KEYWORD,
    KINDS,
    LAYOUT_KIND,
    NAME,
    NUMBER,
    OPERATOR,
    STRING,
    humps,
    is_literal,
    is_name,
    name_pieces,
    token_kind,
)

SOURCE = '''async def f(x, *args, match=None, **kw) -> int:
    """Doc."""
    if x is not True and 0x1F + 1_000 + 1e-3 + 3j + .5 > 0:
        return [rb'a', Rb"b", u'c', \'\'\'d\'\'\', ...][x:]
    case = lambda _: _ @ x ** 2 // 3
    return await case(x) if x else -1
'''
_LAYOUT_TEXT = {tokenize.NEWLINE: NEWLINE, tokenize.INDENT: INDENT, tokenize.DEDENT: DEDENT}
_KIND_OF = {tokenize.NUMBER: NUMBER, tokenize.STRING: STRING, tokenize.OP: OPERATOR,
            **dict.fromkeys(_LAYOUT_TEXT, LAYOUT_KIND)}


def test_every_token_has_the_kind_tokenize_gives_it():
    def kind_of(token: tokenize.TokenInfo) -> str:  # tokenize's type; NAME split by the keyword module
        if token.type == tokenize.NAME:
            return KEYWORD if keyword.iskeyword(token.string) else NAME
        return _KIND_OF[token.type]

    tokens = [token for token in tokenize.generate_tokens(io.StringIO(SOURCE).readline)
              if token.type in (tokenize.NAME, *_KIND_OF)]
    texts = [_LAYOUT_TEXT.get(token.type, token.string) for token in tokens]
    assert {kind_of(token) for token in tokens} == set(KINDS)  # the source has every kind
    assert [token_kind(text) for text in texts] == [kind_of(token) for token in tokens]


@pytest.mark.parametrize("token, kind", [
    ("match", NAME), ("case", NAME), ("_", NAME), ("type", NAME), ("max", NAME), ("naïve", NAME),  # soft keywords
    ("None", KEYWORD), ("True", KEYWORD), ("in", KEYWORD), ("def", KEYWORD),
    ('f"{x}"', STRING), ("rb'x'", STRING), ("'a b'", STRING), ('"', STRING), ("0x1F", NUMBER), (".5", NUMBER),
    ("...", OPERATOR), (".", OPERATOR), ("->", OPERATOR), ("<unk>", OPERATOR), ("<eos>", OPERATOR),
    ("ab'x'", OPERATOR),  # no string has that prefix
    ("<NEWLINE>", LAYOUT_KIND), ("<INDENT>", LAYOUT_KIND), ("<DEDENT>", LAYOUT_KIND),
])
def test_token_kinds(token, kind):
    assert token_kind(token) == kind
    assert is_name(token) is (kind == NAME)
    assert is_literal(token) is (kind in (NUMBER, STRING))


def test_names_exclude_keywords_layout_and_punctuation():
    assert is_name("max") and is_name("file_path")
    assert not any(is_name(t) for t in ("return", "if", "None", "<NEWLINE>", "<INDENT>", ">=", "1"))


@pytest.mark.parametrize("segment, expected", [
    ("parseHTTPResponse2", ["parse", "HTTP", "Response", "2"]), ("HTTPServer", ["HTTP", "Server"]),
    ("getX", ["get", "X"]), ("ABC", ["ABC"]), ("x2y", ["x", "2", "y"]), ("naïve", ["na", "ve"]), ("", []),
])
def test_humps(segment, expected):
    assert humps(segment) == expected


@pytest.mark.parametrize("name, pieces", [
    ("file_path", ["file", "path"]), ("maxFileSize", ["max", "file", "size"]),
    ("HTTPServer", ["http", "server"]), ("x2", ["x", "2"]), ("__init__", ["init"]), (".", []),
])
def test_name_pieces_split_on_underscore_and_camel_case(name, pieces):
    assert name_pieces(name) == pieces


def test_name_pieces_without_digits():
    assert name_pieces("maxFileSize2") == ["max", "file", "size", "2"]
    assert name_pieces("maxFileSize2", digits=False) == ["max", "file", "size"]
    assert name_pieces("sha256_of", digits=False) == ["sha", "of"]
