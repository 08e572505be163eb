from collections import Counter
from pathlib import Path

import pandas as pd
import pytest
import yaml

from lib.common.config import NEAR_DUPLICATE_POLICIES, ParamError, from_mapping
from lib.prepare.split import (SPLITS, assign_splits, deduplicate, has_given_test,
                               has_official_partition, sample, sample_splits, train_leakage)


def frame(rows):
    return pd.DataFrame([{"repo": "r", "partition": "", "summary": "", **row} for row in rows])


def test_files_never_span_two_splits():
    pairs = frame([{"path": f"f{i % 17}.py", "src": [str(i)], "tgt": [str(i)]} for i in range(400)])
    splits = assign_splits(pairs, seed=1, valid_fraction=0.1, test_fraction=0.2)
    assert (pairs.groupby("path").apply(lambda g: splits[g.index].nunique()) == 1).all()
    shares = splits.value_counts(normalize=True)
    assert 0.15 <= shares["test"] <= 0.35 and 0.05 <= shares["valid"] <= 0.25
    assert splits.equals(assign_splits(pairs, seed=1, valid_fraction=0.1, test_fraction=0.2))


def test_source_partition_is_used_when_complete():
    pairs = frame([{"path": "a.py", "partition": p, "src": ["x"], "tgt": ["y"]} for p in ("train", "valid", "test")])
    assert list(assign_splits(pairs, 0, 0.1, 0.1)) == ["train", "valid", "test"]


def test_duplicates_and_leaked_code_are_removed_and_counted():
    splits = {
        "train": frame([{"path": "a", "src": ["s"], "tgt": ["c1"]}, {"path": "a", "src": ["s"], "tgt": ["c1"]}]),
        "valid": frame([{"path": "b", "src": ["other"], "tgt": ["c1"]}, {"path": "b", "src": ["t"], "tgt": ["c2"]}]),
        "test": frame([{"path": "c", "src": ["u"], "tgt": ["c2"]}, {"path": "c", "src": ["v"], "tgt": ["c3"]}]),
    }
    removed = Counter()
    result = deduplicate(splits, removed)
    assert [list(t) for t in result["train"]["tgt"]] == [["c1"]]
    assert [list(t) for t in result["valid"]["tgt"]] == [["c2"]]
    assert [list(t) for t in result["test"]["tgt"]] == [["c3"]]
    assert removed == {"train: repeated (summary, code) pair": 1, "valid: code also in an earlier split": 1,
                       "test: code also in an earlier split": 1, "valid: repeated (summary, code) pair": 0,
                       "test: repeated (summary, code) pair": 0}


def test_sample_is_seeded_and_keeps_order():
    pool = frame([{"path": "a", "src": [str(i)], "tgt": [str(i)]} for i in range(50)])
    drawn = sample(pool, 10, seed=3)
    assert len(drawn) == 10 and list(drawn.index) == sorted(drawn.index)
    assert drawn.equals(sample(pool, 10, seed=3))
    assert len(sample(pool, 100, seed=3)) == 50


def function(*names: str) -> list[str]:
    """Code tokens of `def <first>(<rest>): return <rest>`: the identifiers are what near-duplicates compare."""
    first, *rest = names
    return ["def", first, "(", *rest, ")", ":", "<NEWLINE>", "<INDENT>", "return", *rest]


def pools(official: bool = False) -> dict[str, pd.DataFrame]:
    """Train holds two functions; valid and test each hold one near-duplicate of train and two novel rows."""
    def rows(name, codes):
        return frame([{"path": name, "partition": name if official else "", "src": [name, str(i)], "tgt": code}
                      for i, code in enumerate(codes)])
    return {"train": rows("train", [function("load", "path", "mode"), function("area", "width", "height")]),
            "valid": rows("valid", [function("load", "path", "mode"), function("sum", "a"), function("neg", "b")]),
            "test": rows("test", [function("area", "width", "height"), function("c"), function("d", "e")])}


SIZES = {"train": 10, "valid": 10, "test": 10}


def test_keep_samples_as_before_and_marks_near_duplicates():
    given, removed = pools(), Counter()
    splits = sample_splits(given, SIZES, seed=0, policy="keep", official_test=False, removed=removed)
    for name in SPLITS:
        assert splits[name][["src", "tgt"]].equals(given[name][["src", "tgt"]])
    assert splits["valid"]["near_duplicate"].tolist() == [True, False, False]
    assert splits["test"]["near_duplicate"].tolist() == [True, False, False]
    assert splits["train"]["nearest_train_jaccard"].isna().all() and not splits["train"]["near_duplicate"].any()
    assert not removed


def test_drop_from_eval_keeps_every_row_that_is_not_a_near_duplicate():
    given, removed = pools(), Counter()
    splits = sample_splits(given, SIZES, seed=0, policy="drop_from_eval", official_test=False, removed=removed)
    assert splits["train"][["src", "tgt"]].equals(given["train"][["src", "tgt"]])
    for name in ("valid", "test"):
        assert splits[name]["tgt"].tolist() == given[name]["tgt"].tolist()[1:]
        assert removed[f"{name}: near-duplicate of a train function"] == 1


def test_official_test_partition_is_never_filtered():
    given, removed = pools(official=True), Counter()
    splits = sample_splits(given, SIZES, seed=0, policy="drop_from_eval", official_test=True, removed=removed)
    assert splits["test"]["tgt"].tolist() == given["test"]["tgt"].tolist()
    assert splits["test"]["near_duplicate"].tolist() == [True, False, False]  # scored as given, share reported
    assert len(splits["valid"]) == 2 and "test: near-duplicate of a train function" not in removed


def test_drop_from_train_removes_only_the_near_duplicates_of_valid_and_test():
    given, removed = pools(), Counter()
    given["train"] = pd.concat([given["train"], frame([{"path": "t", "src": ["x"], "tgt": function("other", "z")}])])
    splits = sample_splits(given, SIZES, seed=0, policy="drop_from_train", official_test=False, removed=removed)
    assert splits["train"]["tgt"].tolist() == [function("other", "z")]
    assert removed == {"train: near-duplicate of a valid or test function": 2}
    for name in ("valid", "test"):
        assert splits[name]["tgt"].tolist() == given[name]["tgt"].tolist()
        assert not splits[name]["near_duplicate"].any()


def test_official_partition_is_recognised_only_when_complete():
    assert has_official_partition(pools(official=True)["test"])
    mixed = pd.concat([pools(official=True)["test"], pools()["test"]])
    assert not has_official_partition(mixed)


def test_read_config_checks_the_near_duplicate_policy():
    params = yaml.safe_load((Path(__file__).resolve().parent.parent / "params.yaml").read_text())
    assert from_mapping(params).split.near_duplicates in NEAR_DUPLICATE_POLICIES
    params["split"]["near_duplicates"] = "drop"
    with pytest.raises(ParamError, match="split.near_duplicates must be one of keep, drop_from_eval"):
        from_mapping(params)


def test_a_split_the_source_does_not_give_is_carved_from_train_by_files():
    rows = [{"path": f"q{i % 40}", "partition": "train", "src": [str(i)], "tgt": [str(i)]} for i in range(400)]
    rows += [{"path": f"t{i}", "partition": "test", "src": ["t"], "tgt": ["t"]} for i in range(30)]
    pairs = frame(rows)
    splits = assign_splits(pairs, seed=1, valid_fraction=0.1, test_fraction=0.2)
    assert (splits[pairs["partition"] == "test"] == "test").all()  # the given test split untouched
    carved = splits[pairs["partition"] == "train"]
    assert set(carved) == {"train", "valid"} and 0.05 <= (carved == "valid").mean() <= 0.2
    assert (pairs[:400].groupby("path").apply(lambda g: splits[g.index].nunique()) == 1).all()


def test_a_given_test_split_is_left_whole_by_deduplication():
    splits = {
        "train": frame([{"path": "a", "src": ["s"], "tgt": ["c1"]}]),
        "valid": frame([{"path": "b", "src": ["t"], "tgt": ["c1"]}]),
        "test": frame([{"path": "c", "src": ["u"], "tgt": ["c1"]}, {"path": "c", "src": ["u"], "tgt": ["c1"]},
                       {"path": "d", "src": ["v"], "tgt": ["c3"]}]),
    }
    removed = Counter()
    result = deduplicate(splits, removed, as_given=("test",))
    assert result["test"].equals(splits["test"]) and result["valid"].empty
    assert not any(reason.startswith("test") for reason in removed)
    assert train_leakage(result["test"], result["train"]).tolist() == [True, True, False]


def test_a_test_split_is_given_only_with_a_complete_partition_holding_test_rows():
    assert has_given_test(pools(official=True)["test"])
    assert not has_given_test(pools(official=True)["train"]) and not has_given_test(pools()["test"])
