"""Validation loss by the kind of code token predicted: where one model's loss is lower or higher than another's.

    python -m lib.loss_breakdown                      # rnn, lstm, attn, copy on the validation split
    python -m lib.loss_breakdown --models lstm attn --json breakdown.json

Every target piece, EOS included, takes the type of its whole code token (lib/evaluation/alignment.py,
`token_type`: layout, operator, docstring_name, signature_name, other_name, literal, keyword, punctuation; a
spelled or copied name is one token however many pieces it takes) or `eos`. For each model and type the table
gives the share of target pieces, the mean loss per piece (nats, teacher-forced, as in training) and the
contribution to the model's validation loss (loss x share; the contributions add up to the loss).
"""
from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from pathlib import Path

import pandas as pd
import torch

from lib.common.paths import MODELS_DIR, SPLIT_DIR
from lib.evaluation.alignment import DocstringNames, signature_names, token_type
from lib.models.batching import encode_copy, encode_rows, make_batches
from lib.models.checkpoint import load_checkpoint
from lib.models.registry import MODEL_KINDS

EOS_TYPE = "eos"


def piece_types(src_tokens: Sequence[str], tgt_tokens: Sequence[str], pieces_of) -> list[str]:
    """The type of each target piece, EOS last; `pieces_of(token)` is how many pieces a model writes it with."""
    docstring, signature = DocstringNames(src_tokens), signature_names(tgt_tokens)
    types = []
    for token in tgt_tokens:
        types += [token_type(token, docstring, signature)] * pieces_of(token)
    return [*types, EOS_TYPE]


def breakdown(checkpoint, frame: pd.DataFrame, batch_size: int = 64) -> pd.DataFrame:
    """One row per token type: share of pieces, mean loss per piece, contribution to the loss."""
    model, src_vocab, tgt_vocab = checkpoint.model.eval(), checkpoint.src_vocab, checkpoint.tgt_vocab
    copy = model.spec.copy
    examples = encode_rows(frame, src_vocab, tgt_vocab, copy=copy)
    types = []
    for src, tgt in zip(frame["src"], frame["tgt"]):
        if copy:  # a piece of the docstring is copied (one id), others spelled: count as training does
            pieces_of = lambda token, src=src: len(encode_copy(src, tgt_vocab, [token])[1]) - 2  # noqa: E731
        else:
            pieces_of = lambda token: len(tgt_vocab.encode([token]))  # noqa: E731
        types.append(piece_types(src, tgt, pieces_of))
    for row, (example, row_types) in enumerate(zip(examples, types)):
        if len(example[1]) - 1 != len(row_types):
            raise ValueError(f"row {row}: {len(row_types)} typed pieces for {len(example[1]) - 1} targets")
    with torch.no_grad():  # unbucketed batches in row order, and each batch's pieces row by row: the order of types
        losses = [-model.gold_log_likelihoods(batch)
                  for batch in make_batches(examples, batch_size, bucketing=False, tgt_vocab_size=len(tgt_vocab))]
    table = pd.DataFrame({"type": [t for row_types in types for t in row_types], "loss": torch.cat(losses).numpy()})
    grouped = table.groupby("type")["loss"].agg(["size", "mean", "sum"])
    return pd.DataFrame({"share": grouped["size"] / len(table), "loss": grouped["mean"],
                         "contribution": grouped["sum"] / len(table)}).round(4)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--models", nargs="+", choices=MODEL_KINDS, default=list(MODEL_KINDS))
    parser.add_argument("--models-dir", type=Path, default=MODELS_DIR)
    parser.add_argument("--split", type=Path, default=SPLIT_DIR)
    parser.add_argument("--json", type=Path, help="also write the tables here")
    args = parser.parse_args(argv)
    valid = pd.read_parquet(args.split / "valid.parquet")
    tables = {model: breakdown(load_checkpoint(args.models_dir / f"{model}.pt"), valid) for model in args.models}
    for model, table in tables.items():
        total = table["contribution"].sum()
        print(f"\n{model}: validation loss {total:.4f}\n{table.to_string()}")
    if args.json:
        args.json.write_text(json.dumps({m: t.to_dict(orient="index") for m, t in tables.items()}, indent=1))


if __name__ == "__main__":
    main()
