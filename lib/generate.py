"""Try a trained model on docstrings of your own.

    python -m lib.generate --model attn "returns the maximum value in a list of integers"
    python -m lib.generate --model copy --min-len 0 "return the sum of two numbers"   # let the model stop
    python -m lib.generate --model lstm --beam 5 --file docstrings.txt   # one docstring a line; - for stdin
    python -m lib.generate --model attn --attention /tmp/heatmap.png "open a file and return its lines"
    python -m lib.generate --model rerank "return the sum of two numbers"   # the fifth system (dvc repro rerank)
    python -m lib.generate --file conala-test.json --column rewritten_intent --column intent --output answer.json
"""
from __future__ import annotations

import argparse
import json
import sys
from dataclasses import replace
from pathlib import Path

import pandas as pd
import torch

from lib.common.cli import DataError, StageError
from lib.common.config import PARAMS_FILE, Config, DecodeConfig, ParamError, load_config
from lib.common.paths import MODELS_DIR, SPLIT_DIR
from lib.decoding.prediction import generate
from lib.evaluation.scoring import RERANK
from lib.models.checkpoint import Checkpoint, CheckpointError, load_checkpoint
from lib.models.registry import ATTENTION_KINDS, MODEL_KINDS
from lib.prepare.json_rows import read_json_rows
from lib.rerank.system import RANKER_PATH, REVERSE_CHECKPOINT, Reranker
from lib.tokens.code_tokens import detokenize
from lib.tokens.docstrings import summarize, tokenize_summary

ROW_FILES = (".json", ".jsonl")  # --file formats read row by row (see --column); anything else is one a line
# The widest --beam. Beam search decodes 64 // beam docstrings at once, so up to 64 a step is one batch of at most 64
# rows; past it memory and time grow with the beam alone (--beam 100000 ran for minutes and took over 4 GB).
MAX_BEAM = 64


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m lib.generate", description=__doc__.split("\n")[0])
    parser.add_argument("docstrings", nargs="*", help="docstrings to turn into code")
    parser.add_argument("--model", choices=(*MODEL_KINDS, RERANK), default="attn",
                        help="which trained model, or the rerank system (default: attn)")
    parser.add_argument("--file", help="read docstrings from this file: one a line ('-' for stdin), or the rows of "
                                       "a .json (one array) or .jsonl (one object a line) file, see --column")
    parser.add_argument("--column", action="append", metavar="NAME",
                        help="the field of a .json / .jsonl row holding the docstring (default: docstring); "
                             "repeat it for fallbacks, the first non-empty is used (--column rewritten_intent "
                             "--column intent)")
    parser.add_argument("--output", metavar="JSON",
                        help="write one code string per docstring, in order, as a JSON list (a benchmark "
                             "submission: CoNaLa's answer file); a docstring without words gets \"\"")
    parser.add_argument("--beam", type=int, help=f"beam size, 1 (greedy) to {MAX_BEAM} (default: decode.beam_size "
                                                  "of params.yaml)")
    parser.add_argument("--min-len", type=int, help="no end of code before this many pieces, 0 to decode.max_len "
                        "(default: decode.min_len, chosen for corpus BLEU; 0 lets a short request get a short answer)")
    parser.add_argument("--constrained", action=argparse.BooleanOptionalAction,
                        help="mask tokens that cannot lead to parseable code (default: decode.constrained)")
    parser.add_argument("--attention", metavar="PNG",
                        help="save the attention heatmap (attn, or copy with its gate; one docstring)")
    parser.add_argument("--models-dir", default=str(MODELS_DIR),
                        help=f"the folder holding <model>.pt (default: {MODELS_DIR})")
    return parser.parse_args(argv)


def read_docstrings(args: argparse.Namespace) -> list[str]:
    """The docstrings of the arguments, then those of --file; DataError when the file cannot be read."""
    texts = list(args.docstrings)
    try:
        if args.file and Path(args.file).suffix in ROW_FILES:
            texts += read_rows(args.file, args.column or ["docstring"])
        elif args.file:
            source = sys.stdin if args.file == "-" else open(args.file, encoding="utf-8")
            with source:
                texts += [line.strip() for line in source if line.strip()]
    except OSError as error:
        raise DataError(f"cannot read {args.file}: {error.strerror}") from None
    except UnicodeDecodeError as error:
        raise DataError(f"cannot read {args.file}: not UTF-8 text (byte {error.start}: {error.reason})") from None
    return texts


def read_rows(path: str, columns: list[str]) -> list[str]:
    """The text of each row of a .json (an array) or .jsonl file, in order: a row that is a string, or the first
    non-empty of `columns` ("" when none is). DataError naming the file and line when it does not parse, has no
    rows, or no row has a column."""
    rows = read_json_rows(path)
    if not any(isinstance(row, str) or (isinstance(row, dict) and any(c in row for c in columns)) for row in rows):
        raise DataError(f"no row of {path} has the field {' or '.join(columns)}; name it with --column")
    return [row if isinstance(row, str) else _first_text(row, columns) for row in rows]


def _first_text(row, columns: list[str]) -> str:
    values = (row.get(column) for column in columns) if isinstance(row, dict) else ()
    return next((value.strip() for value in values if isinstance(value, str) and value.strip()), "")


def repository_config() -> Config | None:
    """The checked params.yaml of the repository (a bad one raises ParamError, as in the stages); None outside
    a repository, where the tools' defaults apply."""
    return load_config() if PARAMS_FILE.is_file() else None


def decode_config(args: argparse.Namespace, params: Config | None) -> DecodeConfig:
    """The `decode` section (the built-in defaults outside the repository) with the options' changes;
    StageError when an option is out of range."""
    config = params.decode if params else DecodeConfig()
    check_options(args, config)
    changes = {}
    if args.beam is not None:
        changes["beam_size"] = args.beam
    if args.min_len is not None:
        changes["min_len"] = args.min_len
    if args.constrained is not None:
        changes["constrained"] = args.constrained
    return replace(config, **changes)


def check_options(args: argparse.Namespace, config: DecodeConfig) -> None:
    """StageError when --beam or --min-len is out of range (--min-len is bounded by the length decoded)."""
    if args.beam is not None and not 1 <= args.beam <= MAX_BEAM:
        raise StageError(f"--beam must be between 1 and {MAX_BEAM}, got {args.beam}")
    if args.min_len is not None and not 0 <= args.min_len <= config.max_len:
        raise StageError(f"--min-len must be between 0 and decode.max_len ({config.max_len}), got {args.min_len}")


def prepare_output(path: str | None, option: str) -> None:
    """Create the folder `path` (a file an option names) goes in; StageError when it is a folder or cannot be made,
    so a long decoding never ends in a failed write."""
    if path is None:
        return
    if Path(path).is_dir():
        raise StageError(f"{option} {path} is a folder: name the file to write")
    try:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise StageError(f"{option} {path}: cannot create its folder ({error.strerror})") from None


def summary_steps(params: Config | None) -> dict:
    """tokenize.first_sentence / strip_markup of params.yaml, so a docstring is summarized as the models' training
    data was (intents kept whole for CoNaLa); summarize's defaults outside the repository."""
    if params is None:
        return {}
    return {"first_sentence": params.tokenize.first_sentence, "strip_markup": params.tokenize.strip_markup}


def source_limit(params: Config | None) -> int | None:
    """tokenize.max_src_len of params.yaml: the longest summary the models were trained on; None outside the
    repository, where nothing says what the models saw."""
    return params.tokenize.max_src_len if params else None


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
    if path.is_file() or folder.resolve() == MODELS_DIR.resolve():
        return path
    if not folder.is_dir():
        raise CheckpointError(f"--models-dir {folder} does not exist: point it at the folder holding {model}.pt")
    raise CheckpointError(f"{path} not found: --models-dir should point at the folder holding {model}.pt")


def load_model(models_dir: str, model: str) -> Checkpoint:
    """The checkpoint of `model`, on CPU; CheckpointError when the file holds another kind of model."""
    path = checkpoint_path(models_dir, model)
    checkpoint = load_checkpoint(path, device=torch.device("cpu"))
    if checkpoint.kind != model:
        raise CheckpointError(f"{path} holds the {checkpoint.kind} model, not {model}: rebuild it with `dvc repro` or "
                              f"point --models-dir at the folder holding the {model} checkpoint")
    return checkpoint


def load_reranker(models_dir: str, params: Config | None, config: DecodeConfig) -> Reranker:
    """The rerank system of the repository: its params, the pool and reverse models, the training split's retriever
    and the fitted ranker; StageError naming what is missing."""
    if params is None:
        raise StageError("--model rerank reads the repository's params.yaml: run it from the repository root")
    for path in (SPLIT_DIR / "train.parquet", RANKER_PATH):
        if not path.is_file():
            raise DataError(f"{path} not found: run `dvc repro rerank` first")
    return Reranker.load(params.rerank, config, Path(models_dir), Path(models_dir) / REVERSE_CHECKPOINT,
                         pd.read_parquet(SPLIT_DIR / "train.parquet", columns=["src", "tgt"]), RANKER_PATH)


def chosen_note(candidate) -> str:
    """Where the rerank system's answer came from: a model's beam, or retrieved code and its similarity."""
    where = f" of {candidate.model}" if candidate.model else f" (similarity {candidate.similarity:.2f})"
    return f"# chosen: {candidate.source}{where}"


def save_heatmap(path: str, text: str, source: list[str], generation, clipped: bool) -> None:
    """Draw the attention of `generation`, titled with the docstring, or with the tokens used when it was clipped."""
    from lib.study.plotting import attention_heatmap  # matplotlib only when a heatmap is asked for
    title = " ".join(source) + " …" if clipped else text
    attention_heatmap(generation.attention, source, generation.tokens, path, title=title,
                      copy_gate=generation.copy_gate)
    print(f"# attention heatmap: {path}")


def fail(message: str) -> int:
    """Print one clear line and return the exit status of bad input."""
    print(f"error: {message}", file=sys.stderr)
    return 2


def has_words(source: list[str]) -> bool:
    return any(token[0].isalnum() or token[0] == "_" for token in source)


def write_submission(path: str, codes: list[str], skipped: int) -> None:
    """The code strings as one JSON list, in the docstrings' order (a benchmark's answer file)."""
    Path(path).write_text(json.dumps(codes, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    note = f" ({skipped} docstrings without words got \"\")" if skipped else ""
    print(f"# wrote {len(codes)} code strings to {path}{note}")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        return run(args)
    except StageError as error:  # a bad option, param, input file, output path or checkpoint
        return fail(str(error))


def run(args: argparse.Namespace) -> int:
    """Decode the docstrings of `args` and print or write the code; every check comes before the decoding."""
    params = repository_config()
    config = decode_config(args, params)
    texts = read_docstrings(args)
    if not texts or not (args.output or all(text.strip() for text in texts)):
        raise StageError("give a non-empty docstring, as an argument or with --file")
    if args.attention and (args.model not in ATTENTION_KINDS or len(texts) != 1):
        raise StageError(f"--attention needs --model {' or '.join(ATTENTION_KINDS)} and exactly one docstring")
    if args.model == RERANK:
        reranker = load_reranker(args.models_dir, params, config)
    else:
        checkpoint = load_model(args.models_dir, args.model)
    steps = summary_steps(params)
    sources = [tokenize_summary(summarize(text, **steps)) for text in texts]
    usable = [has_words(source) for source in sources]
    if not all(usable) and not (args.output and any(usable)):
        raise StageError("a docstring has no words left after summarizing; write a sentence")
    prepare_output(args.output, "--output")
    prepare_output(args.attention, "--attention")
    texts, full = [t for t, ok in zip(texts, usable) if ok], [s for s, ok in zip(sources, usable) if ok]
    sources = clip_sources(full, source_limit(params))
    if args.model == RERANK:
        chosen = reranker.answer(sources)
        answers, notes = [list(c.tokens) for c in chosen], [[chosen_note(c)] for c in chosen]
    else:
        generations = generate(checkpoint.model, checkpoint.src_vocab, checkpoint.tgt_vocab, sources, config,
                               gates=bool(args.attention))
        answers = [generation.tokens for generation in generations]
        unknown = [[word for word in source if word not in checkpoint.src_vocab] for source in sources]
        notes = [[f"# words the model never saw (read as <unk>): {', '.join(words)}"] if words else []
                 for words in unknown]
    if args.output:  # every input row gets its string, so the answer lines up with the benchmark's rows
        codes = iter(detokenize(tokens) for tokens in answers)
        write_submission(args.output, [next(codes) if ok else "" for ok in usable], usable.count(False))
        return 0
    for text, lines, tokens in zip(texts, notes, answers):
        print(f"# {text}", *lines, detokenize(tokens), sep="\n")
    if args.attention:
        save_heatmap(args.attention, texts[0], sources[0], generations[0], clipped=len(sources[0]) < len(full[0]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
