"""Training throughput of the three assignment models against the tutorial-style reference trainer.

    python -m lib.benchmark                       # all three models, default params, data/split
    python -m lib.benchmark --models attn --batches 30

For each model: real (non-pad) target tokens per second over a fixed number of training batches (after a
warm-up) on the prepared training data at the sizes in params.yaml, torch threads = cores; then
`--reference` (../shared/bench/reference.py) run in the same process tree with the same vocabulary sizes,
embedding / hidden sizes, batch size and thread count, fed the real training lengths (special tokens
included). Prints a table: model, ours tok/s, reference tok/s, ratio.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch

from lib.common.cli import run_stage
from lib.common.device import set_seed
from lib.common.paths import SPLIT_DIR
from lib.common.config import Config, TrainConfig, load_config
from lib.models.batching import make_batches
from lib.models.registry import MODEL_KINDS, MODELS
from lib.models.seq2seq import build_model
from lib.training.trainer import load_data, read_config, train_step


def measure(kind: str, params: Config, vocabs, train, batches: int, warmup: int) -> dict:
    """Training tokens per second of `kind` on CPU over `batches` batches after `warmup` ones."""
    run = read_config(params, kind)
    config = run.train
    src_vocab, tgt_vocab = vocabs
    set_seed(config.seed)
    model = build_model(kind, len(src_vocab), len(tgt_vocab), run.hyperparameters()).train()
    optimizer = torch.optim.Adam(model.parameters(), lr=config.lr)
    stream = make_batches(train, config.batch_size, shuffle=True, bucketing=config.bucketing,
                          seed=config.seed)
    tokens, start = 0, None
    for step, batch in zip(range(warmup + batches), stream):
        if step == warmup:
            start = time.perf_counter()
        train_step(model, optimizer, batch, config)
        if step >= warmup:
            tokens += batch.n_tokens
    seconds = time.perf_counter() - start
    return {"tokens_per_second": tokens / seconds, "seconds": seconds, "config": config}


def reference(script: Path, kind: str, config: TrainConfig, vocab_sizes: tuple[int, int], lengths_file: Path,
              threads: int, steps: int) -> float:
    """The reference trainer's tokens per second (the last line it prints)."""
    command = [sys.executable, str(script), "--model", kind, "--lengths", str(lengths_file),
               "--src-vocab", str(vocab_sizes[0]), "--tgt-vocab", str(vocab_sizes[1]),
               "--emb", str(config.emb_dim), "--hid", str(config.hidden_dim),
               "--batch", str(config.batch_size), "--threads", str(threads), "--steps", str(steps)]
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    return float(done.stdout.strip().splitlines()[-1])


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description="Training throughput: ours vs the reference trainer.")
    # the reference trainer has no copy model; its training time is in metrics/timings/train_copy.json
    assignment_models = [kind for kind in MODEL_KINDS if not MODELS[kind].copy]
    parser.add_argument("--models", nargs="+", choices=assignment_models, default=assignment_models)
    parser.add_argument("--params", default="params.yaml")
    parser.add_argument("--split", type=Path, default=SPLIT_DIR)
    parser.add_argument("--reference", default="../shared/bench/reference.py",
                        help="the reference trainer; 'none' to skip it")
    parser.add_argument("--batches", type=int, default=30, help="timed batches per model (ours)")
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--ref-steps", type=int, default=6, help="timed batches of the reference (slow)")
    parser.add_argument("--threads", type=int, default=os.cpu_count(), help="torch threads (default: cores)")
    args = parser.parse_args(argv)

    torch.set_num_threads(args.threads)
    params = load_config(Path(args.params))
    src_vocab, tgt_vocab, train, _ = load_data(args.split)
    sizes = (len(src_vocab), len(tgt_vocab))
    ref_script = None if args.reference == "none" else Path(args.reference)
    if ref_script is not None and not ref_script.is_file():
        parser.error(f"reference trainer {ref_script} not found (pass --reference PATH or --reference none)")
    print(f"{len(train):,} training pairs, vocab src {sizes[0]:,} / tgt {sizes[1]:,}, {args.threads} threads, "
          f"{args.batches} timed batches (reference: {args.ref_steps})", file=sys.stderr)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        lengths_file = Path(tmp) / "lengths.json"
        lengths_file.write_text(json.dumps([[len(s), len(t)] for s, t in train]))  # src + EOS, BOS + tgt + EOS
        for kind in args.models:
            ours = measure(kind, params, (src_vocab, tgt_vocab), train, args.batches, args.warmup)
            theirs = float("nan")
            if ref_script is not None:
                theirs = reference(ref_script, kind, ours["config"], sizes, lengths_file, args.threads, args.ref_steps)
            rows.append((kind, ours["tokens_per_second"], theirs))
            print(f"{kind}: ours {ours['tokens_per_second']:,.0f} tok/s, reference {theirs:,.0f} tok/s",
                  file=sys.stderr)
    print(f"{'model':<6} {'ours tok/s':>11} {'ref tok/s':>10} {'ratio':>7}")
    for kind, ours, theirs in rows:
        print(f"{kind:<6} {ours:>11,.0f} {theirs:>10,.0f} {ours / theirs:>6.1f}x")


if __name__ == "__main__":
    run_stage(main)
