"""Try a trained model on docstrings of your own.

    python -m lib.generate --model attn "returns the maximum value in a list of integers"
    python -m lib.generate --model lstm --beam 5 --file docstrings.txt   # one docstring a line; - for stdin
    python -m lib.generate --model attn --attention /tmp/heatmap.png "open a file and return its lines"
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import torch

from lib.common.params import ParamError, get, load_params
from lib.decoding.prediction import DecodeConfig, generate
from lib.models.checkpoint import CheckpointError, load_checkpoint
from lib.models.seq2seq import ATTENTION_KINDS, MODEL_KINDS
from lib.tokens.code_tokens import detokenize
from lib.tokens.docstrings import summarize, tokenize_summary

DEFAULT_MODELS_DIR = "models"  # where `dvc repro` writes the checkpoints


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m lib.generate", description=__doc__.split("\n")[0])
    parser.add_argument("docstrings", nargs="*", help="docstrings to turn into code")
    parser.add_argument("--model", choices=MODEL_KINDS, default="attn", help="which trained model (default: attn)")
    parser.add_argument("--file", help="read docstrings from this file, one a line ('-' for stdin)")
    parser.add_argument("--beam", type=int, help="beam size (default: decode.beam_size of params.yaml; 1 = greedy)")
    parser.add_argument("--constrained", action=argparse.BooleanOptionalAction,
                        help="mask tokens that cannot lead to parseable code (default: decode.constrained)")
    parser.add_argument("--attention", metavar="PNG", help="save the attention heatmap (attn model; one docstring)")
    parser.add_argument("--models-dir", default=DEFAULT_MODELS_DIR,
                        help=f"the folder holding <model>.pt (default: {DEFAULT_MODELS_DIR})")
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


def source_limit() -> int | None:
    """tokenize.max_src_len of params.yaml: the longest summary the models were trained on; None when unknown."""
    try:
        return get(load_params(), "tokenize.max_src_len", int, minimum=1)
    except ParamError:
        return None  # outside the repository nothing says what the models saw


def clip_sources(sources: list[list[str]], limit: int | None) -> list[list[str]]:
    """The first `limit` tokens of each summary, with one warning line on stderr when any was longer.

    Longer inputs than any training summary give meaningless code and an unreadable heatmap."""
    longest = max(len(source) for source in sources)
    if limit is None or longest <= limit:
        return sources
    clipped = sum(len(source) > limit for source in sources)
    which = f"this docstring has {longest}" if len(sources) == 1 else f"{clipped} docstrings have more"
    print(f"warning: the models were trained on summaries of at most {limit} tokens; {which}, "
          f"so only the first {limit} are used", file=sys.stderr)
    return [source[:limit] for source in sources]


def checkpoint_path(models_dir: str, model: str) -> Path:
    """Where `model`'s checkpoint is, or CheckpointError when a --models-dir of the user's lacks it.

    Only the default folder gets load_checkpoint's advice to run `dvc repro`: nothing else builds it."""
    folder = Path(models_dir)
    path = folder / f"{model}.pt"
    if path.is_file() or folder.resolve() == Path(DEFAULT_MODELS_DIR).resolve():
        return path
    if not folder.is_dir():
        raise CheckpointError(f"--models-dir {folder} does not exist: point it at the folder holding {model}.pt")
    raise CheckpointError(f"{path} not found: --models-dir should point at the folder holding {model}.pt")


def save_heatmap(path: str, text: str, source: list[str], generation, clipped: bool) -> None:
    """Draw the attention of `generation`, titled with the docstring, or with the tokens used when it was clipped."""
    from lib.study.plotting import attention_heatmap  # matplotlib only when a heatmap is asked for
    title = " ".join(source) + " …" if clipped else text
    attention_heatmap(generation.attention, source, generation.tokens, path, title=title)
    print(f"# attention heatmap: {path}")


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
    if args.attention and (args.model not in ATTENTION_KINDS or len(texts) != 1):
        return fail(f"--attention needs --model {' or '.join(ATTENTION_KINDS)} and exactly one docstring")
    try:
        checkpoint = load_checkpoint(checkpoint_path(args.models_dir, args.model), device=torch.device("cpu"))
    except CheckpointError as error:
        return fail(str(error))
    sources = [tokenize_summary(summarize(text)) for text in texts]
    if not all(any(token[0].isalnum() or token[0] == "_" for token in source) for source in sources):
        return fail("a docstring has no words left after summarizing; write a sentence")
    full_lengths = [len(source) for source in sources]
    sources = clip_sources(sources, source_limit())
    generations = generate(checkpoint.model, checkpoint.src_vocab, checkpoint.tgt_vocab, sources, decode_config(args))
    for text, source, generation in zip(texts, sources, generations):
        unknown = [word for word in source if word not in checkpoint.src_vocab]
        print(f"# {text}")
        if unknown:
            print(f"# words the model never saw (read as <unk>): {', '.join(unknown)}")
        print(detokenize(generation.tokens))
    if args.attention:
        save_heatmap(args.attention, texts[0], sources[0], generations[0], clipped=len(sources[0]) < full_lengths[0])
    return 0


if __name__ == "__main__":
    sys.exit(main())
