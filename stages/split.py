"""Stage `split`: pairs -> data/split/ (splits, vocab.json, near_duplicates.json, stats.json), metrics/data.json."""
import json
from collections import Counter
from pathlib import Path

import pandas as pd

from lib.common.cli import DataError, run_stage
from lib.common.outputs import atomic_dir, write_json_atomic
from lib.common.params import get, load_params
from lib.prepare.near_duplicates import summarize
from lib.prepare.split import (NEAR_DUPLICATE_POLICIES, SPLITS, assign_splits, deduplicate, has_official_partition,
                               length_stats, oov_rates, sample_splits)
from lib.tokens.vocabulary import Vocabulary, save_vocabularies

TOKENIZED = Path("data/tokenized")
OUTPUT = Path("data/split")
METRICS = Path("metrics/data.json")


def read_config(params: dict) -> dict:
    """The checked `split` section of params.yaml, and `tokenize.subwords` (the vocabularies' unit)."""
    keys = {"seed": (int, 0, None), "n_train": (int, 1, None), "n_valid": (int, 1, None),
            "n_test": (int, 1, None), "valid_fraction": (float, 0.0, 0.5), "test_fraction": (float, 0.0, 0.5),
            "src_min_freq": (int, 1, None), "tgt_min_freq": (int, 1, None),
            "src_max_size": (int, 5, None), "tgt_max_size": (int, 5, None)}
    config = {key: get(params, f"split.{key}", kind, minimum=low, maximum=high)
              for key, (kind, low, high) in keys.items()}
    config["near_duplicates"] = get(params, "split.near_duplicates", str, choices=NEAR_DUPLICATE_POLICIES)
    config["subwords"] = get(params, "tokenize.subwords", bool)
    return config


def near_duplicate_metrics(summary: dict) -> dict:
    """The few near-duplicate numbers for metrics/data.json (DVC tables every key): count and share per split."""
    metrics = {}
    for name in ("valid", "test"):
        split = summary["splits"][name]
        metrics[name] = split["near_duplicates"]
        metrics[f"{name}_share"] = round(split["near_duplicates"] / max(split["rows"], 1), 4)
    return metrics


def main() -> None:
    config = read_config(load_params())
    pairs = pd.read_parquet(TOKENIZED / "pairs.parquet")
    assigned = assign_splits(pairs, config["seed"], config["valid_fraction"], config["test_fraction"])
    removed = Counter()
    pools = deduplicate({name: pairs[assigned == name] for name in SPLITS}, removed)
    sizes = {name: config[f"n_{name}"] for name in SPLITS}
    splits = sample_splits(pools, sizes, config["seed"], config["near_duplicates"], has_official_partition(pairs),
                           removed)
    for name, frame in splits.items():
        if frame.empty:
            raise DataError(f"the {name} split is empty; raise split.{name}_fraction or use more data")
        if len(frame) < config[f"n_{name}"]:
            print(f"warning: split.n_{name} is {config[f'n_{name}']} but only {len(frame)} rows are available")
    src_vocab = Vocabulary.build(splits["train"]["src"], config["src_min_freq"], config["src_max_size"],
                                 config["subwords"])
    tgt_vocab = Vocabulary.build(splits["train"]["tgt"], config["tgt_min_freq"], config["tgt_max_size"],
                                 config["subwords"])
    near_duplicates = {"policy": config["near_duplicates"],
                       **summarize({name: splits[name] for name in ("valid", "test")})}
    stats = {
        "tokenize": json.loads((TOKENIZED / "stats.json").read_text()),
        "rows": {name: len(frame) for name, frame in splits.items()},
        "pool": {name: len(frame) for name, frame in pools.items()},
        "removed": dict(sorted(removed.items())),
        "near_duplicates": near_duplicate_metrics(near_duplicates),
        "length": {name: length_stats(frame) for name, frame in splits.items()},
        "vocab": {"src": len(src_vocab), "tgt": len(tgt_vocab)},
        "oov": {name: oov_rates(splits[name], src_vocab, tgt_vocab) for name in ("valid", "test")},
    }
    with atomic_dir(OUTPUT) as staging:
        for name, frame in splits.items():
            frame.reset_index(drop=True).to_parquet(staging / f"{name}.parquet", index=False)
        save_vocabularies(staging / "vocab.json", src_vocab, tgt_vocab)
        write_json_atomic(staging / "near_duplicates.json", near_duplicates)
        write_json_atomic(staging / "stats.json", stats)
    write_json_atomic(METRICS, headline(stats))
    print(json.dumps({key: stats[key] for key in ("rows", "removed", "near_duplicates", "vocab", "oov")}))


def headline(stats: dict) -> dict:
    """The numbers of data/split/stats.json that metrics/data.json keeps (DVC tables every key)."""
    return {"pairs_kept": stats["tokenize"]["pairs_kept"], "round_trip_rate": stats["tokenize"]["round_trip_rate"],
            **{key: stats[key] for key in ("rows", "vocab", "oov", "near_duplicates")}}


if __name__ == "__main__":
    run_stage(main)
