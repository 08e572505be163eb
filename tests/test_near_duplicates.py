import random

import pandas as pd
import pytest

from lib.prepare.near_duplicates import (COLUMNS, MULTISET_THRESHOLD, SET_THRESHOLD, annotate, evaluation_subsets,
                                         identifier_literal_tokens, jaccard, nearest_similarity, similarity_buckets,
                                         summarize)
from lib.tokens.code_tokens import tokenize_code


def tokens(source: str) -> list[str]:
    return tokenize_code(source, drop_docstring=False)


ORIGINAL = tokens("def area(width, height):\n    scale = 2\n    total = width * height\n    return total / scale\n")
RENAMED = tokens("def size(w, h):\n    k = 2\n    result = w * h\n    return result / k\n")
REORDERED = tokens("def area(width, height):\n    total = width * height\n    scale = 2\n    return total / scale\n")
UNRELATED = tokens("def greet(name):\n    print('hello', name)\n")


def test_only_identifiers_and_literals_count():
    source = "def f(x, match=None):\n    if x is True:\n        return rb'a' + 1.5 + .5 + 0x1F\n    return f'{x}'\n"
    code = tokens(source)
    assert identifier_literal_tokens(code) == ["f", "x", "match", "x", "rb'a'", "1.5", ".5", "0x1F", "f'{x}'"]


def test_measure_on_hand_made_pairs():
    assert jaccard(ORIGINAL, ORIGINAL) == (1.0, 1.0)
    assert jaccard(ORIGINAL, REORDERED) == (1.0, 1.0)  # tokens are a bag: statement order does not matter
    set_j, multiset_j = jaccard(ORIGINAL, RENAMED)  # only the literal 2 survives renaming
    assert set_j == pytest.approx(1 / 11) and multiset_j == pytest.approx(1 / 19)
    assert jaccard(ORIGINAL, UNRELATED) == (0.0, 0.0)
    assert jaccard(["(", ")"], ["+"]) == (0.0, 0.0)  # nothing to compare is not a duplicate


def test_multiset_counts_repeats():
    set_j, multiset_j = jaccard(["a", "a", "a", "b"], ["a", "b", "b"])
    assert set_j == 1.0 and multiset_j == pytest.approx(2 / 5)  # min counts a:1 b:1, max counts a:3 b:2


def test_thresholds_are_inclusive():
    """Set Jaccard exactly 4/5 and multiset exactly 7/10 is a near-duplicate (float32 would miss 0.7)."""
    query = ["p"] * 3 + ["q"] * 2 + ["r", "s"]
    reference = query + ["t"] * 3
    assert jaccard(query, reference) == (SET_THRESHOLD, MULTISET_THRESHOLD)
    assert nearest_similarity([query], [reference])["near_duplicate"].tolist() == [True]
    assert nearest_similarity([query], [reference + ["t"]])["near_duplicate"].tolist() == [False]


def random_functions(count: int, seed: int) -> list[list[str]]:
    """Short token lists over a small vocabulary, so that some pairs overlap a lot."""
    rng = random.Random(seed)
    names = ["self", "x", "y", "n", "data", "'a'", "0", "1", "len", "f"]
    layout = ["def", "(", ")", ":", "<NEWLINE>", "<INDENT>", "return", "="]
    return [rng.choices(names + layout, k=rng.randint(0, 12)) for _ in range(count)]


@pytest.mark.parametrize("chunk_cells", [1, 7, 4_000_000])
def test_sparse_computation_equals_brute_force(chunk_cells):
    queries, references = random_functions(40, seed=1), random_functions(30, seed=2)
    result = nearest_similarity(queries, references, chunk_cells=chunk_cells)
    for i, query in enumerate(queries):
        pairs = [jaccard(query, reference) for reference in references]
        assert result.loc[i, COLUMNS[0]] == pytest.approx(max(s for s, _ in pairs))
        assert result.loc[i, COLUMNS[1]] == pytest.approx(max(m for _, m in pairs))
        near = any(s >= SET_THRESHOLD and m >= MULTISET_THRESHOLD for s, m in pairs)
        assert result.loc[i, COLUMNS[2]] == near
    assert result[COLUMNS[2]].any() and not result[COLUMNS[2]].all()


def test_no_references_means_no_near_duplicates():
    result = nearest_similarity([ORIGINAL, UNRELATED], [])
    assert result[COLUMNS[2]].tolist() == [False, False] and (result[COLUMNS[0]] == 0).all()


def fixture() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Train holds ORIGINAL; test holds a reordered copy (near-duplicate), a renamed one and an unrelated one."""
    train = pd.DataFrame({"repo": ["a"], "tgt": [ORIGINAL]})
    test = pd.DataFrame({"repo": ["a", "a", "b"], "tgt": [REORDERED, RENAMED, UNRELATED]})
    return train, annotate(test, train)


def test_annotate_adds_the_columns_in_row_order():
    _, test = fixture()
    assert test["near_duplicate"].tolist() == [True, False, False]
    assert test["nearest_train_jaccard"].tolist() == pytest.approx([1.0, 1 / 11, 0.0])


def test_buckets_and_counts_per_split_and_repo():
    _, test = fixture()
    assert similarity_buckets([0.0, 0.49, 0.5, 0.75, 0.8, 0.95, 1.0, 1.0]) == {
        "0.0-0.5": 2, "0.5-0.7": 1, "0.7-0.8": 1, "0.8-0.9": 1, "0.9-1.0": 1, "1.0": 2}
    summary = summarize({"test": test})
    assert summary["splits"]["test"] == {"rows": 3, "near_duplicates": 1, "buckets": {
        "0.0-0.5": 2, "0.5-0.7": 0, "0.7-0.8": 0, "0.8-0.9": 0, "0.9-1.0": 0, "1.0": 1}}
    assert summary["repos"] == {"a": {"test": {"rows": 2, "near_duplicates": 1}},
                                "b": {"test": {"rows": 1, "near_duplicates": 0}}}


def test_evaluation_subsets_leave_out_near_duplicates():
    _, test = fixture()
    subsets = evaluation_subsets(test)
    assert subsets["all"].tolist() == [True, True, True]
    assert subsets["novel"].tolist() == [False, True, True]
    with pytest.raises(KeyError, match="rerun the split stage"):
        evaluation_subsets(test.drop(columns=["near_duplicate"]))

