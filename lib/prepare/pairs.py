"""Raw functions -> (summary tokens, code tokens) training pairs, with the reasons rows were dropped."""
from __future__ import annotations

import ast
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass

from lib.tokens.code_tokens import CodeError, ast_without_docstring, detokenize, tokenize_code
from lib.tokens.docstrings import summarize, tokenize_summary

KEPT_COLUMNS = ("repo", "path", "func_name", "url", "partition")
OVERLONG_CHOICES = ("filter", "truncate")
# Docstrings filled in at import time (`{name}`, `%(name)s`) say nothing until formatted.
_TEMPLATE = re.compile(r"\{\w*\}|%\(\w+\)[sdr]")


@dataclass(frozen=True)
class Limits:
    min_src_len: int
    max_src_len: int
    max_tgt_len: int
    overlong: str  # one of OVERLONG_CHOICES


def make_pair(row: Mapping, limits: Limits) -> dict | str:
    """The pair of one raw row, or the reason it is dropped."""
    summary = summarize(row["docstring"])
    if _TEMPLATE.search(summary):
        return "templated docstring"
    src = tokenize_summary(summary)
    if len(src) < limits.min_src_len:
        return "summary under tokenize.min_src_len"
    try:
        tgt = tokenize_code(row["code"])
    except CodeError as error:
        return "body is only a docstring" if "only a docstring" in str(error) else "code does not parse"
    if not tgt:
        return "empty code"
    if len(src) > limits.max_src_len or len(tgt) > limits.max_tgt_len:
        if limits.overlong == "filter":
            return "summary over tokenize.max_src_len" if len(src) > limits.max_src_len else \
                "code over tokenize.max_tgt_len"
        src, tgt = src[: limits.max_src_len], tgt[: limits.max_tgt_len]
    return {**{column: row[column] for column in KEPT_COLUMNS}, "summary": summary, "src": src, "tgt": tgt}


def make_pairs(rows: Iterable[Mapping], limits: Limits, counts: Counter) -> Iterator[dict]:
    """The pairs of `rows`. `counts` gets each dropped row under its reason, and under "round trip ok"
    each pair whose code survives the round trip (see `round_trip_ok`)."""
    for row in rows:
        pair = make_pair(row, limits)
        if isinstance(pair, str):
            counts[pair] += 1
            continue
        counts["round trip ok"] += round_trip_ok(row["code"], pair["tgt"])
        yield pair


def round_trip_ok(code: str, tgt: list[str]) -> bool:
    """Whether the detokenized target parses to the same tree as the docstring-free original."""
    try:
        return ast.dump(ast.parse(detokenize(tgt))) == ast_without_docstring(code)
    except (SyntaxError, ValueError):
        return False
