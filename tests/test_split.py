from collections import Counter

import pandas as pd

from lib.prepare.split import assign_splits, deduplicate, sample


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
