"""Validation loss by token type: every piece typed by its whole token, contributions add up to the loss."""
import pandas as pd
import pytest
import torch

from lib.loss_breakdown import breakdown, piece_types
from lib.models.batching import encode_rows, make_batches
from lib.models.checkpoint import Checkpoint
from lib.models.seq2seq import build_model
from lib.tokens.vocabulary import Vocabulary

SRC = Vocabulary(["<pad>", "<bos>", "<eos>", "<unk>", "return", "the", "max", "value"], subwords=True)
TGT = Vocabulary(["<pad>", "<bos>", "<eos>", "<unk>", "def", "f", "(", ")", ":", "return", "x", "max@_", "value",
                  "<NEWLINE>", "<INDENT>", "+", "1", "v", "v@@", "a@@", "l", "u@@", "e"], subwords=True, spelling=True)
FRAME = pd.DataFrame({"src": [["return", "the", "max", "value"], ["return", "value"]],
                      "tgt": [["def", "f", "(", "x", ")", ":", "<NEWLINE>", "<INDENT>", "return", "max_value"],
                              ["def", "f", "(", ")", ":", "<NEWLINE>", "<INDENT>", "return", "val", "+", "1"]]})


def test_piece_types_follow_whole_tokens_and_end_with_eos():
    types = piece_types(["return", "the", "max", "value"], ["def", "f", "(", "x", ")", "+", "max_value"],
                        lambda token: len(TGT.encode([token])))
    assert types == ["keyword", "signature_name", "punctuation", "signature_name", "punctuation", "operator",
                     "docstring_name", "docstring_name", "eos"]  # max_value: two pieces
    assert piece_types(["a"], ["val"], lambda token: len(TGT.encode([token]))) == ["other_name"] * 3 + ["eos"]


@pytest.mark.parametrize("kind", ["lstm", "attn", "copy"])
def test_contributions_add_up_to_the_validation_loss(kind):
    torch.manual_seed(0)
    config = {"emb_dim": 8, "hidden_dim": 8, "dropout": 0.0, "num_layers": 1, "attention_dim": 8,
              "adaptive_cutoffs": []}
    model = build_model(kind, len(SRC), len(TGT), config).eval()
    table = breakdown(Checkpoint(model, kind, config, SRC, TGT, 1, {}), FRAME)
    assert table["share"].sum() == pytest.approx(1.0)
    assert set(table.index) >= {"keyword", "layout", "docstring_name", "eos"}
    batch = next(make_batches(encode_rows(FRAME, SRC, TGT, copy=kind == "copy"), 8, tgt_vocab_size=len(TGT)))
    with torch.no_grad():
        loss = float(model.loss(batch)) / batch.n_tokens
    assert table["contribution"].sum() == pytest.approx(loss, abs=1e-3)
