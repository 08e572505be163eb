"""Stage `split`: pairs -> data/split/{train,valid,test}.parquet, vocab.json and metrics/data.json."""
import json
from collections import Counter
from pathlib import Path

import pandas as pd

from lib.common.cli import DataError, run_stage
from lib.common.outputs import atomic_dir, write_json_atomic
from lib.common.params import get, load_params
from lib.prepare.split import SPLITS, assign_splits, deduplicate, length_stats, oov_rates, sample
from lib.tokens.vocabulary import Vocabulary, save_vocabularies

TOKENIZED = Path("data/tokenized")
OUTPUT = Path("data/split")
METRICS = Path("metrics/data.json")


def read_config(params: dict) -> dict:
    keys = {"seed": (int, 0, None), "n_train": (int, 1, None), "n_valid": (int, 1, None),
            "n_test": (int, 1, None), "valid_fraction": (float, 0.0, 0.5), "test_fraction": (float, 0.0, 0.5),
            "src_min_freq": (int, 1, None), "tgt_min_freq": (int, 1, None),
            "src_max_size": (int, 5, None), "tgt_max_size": (int, 5, None)}
    return {key: get(params, f"split.{key}", kind, minimum=low, maximum=high)
            for key, (kind, low, high) in keys.items()}


def main() -> None:
    config = read_config(load_params())
    pairs = pd.read_parquet(TOKENIZED / "pairs.parquet")
    assigned = assign_splits(pairs, config["seed"], config["valid_fraction"], config["test_fraction"])
    removed = Counter()
    pools = deduplicate({name: pairs[assigned == name] for name in SPLITS}, removed)
    splits = {name: sample(pools[name], config[f"n_{name}"], config["seed"]) for name in SPLITS}
    for name, frame in splits.items():
        if frame.empty:
            raise DataError(f"the {name} split is empty; raise split.{name}_fraction or use more data")
        if len(frame) < config[f"n_{name}"]:
            print(f"warning: split.n_{name} is {config[f'n_{name}']} but only {len(frame)} rows are available")
    src_vocab = Vocabulary.build(splits["train"]["src"], config["src_min_freq"], config["src_max_size"])
    tgt_vocab = Vocabulary.build(splits["train"]["tgt"], config["tgt_min_freq"], config["tgt_max_size"])
    metrics = {
        "tokenize": json.loads((TOKENIZED / "stats.json").read_text()),
        "rows": {name: len(frame) for name, frame in splits.items()},
        "pool": {name: len(frame) for name, frame in pools.items()},
        "removed": dict(sorted(removed.items())),
        "length": {name: length_stats(frame) for name, frame in splits.items()},
        "vocab": {"src": len(src_vocab), "tgt": len(tgt_vocab)},
        "oov": {name: oov_rates(splits[name], src_vocab, tgt_vocab) for name in ("valid", "test")},
    }
    with atomic_dir(OUTPUT) as staging:
        for name, frame in splits.items():
            frame.reset_index(drop=True).to_parquet(staging / f"{name}.parquet", index=False)
        save_vocabularies(staging / "vocab.json", src_vocab, tgt_vocab)
    write_json_atomic(METRICS, metrics)
    print(json.dumps({key: metrics[key] for key in ("rows", "removed", "vocab", "oov")}))


if __name__ == "__main__":
    run_stage(main)
