"""Forced decoding: the attention read on given code is the attention the search saw on the same code."""
import numpy as np
import pytest

from lib.common.config import DecodeConfig
from lib.decoding.forced import forced_attention, piece_groups
from lib.decoding.prediction import generate
from lib.tokens.vocabulary import SPECIALS, Vocabulary
from tiny_models import scaled_model

SRC = Vocabulary([*SPECIALS, "returns", "the", "max@_", "maximum", "value"], subwords=True)
TGT = Vocabulary([*SPECIALS, "def", "max@_", "value", "(", ")", ":", "return", "max", "x"], subwords=True)
DOCSTRINGS = [["returns", "the", "maximum"], ["the", "max_value"], ["returns", "value", "value"]]
GREEDY = DecodeConfig(beam_size=1, max_len=8, min_len=0, constrained=False, replace_unk=False, allow_unk=True)


def model(kind: str):
    return scaled_model(kind, SRC, TGT, 4)


@pytest.mark.parametrize("kind", ["attn", "copy"])
def test_forcing_the_models_own_output_reads_the_attention_its_search_saw(kind):
    seq2seq = model(kind)
    generations = generate(seq2seq, SRC, TGT, DOCSTRINGS, GREEDY)
    forced = forced_attention(seq2seq, SRC, TGT, DOCSTRINGS, [g.raw_tokens for g in generations], batch_size=2)
    for generation, matrix in zip(generations, forced):
        assert matrix.shape == (len(generation.raw_tokens) + 1, generation.attention.shape[1])
        # the search's matrix has no row for the EOS it ended on, when it stopped at max_len instead
        np.testing.assert_allclose(matrix[: len(generation.attention)], generation.attention, atol=1e-5)


def test_forced_attention_has_a_row_per_reference_token_and_eos_and_a_column_per_word():
    references = [["def", "max_value", "(", "x", ")", ":", "return", "max", "(", "x", ")"], ["value"], ["x", "x"]]
    for source, reference, matrix in zip(DOCSTRINGS, references,
                                         forced_attention(model("attn"), SRC, TGT, DOCSTRINGS, references)):
        assert matrix.shape == (len(reference) + 1, len(source) + 1)
        np.testing.assert_allclose(matrix.sum(axis=1), 1.0, atol=1e-5)  # pieces' columns summed per word


def test_a_name_of_several_pieces_is_one_group():
    assert piece_groups(["def", "max_value", "("], TGT) == [[0], [1, 2], [3]]


def test_a_model_without_attention_is_refused():
    with pytest.raises(ValueError, match="no attention"):
        forced_attention(model("lstm"), SRC, TGT, DOCSTRINGS[:1], [["x"]])
