"""TF-IDF retrieval returns the code of the nearest training summary."""
import pickle
import time

import numpy as np

from lib.evaluation.retrieval import TfidfRetriever

SUMMARIES = [
    ["return", "the", "maximum", "of", "two", "numbers"],
    ["open", "the", "file", "at", "file_path"],
    ["return", "the", "minimum", "of", "two", "numbers"],
    ["open", "the", "file", "at", "file_path"],  # duplicate of row 1: ties go to row 1
]
CODES = [["return", "max", "(", "a", ",", "b", ")"], ["return", "open", "(", "file_path", ")"],
         ["return", "min", "(", "a", ",", "b", ")"], ["pass"]]


def test_retrieve_returns_the_nearest_neighbours_code():
    retriever = TfidfRetriever().fit(SUMMARIES, CODES)
    got = retriever.retrieve([["the", "maximum", "of", "numbers"], ["minimum", "value"], ["read", "file_path"]])
    assert got == [CODES[0], CODES[2], CODES[1]]


def test_ties_go_to_the_lowest_training_index_and_unknown_queries_to_row_0():
    retriever = TfidfRetriever().fit(SUMMARIES, CODES)
    indices, scores = retriever.nearest([SUMMARIES[3], ["nothing", "known"]])
    assert indices.tolist() == [1, 0]
    assert abs(scores[0] - 1.0) < 1e-9 and scores[1] == 0.0


def test_tokens_are_used_as_given():
    retriever = TfidfRetriever().fit([["DataFrame", "x"], ["dataframe", "y"]], [["a"], ["b"]])
    assert retriever.retrieve([["DataFrame"]]) == [["a"]]


def test_chunked_results_equal_unchunked_and_retriever_pickles():
    rng = np.random.default_rng(0)
    vocab = [f"w{i}" for i in range(300)]
    train = [list(rng.choice(vocab, size=8)) for _ in range(8000)]
    codes = [[str(i)] for i in range(8000)]
    queries = [list(rng.choice(vocab, size=6)) for _ in range(1000)]
    start = time.perf_counter()
    big = TfidfRetriever().fit(train, codes).nearest(queries)[0]
    assert time.perf_counter() - start < 5.0
    small = pickle.loads(pickle.dumps(TfidfRetriever(chunk_size=7).fit(train, codes))).nearest(queries)[0]
    assert big.tolist() == small.tolist()
    assert TfidfRetriever().fit(train, codes).retrieve([train[123]]) == [codes[123]]
