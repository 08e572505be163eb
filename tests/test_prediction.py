"""`generate`'s progress bar: on stderr only when it is a terminal, and without effect on the outputs."""
import io
import sys

import torch

from lib.common.config import DecodeConfig
from lib.decoding.prediction import generate
from lib.models.seq2seq import build_model
from lib.tokens.vocabulary import SPECIALS, Vocabulary

ARCH = {"emb_dim": 8, "hidden_dim": 8, "dropout": 0.0, "adaptive_cutoffs": [], "attention_dim": 8, "num_layers": 1}
SRC = Vocabulary([*SPECIALS, "returns", "the", "maximum", "value"])
TGT = Vocabulary([*SPECIALS, "def", "f", "(", ")", ":", "return", "max", "x"])
DOCSTRINGS = [["returns", "the", "maximum"], ["the", "value"], ["returns", "value"]]
CONFIG = DecodeConfig(beam_size=2, max_len=6)


class Terminal(io.StringIO):
    """A stderr that says it is a terminal, as tqdm asks before it draws."""

    def isatty(self) -> bool:
        return True


def decoded(progress=None) -> list[list[str]]:
    torch.manual_seed(0)
    model = build_model("attn", len(SRC), len(TGT), ARCH).eval()
    return [g.tokens for g in generate(model, SRC, TGT, DOCSTRINGS, CONFIG, batch_size=2, progress=progress)]


def test_progress_is_drawn_when_labelled_on_a_terminal_only_and_changes_no_output(capsys, monkeypatch):
    quiet = decoded()
    assert decoded(progress="decoding attn") == quiet
    assert capsys.readouterr().err == ""  # stderr is captured, not a terminal: no bar
    terminal = Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    assert decoded() == quiet and terminal.getvalue() == ""  # no label, no bar (the tools decode silently)
    assert decoded(progress="decoding attn") == quiet
    assert "decoding attn: 100%" in terminal.getvalue() and "3/3" in terminal.getvalue()
