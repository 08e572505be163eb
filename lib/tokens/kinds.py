"""The kind of a code token, and the pieces of a name: decided here once, for every module that asks.

A token's kind is the one `tokenize` gives it, read off the token's text alone:
- `layout`: <NEWLINE>, <INDENT>, <DEDENT> (tokenize's NEWLINE, INDENT, DEDENT; lib/tokens/code_tokens.py);
- `keyword`: a NAME that is a hard keyword (`keyword.iskeyword`), `True`, `False` and `None` included;
- `name`: every other NAME (`str.isidentifier`), soft keywords (`match`, `case`, `_`, `type`) included;
- `number`: a NUMBER, the only token that starts with a digit or with `.` and a digit (`0x1F`, `.5`);
- `string`: a STRING (f-strings, which code_tokens keeps whole, too): a quote after a string prefix or none;
- `operator`: everything else: tokenize's OP (`+`, `(`, `...`) and tokens no Python code has (`<unk>`).
Callers group them as they need: the error analysis, for one, counts `None` and `...` as literals.

A name's pieces are its parts between underscores, cut at camelCase humps, acronyms and digit runs:
`parseHTTPResponse2` -> parse, HTTP, Response, 2.
"""
from __future__ import annotations

import keyword
import re
import tokenize

from lib.tokens.code_tokens import LAYOUT

LAYOUT_KIND, KEYWORD, NAME, NUMBER, STRING, OPERATOR = "layout", "keyword", "name", "number", "string", "operator"
KINDS = (LAYOUT_KIND, KEYWORD, NAME, NUMBER, STRING, OPERATOR)

_NUMBER_START = re.compile(tokenize.Number)  # matches the start of a NUMBER token, and of nothing else
_STRING_START = re.compile(tokenize.StringPrefix + r"['\"]")
# An acronym ends before the capital that starts the next hump: HTTPResponse -> HTTP, Response.
_HUMPS = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+")


def is_keyword(token: str) -> bool:
    """A hard keyword (`def`, `in`, `None`); soft keywords (`match`) are names."""
    return keyword.iskeyword(token)


def is_name(token: str) -> bool:
    """An identifier that is not a hard keyword (builtins such as `max` and soft keywords count)."""
    return token.isidentifier() and not keyword.iskeyword(token)


def is_number(token: str) -> bool:
    return bool(_NUMBER_START.match(token))


def is_string(token: str) -> bool:
    return bool(_STRING_START.match(token))


def is_literal(token: str) -> bool:
    """A number or a string (the constants `None`, `True`, `False` are keywords, `...` an operator)."""
    return is_number(token) or is_string(token)


def token_kind(token: str) -> str:
    """The kind (one of KINDS) of one code token; see the module docstring."""
    if token in LAYOUT:
        return LAYOUT_KIND
    if is_keyword(token):
        return KEYWORD
    if token.isidentifier():
        return NAME
    if is_number(token):
        return NUMBER
    return STRING if is_string(token) else OPERATOR


def humps(segment: str) -> list[str]:
    """The camelCase humps, acronyms and digit runs of an underscore-free segment, case kept:
    `parseHTTPResponse2` -> [parse, HTTP, Response, 2]; characters other than ASCII letters and digits are
    left out (`naïve` -> [na, ve])."""
    return _HUMPS.findall(segment)


def name_pieces(name: str, digits: bool = True) -> list[str]:
    """Lower-cased pieces of a name split on `_` and camelCase (`humps`): `maxFileSize2` -> [max, file, size, 2];
    without `digits`, digit runs are left out (-> [max, file, size]). Any word may be given (`.` -> [])."""
    return [hump.lower() for part in name.split("_") for hump in humps(part) if digits or not hump.isdigit()]
