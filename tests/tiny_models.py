"""Tiny untrained models for the decoding tests (imported by them: pytest puts tests/ on sys.path)."""
import torch

from lib.models.seq2seq import build_model

ARCH = {"emb_dim": 8, "hidden_dim": 8, "dropout": 0.0, "adaptive_cutoffs": [], "attention_dim": 8, "num_layers": 1}


def scaled_model(kind: str, src_vocab, tgt_vocab, scale: float):
    """Model `kind` seeded 0, in eval mode, its weights multiplied by `scale` so that its attention and choices
    differ from row to row."""
    torch.manual_seed(0)
    seq2seq = build_model(kind, len(src_vocab), len(tgt_vocab), ARCH).eval()
    with torch.no_grad():
        for parameter in seq2seq.parameters():
            parameter.mul_(scale)
    return seq2seq
