"""Choose the `decode` settings on the validation split (never on test): BLEU, exact match and compile rate
of each model under every combination of the settings given.

    python -m lib.tune_decoding                                   # all models, 400 validation rows
    python -m lib.tune_decoding --models attn copy --beam 1 5 --min-len 0 10 20 --length-penalty 1.0
    python -m lib.tune_decoding --beam 5 --min-len 0 --length-reward 0 0.5 1 --allow-unk true false
"""
from __future__ import annotations

import argparse
import itertools
from dataclasses import replace
from pathlib import Path

import pandas as pd

from lib.common.config import DecodeConfig, load_config
from lib.common.paths import MODELS_DIR, SPLIT_DIR
from lib.decoding.prediction import generate
from lib.decoding.unknowns import count_unknowns
from lib.evaluation import metrics
from lib.models.checkpoint import load_checkpoint
from lib.models.registry import MODEL_KINDS
from lib.tokens.vocabulary import UNK


def grid(base: DecodeConfig, beams: list[int], min_lens: list[int], penalties: list[float],
         rewards: list[float] | None = None, allow_unks: list[bool] | None = None) -> list[DecodeConfig]:
    """Every combination of the settings, on top of `base` (length penalties and rewards only matter for
    beams > 1; None: the base's value)."""
    configs = []
    for beam, min_len, allow_unk in itertools.product(beams, min_lens, allow_unks or [base.allow_unk]):
        beam_only = (penalties, rewards or [base.length_reward]) if beam > 1 else \
            ([base.length_penalty], [base.length_reward])
        for penalty, reward in itertools.product(*beam_only):
            configs.append(replace(base, beam_size=beam, min_len=min_len, length_penalty=penalty,
                                   length_reward=reward, allow_unk=allow_unk))
    return configs


def score(model_path: Path, valid: pd.DataFrame, config: DecodeConfig, short_len: int) -> dict:
    """BLEU, exact match (all, and on references of at most `short_len` tokens), compile rate, mean output
    length and UNK per output of one model on `valid` under `config`."""
    checkpoint = load_checkpoint(model_path)
    generations = generate(checkpoint.model, checkpoint.src_vocab, checkpoint.tgt_vocab, list(valid["src"]), config)
    outputs = [g.tokens for g in generations]
    references = [list(tokens) for tokens in valid["tgt"]]
    return {"bleu": round(metrics.corpus_bleu(outputs, references)[0], 2),
            "exact": round(metrics.exact_match(outputs, references), 4),
            "exact_short": round(metrics.exact_match(outputs, references, max_ref_len=short_len), 4),
            "compile": round(metrics.token_compile_rate(outputs), 4),
            "length": round(metrics.mean_length(outputs), 1),
            "unk": round(sum(count_unknowns(g.raw_tokens, UNK) for g in generations) / len(generations), 2)}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--models", nargs="+", choices=MODEL_KINDS, default=list(MODEL_KINDS))
    parser.add_argument("--rows", type=int, default=400, help="first rows of the validation split")
    parser.add_argument("--beam", nargs="+", type=int, default=[1, 5])
    parser.add_argument("--min-len", nargs="+", type=int, default=[0, 10, 20, 30])
    parser.add_argument("--length-penalty", nargs="+", type=float, default=[1.0])
    parser.add_argument("--length-reward", nargs="+", type=float, default=None, help="default: params.yaml's")
    parser.add_argument("--allow-unk", nargs="+", choices=["true", "false"], default=None,
                        help="default: params.yaml's")
    parser.add_argument("--models-dir", type=Path, default=MODELS_DIR)
    parser.add_argument("--split", type=Path, default=SPLIT_DIR)
    args = parser.parse_args(argv)
    valid = pd.read_parquet(args.split / "valid.parquet").head(args.rows)
    params = load_config()
    base, short_len = params.decode, params.evaluate.short_len
    allow_unks = None if args.allow_unk is None else [value == "true" for value in args.allow_unk]
    configs = grid(base, args.beam, args.min_len, args.length_penalty, args.length_reward, allow_unks)
    rows = []
    for model in args.models:
        for config in configs:
            result = score(args.models_dir / f"{model}.pt", valid, config, short_len)
            rows.append({"model": model, "beam": config.beam_size, "min_len": config.min_len,
                         "length_penalty": config.length_penalty, "length_reward": config.length_reward,
                         "allow_unk": config.allow_unk, **result})
            print(rows[-1], flush=True)
    print(pd.DataFrame(rows).to_string(index=False))


if __name__ == "__main__":
    main()
