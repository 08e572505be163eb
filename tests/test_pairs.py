from collections import Counter
from pathlib import Path

import pytest
import yaml

from lib.common.config import ParamError, from_mapping
from lib.prepare.pairs import DocstringFilters, Limits, has_given_test, make_pair, make_pairs
from stages.tokenize import read_config

LIMITS = Limits(min_src_len=3, max_src_len=20, max_tgt_len=12, overlong="filter")
INTENT_FILTERS = DocstringFilters(first_sentence=False, strip_markup=False, drop_templated=False)
PARAMS = yaml.safe_load((Path(__file__).resolve().parent.parent / "params.yaml").read_text())


def row(docstring: str, code: str = "x = 1", partition: str = "", path: str = "q1") -> dict:
    return {"repo": "", "path": path, "func_name": "", "url": "", "partition": partition, "docstring": docstring,
            "code": code}


def test_intent_with_a_dict_literal_survives_with_the_filters_off():
    pair = make_pair(row("convert dict `{'a': 1}` to a list of tuples", "list(d.items())"), LIMITS, INTENT_FILTERS)
    assert pair["summary"] == "convert dict `{'a': 1}` to a list of tuples"
    assert pair["src"][:9] == ["convert", "dict", "`", "{", "'", "a", "'", ":", "1"]
    assert pair["tgt"] == ["list", "(", "d", ".", "items", "(", ")", ")"]


def test_docstring_filters_are_on_by_default():
    assert make_pair(row("Format `{name}` into the greeting text."), LIMITS) == "templated docstring"
    kept = make_pair(row("Format `{name}` into the greeting text."), LIMITS, INTENT_FILTERS)
    assert kept["summary"] == "Format `{name}` into the greeting text."
    pair = make_pair(row("Multiply `a * b` twice. Then print it."), LIMITS)
    assert pair["summary"] == "Multiply a b twice."  # first sentence, markup removed


def test_limits_still_apply_with_the_filters_off():
    assert make_pair(row("add two"), LIMITS, INTENT_FILTERS) == "summary under tokenize.min_src_len"
    assert make_pair(row(" ".join(["word"] * 21)), LIMITS, INTENT_FILTERS) == "summary over tokenize.max_src_len"


def test_a_given_test_row_is_kept_unless_it_cannot_be_tokenized():
    short, long_code = row("sum", partition="test"), row("add up a list", "y = " + " + ".join("abcdefgh"), "test")
    assert make_pair(short, LIMITS, as_given=True)["src"] == ["sum"]  # under min_src_len: kept
    assert len(make_pair(long_code, LIMITS, as_given=True)["tgt"]) == 17  # over max_tgt_len: kept whole
    assert make_pair(row("{x}", partition="test"), LIMITS, as_given=True)["summary"] == "{x}"  # templated: kept
    assert make_pair(row("sum the list", "x = = 1", "test"), LIMITS, as_given=True) == "code does not parse"
    assert make_pair(row("`*`", partition="test"), LIMITS, as_given=True) == "summary has no tokens"


def test_given_test_rows_that_are_dropped_are_named_by_their_position():
    rows = [row("sum up a list", partition="train"), row("sum", "x = 1", "test", "q7"),
            row("broken code here", "x = = 1", "test", "q8"), row("get the length", "len(a)", "test", "q9")]
    counts, dropped = Counter(), []
    pairs = list(make_pairs(rows, LIMITS, counts, test_as_given=True, test_dropped=dropped))
    assert [pair["path"] for pair in pairs] == ["q1", "q7", "q9"]
    assert [(d["test_row"], d["reason"], d["path"]) for d in dropped] == [(1, "code does not parse", "q8")]
    assert counts["code does not parse"] == 1


def test_pairs_made_in_processes_are_the_same_in_the_same_order():
    rows = [row(f"sum up list number {i}", f"x = {i}", "train", f"q{i}") for i in range(40)]
    rows += [row("sum", partition="train"), row("broken code here", "x = = 1", "train", "q8")]
    counts = Counter()
    pairs = list(make_pairs(rows, LIMITS, counts, workers=2))
    assert pairs == list(make_pairs(rows, LIMITS, Counter()))
    assert [pair["path"] for pair in pairs] == [f"q{i}" for i in range(40)]
    assert counts == {"round trip ok": 40, "summary under tokenize.min_src_len": 1, "code does not parse": 1}


def test_without_a_given_test_split_test_rows_are_filtered_like_the_others():
    counts = Counter()
    pairs = list(make_pairs([row("sum", partition="test")], LIMITS, counts))
    assert not pairs and counts["summary under tokenize.min_src_len"] == 1


def test_a_test_split_is_given_only_when_every_row_has_a_partition():
    assert has_given_test(["train", "test", "test"]) and has_given_test(["train", "valid", "test"])
    assert not has_given_test(["train", "valid"]) and not has_given_test(["", "test"]) and not has_given_test([])


def test_read_config_reads_the_filters_on_by_default():
    limits, filters = read_config(from_mapping(PARAMS))
    assert filters == DocstringFilters() and limits.min_src_len == PARAMS["tokenize"]["min_src_len"]
    params = {**PARAMS, "tokenize": {**PARAMS["tokenize"], "strip_markup": "no"}}
    with pytest.raises(ParamError, match="tokenize.strip_markup must be bool"):
        read_config(from_mapping(params))
