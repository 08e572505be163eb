"""Try a trained model on docstrings of your own.

    python -m lib.generate --model attn "returns the maximum value in a list of integers"
    python -m lib.generate --model lstm --beam 5 --file docstrings.txt   # one docstring a line; - for stdin
    python -m lib.generate --model attn --attention heatmap.png "open a file and return its lines"
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import torch

from lib.common.params import ParamError, load_params
from lib.decoding.prediction import DecodeConfig, generate
from lib.models.checkpoint import CheckpointError, load_checkpoint
from lib.models.seq2seq import MODEL_KINDS
from lib.tokens.code_tokens import detokenize
from lib.tokens.docstrings import summarize, tokenize_summary


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m lib.generate", description=__doc__.split("\n")[0])
    parser.add_argument("docstrings", nargs="*", help="docstrings to turn into code")
    parser.add_argument("--model", choices=MODEL_KINDS, default="attn", help="which trained model (default: attn)")
    parser.add_argument("--file", help="read docstrings from this file, one a line ('-' for stdin)")
    parser.add_argument("--beam", type=int, help="beam size (default: decode.beam_size of params.yaml; 1 = greedy)")
    parser.add_argument("--constrained", action=argparse.BooleanOptionalAction,
                        help="mask tokens that cannot lead to parseable code (default: decode.constrained)")
    parser.add_argument("--attention", metavar="PNG", help="save the attention heatmap (attn model; one docstring)")
    parser.add_argument("--models-dir", default="models", help="where the checkpoints are (default: models)")
    return parser.parse_args(argv)


def read_docstrings(args: argparse.Namespace) -> list[str]:
    texts = list(args.docstrings)
    if args.file:
        source = sys.stdin if args.file == "-" else open(args.file, encoding="utf-8")
        with source:
            texts += [line.strip() for line in source if line.strip()]
    return texts


def decode_config(args: argparse.Namespace) -> DecodeConfig:
    try:
        config = DecodeConfig.from_params(load_params())
    except ParamError:
        config = DecodeConfig()  # outside the repository: the built-in defaults
    changes = {}
    if args.beam is not None:
        changes["beam_size"] = args.beam
    if args.constrained is not None:
        changes["constrained"] = args.constrained
    return DecodeConfig(**{**vars(config), **changes})


def fail(message: str) -> int:
    """Print one clear line and return the exit status of bad input."""
    print(f"error: {message}", file=sys.stderr)
    return 2


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        texts = read_docstrings(args)
    except OSError as error:
        return fail(f"cannot read {args.file}: {error.strerror}")
    if not texts or not all(text.strip() for text in texts):
        return fail("give a non-empty docstring, as an argument or with --file")
    if args.beam is not None and args.beam < 1:
        return fail("--beam must be at least 1")
    if args.attention and (args.model != "attn" or len(texts) != 1):
        return fail("--attention needs --model attn and exactly one docstring")
    try:
        checkpoint = load_checkpoint(Path(args.models_dir) / f"{args.model}.pt", device=torch.device("cpu"))
    except CheckpointError as error:
        return fail(str(error))
    sources = [tokenize_summary(summarize(text)) for text in texts]
    if not all(any(token[0].isalnum() or token[0] == "_" for token in source) for source in sources):
        return fail("a docstring has no words left after summarizing; write a sentence")
    generations = generate(checkpoint.model, checkpoint.src_vocab, checkpoint.tgt_vocab, sources, decode_config(args))
    for text, source, generation in zip(texts, sources, generations):
        unknown = [word for word in source if word not in checkpoint.src_vocab]
        print(f"# {text}")
        if unknown:
            print(f"# words the model never saw (read as <unk>): {', '.join(unknown)}")
        print(detokenize(generation.tokens))
    if args.attention:
        from lib.study.plotting import attention_heatmap
        attention_heatmap(generations[0].attention, sources[0], generations[0].tokens, args.attention, title=texts[0])
        print(f"# attention heatmap: {args.attention}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
