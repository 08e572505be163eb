"""UNK replacement copies the most attended source word, sanitised, or falls back to the placeholder."""
import numpy as np
import pytest

from lib.decoding.unknowns import PLACEHOLDER, as_identifier, count_unknowns, replace_unknowns

SRC = ["return", "the", "file_path", "of", "x"]


def test_each_unk_copies_its_argmax_attended_source_word():
    hyp = ["return", "<unk>", "+", "<unk>"]
    attention = np.zeros((4, 5))
    attention[1, 2] = 0.9  # file_path
    attention[3, 4] = 0.6  # x
    assert replace_unknowns(hyp, SRC, attention) == ["return", "file_path", "+", "x"]


def test_columns_beyond_the_source_are_ignored():
    hyp = ["<unk>"]
    attention = [[0.1, 0.0, 0.3, 0.0, 0.0, 0.6]]  # column 5 is the appended <eos>
    assert replace_unknowns(hyp, SRC, attention) == ["file_path"]


def test_copied_words_are_made_identifiers():
    assert as_identifier("os.path") == "os_path"
    assert as_identifier("file-path") == "file_path"
    assert as_identifier("(x)") == "x"
    assert as_identifier("__init__") == "__init__"
    for bad in (".", "None", "for", "3d", ""):
        assert as_identifier(bad) == PLACEHOLDER
    attention = [[0.0, 1.0]]
    assert replace_unknowns(["<unk>"], ["x", "."], attention) == [PLACEHOLDER]
    assert replace_unknowns(["<unk>"], ["x", "if"], attention) == [PLACEHOLDER]
    assert replace_unknowns(["<unk>"], SRC, [[1.0, 0, 0, 0, 0]]) == [PLACEHOLDER]  # "return" is a keyword


def test_without_usable_attention_every_unk_gets_the_same_placeholder():
    hyp = ["<unk>", "=", "<unk>"]
    assert replace_unknowns(hyp, SRC) == [PLACEHOLDER, "=", PLACEHOLDER]
    assert replace_unknowns(hyp, [], np.ones((3, 1))) == [PLACEHOLDER, "=", PLACEHOLDER]
    assert replace_unknowns(hyp, SRC, np.full((3, 5), np.nan)) == [PLACEHOLDER, "=", PLACEHOLDER]
    assert replace_unknowns(hyp, SRC, np.eye(1, 5, k=2)) == ["file_path", "=", PLACEHOLDER]  # row 2 missing
    assert replace_unknowns(hyp, SRC, placeholder="v") == ["v", "=", "v"]


def test_other_tokens_and_custom_unk_are_respected():
    assert replace_unknowns(["a", "UNK"], SRC, [[1, 0, 0, 0, 0], [0, 0, 1, 0, 0]], unk="UNK") == ["a", "file_path"]
    with pytest.raises(ValueError):
        replace_unknowns(["<unk>"], SRC, np.ones(5))


def test_count_unknowns():
    assert count_unknowns(["<unk>", "x", "<unk>"]) == 2
    assert count_unknowns(["UNK"], unk="UNK") == 1
