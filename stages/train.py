r"""Stage `train_<model>`: train one seq2seq model (rnn, lstm, attn or copy) on the split; with `--reverse`, stage
`train_reverse`: the model writes the docstring from the code (the rerank stage's reconstruction score).

    python -m stages.train --model attn --split data/split --checkpoint models/attn.pt \
        --metrics metrics/train/attn.json --dvclive plots/train/attn --timings metrics/timings/train_attn.json
    torchrun --standalone --nproc_per_node N -m stages.train --model attn ...   # N processes (DDP)

Reads the `train` and `<model>` sections of params.yaml; what it writes: lib/training/trainer.py.
"""
import argparse
from pathlib import Path

from lib.common.cli import run_stage, stage_parser
from lib.common.config import load_config
from lib.models.registry import MODEL_KINDS
from lib.training.distributed import processes_from_environment
from lib.training.trainer import RunOutputs, read_config, run


def command_line() -> argparse.ArgumentParser:
    parser, inputs, outputs = stage_parser(__doc__)
    parser.add_argument("--model", choices=MODEL_KINDS, required=True)
    parser.add_argument("--reverse", action="store_true", help="train code -> docstring")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    inputs.add_argument("--split", type=Path, required=True, help="folder: vocab.json, {train,valid}.parquet")
    outputs.add_argument("--checkpoint", type=Path, required=True, help="the best checkpoint by validation loss")
    outputs.add_argument("--metrics", type=Path, required=True, help="JSON file: losses, epochs, parameters")
    outputs.add_argument("--dvclive", type=Path, required=True, help="folder of the DVCLive log (loss per epoch)")
    outputs.add_argument("--timings", type=Path, required=True, help="JSON file: wall time, throughput, device")
    return parser


def main(args: argparse.Namespace) -> None:
    outputs = RunOutputs(checkpoint=args.checkpoint, metrics=args.metrics, log=args.dvclive, timings=args.timings)
    model_run = read_config(load_config(), args.model, args.reverse)
    metrics = run(model_run, args.split, outputs, progress=not args.no_progress)
    if processes_from_environment().writes_outputs:
        name = f"{args.model} (reverse)" if args.reverse else args.model
        print(f"{name}: best valid loss {metrics['best_valid_loss']:.4f} (ppl {metrics['best_valid_ppl']:.2f}) "
              f"at epoch {metrics['best_epoch']}/{metrics['epochs']}, {metrics['seconds_per_epoch']:.1f} s/epoch")


if __name__ == "__main__":
    run_stage(lambda: main(command_line().parse_args()))
