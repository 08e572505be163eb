"""Stage `train_<model>`: train one seq2seq model (rnn, lstm, attn or copy) on data/split.

    python -m stages.train --model attn
    torchrun --standalone --nproc_per_node N -m stages.train --model attn   # N processes (DDP)

Reads the `train` and `<model>` sections of params.yaml; writes models/<model>.pt,
metrics/train/<model>.json, the DVCLive log plots/train/<model>/ and
metrics/timings/train_<model>.json (see lib/training/trainer.py).
"""
import argparse

from lib.common.cli import run_stage
from lib.common.config import load_config
from lib.models.registry import MODEL_KINDS
from lib.training.distributed import processes_from_environment
from lib.training.trainer import read_config, run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", choices=MODEL_KINDS, required=True)
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    args = parser.parse_args()
    metrics = run(read_config(load_config(), args.model), progress=not args.no_progress)
    if processes_from_environment().writes_outputs:
        print(f"{args.model}: best valid loss {metrics['best_valid_loss']:.4f} (ppl {metrics['best_valid_ppl']:.2f}) "
              f"at epoch {metrics['best_epoch']}/{metrics['epochs']}, {metrics['seconds_per_epoch']:.1f} s/epoch")


if __name__ == "__main__":
    run_stage(main)
