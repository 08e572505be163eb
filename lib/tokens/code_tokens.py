"""Python source <-> token sequences that keep the layout as <NEWLINE> / <INDENT> / <DEDENT> tokens."""
from __future__ import annotations

import ast
import io
import keyword
import tokenize
from collections.abc import Sequence

NEWLINE, INDENT, DEDENT = "<NEWLINE>", "<INDENT>", "<DEDENT>"
LAYOUT = frozenset({NEWLINE, INDENT, DEDENT})
INDENT_UNIT = "    "

_SKIPPED = {tokenize.COMMENT, tokenize.NL, tokenize.ENCODING, tokenize.ENDMARKER}
_LAYOUT_OF = {tokenize.NEWLINE: NEWLINE, tokenize.INDENT: INDENT, tokenize.DEDENT: DEDENT}
# Python 3.12 splits f-strings into pieces; we keep each f-string as one token, as 3.11 does.
_FSTRING_START = getattr(tokenize, "FSTRING_START", None)
_FSTRING_END = getattr(tokenize, "FSTRING_END", None)


class CodeError(ValueError):
    """Code that cannot be turned into a target sequence (does not parse, or nothing left)."""


def docstring_span(code: str) -> tuple[tuple[int, int], tuple[int, int]] | None:
    """(start, end) positions, as tokenize reports them, of the docstring of the first function in `code`.

    None when `code` does not start with a function or the function has no docstring.
    Raises CodeError when the body holds nothing but the docstring.
    """
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError) as error:
        raise CodeError(f"does not parse: {error}") from None
    if not tree.body or not isinstance(tree.body[0], (ast.FunctionDef, ast.AsyncFunctionDef)):
        return None
    function = tree.body[0]
    if ast.get_docstring(function, clean=False) is None:
        return None
    if len(function.body) == 1:
        raise CodeError("body is only a docstring")
    node = function.body[0]
    # ast columns count UTF-8 bytes, tokenize's count characters.
    lines = code.splitlines(keepends=True)
    start_col = len(lines[node.lineno - 1].encode()[: node.col_offset].decode(errors="replace"))
    end_col = len(lines[node.end_lineno - 1].encode()[: node.end_col_offset].decode(errors="replace"))
    return (node.lineno, start_col), (node.end_lineno, end_col)


def tokenize_code(code: str, drop_docstring: bool = True) -> list[str]:
    """Tokens of `code`: comments and non-logical line breaks dropped, layout kept, trailing layout cut.

    With `drop_docstring`, the docstring of a leading function is removed (with its line break).
    Raises CodeError for code that does not tokenize or parse.
    """
    span = docstring_span(code) if drop_docstring else None
    lines = code.splitlines(keepends=True)
    tokens: list[str] = []
    skip_newline = False
    fstring_depth, fstring_start = 0, None
    try:
        for token in tokenize.generate_tokens(io.StringIO(code).readline):
            if span and span[0] <= token.start and token.end <= span[1]:
                skip_newline = True
                continue
            if token.type == _FSTRING_START:
                fstring_depth += 1
                fstring_start = fstring_start or token.start
                continue
            if fstring_depth:
                if token.type == _FSTRING_END:
                    fstring_depth -= 1
                    if not fstring_depth:
                        tokens.append(_source_between(lines, fstring_start, token.end))
                        fstring_start = None
                continue
            if token.type in _SKIPPED:
                continue
            if token.type == tokenize.NEWLINE and skip_newline:
                skip_newline = False
                continue
            skip_newline = False
            tokens.append(_LAYOUT_OF.get(token.type, token.string))
    except (tokenize.TokenError, SyntaxError) as error:
        raise CodeError(f"does not tokenize: {error}") from None
    while tokens and tokens[-1] in LAYOUT:
        tokens.pop()
    return tokens


def _source_between(lines: list[str], start: tuple[int, int], end: tuple[int, int]) -> str:
    (start_row, start_col), (end_row, end_col) = start, end
    if start_row == end_row:
        return lines[start_row - 1][start_col:end_col]
    middle = "".join(lines[start_row: end_row - 1])
    return lines[start_row - 1][start_col:] + middle + lines[end_row - 1][:end_col]


def detokenize(tokens: Sequence[str]) -> str:
    """Source text of any token sequence: one line per <NEWLINE>, four spaces per indentation level.

    Tokens of a line are joined with single spaces except around brackets, dots, commas and colons,
    which changes the look but never the meaning of code that tokenized into these tokens.
    """
    lines: list[str] = []
    line: list[str] = []
    depth = 0

    def end_line():
        if line:
            lines.append(INDENT_UNIT * depth + _join_line(line))
            line.clear()

    for token in tokens:
        if token == NEWLINE:
            end_line()
        elif token == INDENT:
            end_line()
            depth += 1
        elif token == DEDENT:
            end_line()
            depth = max(depth - 1, 0)
        else:
            line.append(token)
    end_line()
    return "\n".join(lines) + "\n" if lines else ""


_NO_SPACE_BEFORE = frozenset({")", "]", "}", ",", ":", ".", ";"})
_NO_SPACE_AFTER = frozenset({"(", "[", "{", ".", "~"})


def _join_line(tokens: Sequence[str]) -> str:
    parts = [tokens[0]]
    depth = int(tokens[0] in "([{")
    for previous, token in zip(tokens, tokens[1:]):
        keyword_argument = depth > 0 and "=" in (previous, token)  # `f(x=1)`, `def f(x=1)`
        parts.append(token if keyword_argument or not _needs_space(previous, token) else " " + token)
        depth += (token in ("(", "[", "{")) - (token in (")", "]", "}"))
    return "".join(parts)


def _needs_space(previous: str, token: str) -> bool:
    if token == "." and previous[:1].isdigit():
        return True  # `1 .real`: `1.real` would read as a float
    if token in _NO_SPACE_BEFORE or previous in _NO_SPACE_AFTER:
        return False
    if token in ("(", "["):
        # calls and subscripts: `f(x)`, `a[i]`; keep `return (x)`, `in [1, 2]`
        return keyword.iskeyword(previous) or not (previous.isidentifier() or previous in (")", "]", "}"))
    return True


def ast_without_docstring(code: str) -> str:
    """`ast.dump` of `code` with the docstring of its leading function removed: the round-trip reference."""
    tree = ast.parse(code)
    if tree.body and isinstance(tree.body[0], (ast.FunctionDef, ast.AsyncFunctionDef)):
        function = tree.body[0]
        if ast.get_docstring(function, clean=False) is not None:
            function.body.pop(0)
    return ast.dump(tree)
