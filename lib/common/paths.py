"""Where the pipeline writes what the tools outside it read by default (lib.generate, lib.tune_decoding,
lib.loss_breakdown, lib.benchmark). The stages themselves take every path from their command in dvc.yaml."""
from pathlib import Path

SPLIT_DIR = Path("data/split")  # the split stage's --split
MODELS_DIR = Path("models")  # the train stages' --checkpoint models/<model>.pt
