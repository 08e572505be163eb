"""Raw functions -> (summary tokens, code tokens) training pairs, with the reasons rows were dropped."""
from __future__ import annotations

import ast
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import partial

from tqdm import tqdm

from lib.prepare.parallel import ordered_map
from lib.tokens.code_tokens import CodeError, ast_without_docstring, detokenize, tokenize_code
from lib.tokens.docstrings import summarize, tokenize_summary

KEPT_COLUMNS = ("repo", "path", "func_name", "url", "partition")
SPLITS = ("train", "valid", "test")
# Docstrings filled in at import time (`{name}`, `%(name)s`) say nothing until formatted.
_TEMPLATE = re.compile(r"\{\w*\}|%\(\w+\)[sdr]")


@dataclass(frozen=True)
class Limits:
    min_src_len: int
    max_src_len: int
    max_tgt_len: int
    overlong: str  # one of OVERLONG_CHOICES


@dataclass(frozen=True)
class DocstringFilters:
    """The steps written for library docstrings (`tokenize.first_sentence`, `strip_markup`, `drop_templated`):
    right for the python and hub sources, wrong where the input is already a one-sentence intent (CoNaLa)."""
    first_sentence: bool = True  # cut the summary to its first sentence
    strip_markup: bool = True    # remove reST roles, links, URLs, backticks, `*` and `|`
    drop_templated: bool = True  # drop docstrings with `{name}` / `%(name)s` placeholders


def has_given_test(partitions: Iterable[str]) -> bool:
    """True when the source assigns every row to train / valid / test and some to test: that test split is
    scored as given (by tokenize here and by split, `lib.prepare.split.has_given_test`)."""
    given = set(partitions)
    return "test" in given and given <= set(SPLITS)


def make_pair(row: Mapping, limits: Limits, filters: DocstringFilters = DocstringFilters(),
              as_given: bool = False) -> dict | str:
    """The pair of one raw row, or the reason it is dropped.

    A row `as_given` (of a test split scored as given) skips the filters and limits: it is dropped only when
    its summary or its code cannot be tokenized, and kept whole however long.
    """
    summary = summarize(row["docstring"], filters.first_sentence, filters.strip_markup)
    src = tokenize_summary(summary)
    if as_given:
        if not src:
            return "summary has no tokens"
    elif filters.drop_templated and _TEMPLATE.search(summary):
        return "templated docstring"
    elif len(src) < limits.min_src_len:
        return "summary under tokenize.min_src_len"
    try:
        tgt = tokenize_code(row["code"])
    except CodeError as error:
        return "body is only a docstring" if "only a docstring" in str(error) else "code does not parse"
    if not tgt:
        return "empty code"
    if not as_given and (len(src) > limits.max_src_len or len(tgt) > limits.max_tgt_len):
        if limits.overlong == "filter":
            return "summary over tokenize.max_src_len" if len(src) > limits.max_src_len else \
                "code over tokenize.max_tgt_len"
        src, tgt = src[: limits.max_src_len], tgt[: limits.max_tgt_len]
    return {**{column: row[column] for column in KEPT_COLUMNS}, "summary": summary, "src": src, "tgt": tgt}


def make_pairs(rows: Sequence[Mapping], limits: Limits, counts: Counter,
               filters: DocstringFilters = DocstringFilters(), test_as_given: bool = False,
               test_dropped: list | None = None, workers: int = 1, progress: bool = False) -> Iterator[dict]:
    """The pairs of `rows`, in order. `counts` gets each dropped row under its reason, and under "round trip
    ok" each pair whose code survives the round trip (see `round_trip_ok`).

    With `test_as_given` (see `has_given_test`) the test rows are made `as_given`; each one dropped is appended
    to `test_dropped` (when given) with its position among the test rows, so a benchmark's row can be named.
    `workers` > 1 tokenizes in that many processes (the same pairs, in the same order); `progress` shows a bar.
    """
    flags = [test_as_given and row["partition"] == "test" for row in rows]
    work = partial(_checked_pair, limits=limits, filters=filters)
    with ordered_map(workers, chunksize=256) as map_:
        results = tqdm(map_(work, zip(rows, flags)), total=len(rows), desc="tokenizing", unit="function",
                       disable=not progress)
        test_row = 0
        for row, as_given, (pair, round_trip) in zip(rows, flags, results):
            test_row += as_given
            if isinstance(pair, str):
                counts[pair] += 1
                if as_given and test_dropped is not None:
                    test_dropped.append({"test_row": test_row - 1, "reason": pair, "path": row["path"],
                                         "func_name": row["func_name"], "docstring": row["docstring"][:200]})
                continue
            counts["round trip ok"] += round_trip
            yield pair


def _checked_pair(row_and_flag: tuple[Mapping, bool], limits: Limits, filters: DocstringFilters
                  ) -> tuple[dict | str, bool]:
    """make_pair's result for (row, as_given), and whether its code survives the round trip."""
    row, as_given = row_and_flag
    pair = make_pair(row, limits, filters, as_given)
    return pair, not isinstance(pair, str) and round_trip_ok(row["code"], pair["tgt"])


def round_trip_ok(code: str, tgt: list[str]) -> bool:
    """Whether the detokenized target parses to the same tree as the docstring-free original."""
    try:
        return ast.dump(ast.parse(detokenize(tgt))) == ast_without_docstring(code)
    except (SyntaxError, ValueError):
        return False
