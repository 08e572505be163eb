"""Stage `split`: pairs -> splits, vocab.json, near_duplicates.json, stats.json in <split>/, and its headline
numbers -> <metrics>.

    python -m stages.split --tokenized data/tokenized --split data/split --metrics metrics/data.json
"""
import argparse
import json
from collections import Counter
from pathlib import Path

import pandas as pd

from lib.common.cli import DataError, run_stage, stage_parser
from lib.common.outputs import atomic_dir, write_json_atomic
from lib.common.config import Config, ParamError, SplitConfig, load_config
from lib.prepare.near_duplicates import summarize
from lib.prepare.split import (SPLITS, assign_splits, deduplicate, has_given_test,
                               length_stats, oov_rates, sample_splits, train_leakage)
from lib.tokens.vocabulary import Vocabulary, save_vocabularies

TEST_DROPPED = "test_dropped.json"  # in --tokenized, written by stages/tokenize.py with a given test split
OFFICIAL_TEST = "official_test.json"  # in --split: only when the source gives the test split
# What metrics/data.json keeps of it; data/split/stats.json adds the reasons, official_test.json names the rows.
OFFICIAL_HEADLINE = ("rows", "untokenizable", "code_in_train", "code_in_train_share")


def command_line() -> argparse.ArgumentParser:
    parser, inputs, outputs = stage_parser(__doc__)
    inputs.add_argument("--tokenized", type=Path, required=True, help="folder of pairs.parquet (stage tokenize)")
    outputs.add_argument("--split", type=Path, required=True,
                         help="folder: {train,valid,test}.parquet, vocab.json, near_duplicates.json, stats.json")
    outputs.add_argument("--metrics", type=Path, required=True, help="JSON file of the headline numbers")
    return parser


def read_config(config: Config) -> SplitConfig:
    """The checked `split` section of params.yaml; its vocabularies' unit is `tokenize.subwords`."""
    if config.split.spell_unknown and not config.tokenize.subwords:
        raise ParamError("params.yaml: split.spell_unknown needs tokenize.subwords: true (it spells sub-word pieces)")
    return config.split


def near_duplicate_metrics(summary: dict) -> dict:
    """The few near-duplicate numbers for metrics/data.json (DVC tables every key): count and share per split."""
    metrics = {}
    for name in ("valid", "test"):
        split = summary["splits"][name]
        metrics[name] = split["near_duplicates"]
        metrics[f"{name}_share"] = round(split["near_duplicates"] / max(split["rows"], 1), 4)
    return metrics


def main(args: argparse.Namespace) -> None:
    params = load_config()
    config = read_config(params)
    pairs = pd.read_parquet(args.tokenized / "pairs.parquet")
    assigned = assign_splits(pairs, config.seed, config.valid_fraction, config.test_fraction)
    removed = Counter()
    given_test = has_given_test(pairs)  # scored as given: not deduplicated, filtered or sampled
    pools = deduplicate({name: pairs[assigned == name] for name in SPLITS}, removed, ("test",) if given_test else ())
    sizes = {name: getattr(config, f"n_{name}") for name in SPLITS}
    if given_test:
        sizes["test"] = len(pools["test"])
    splits = sample_splits(pools, sizes, config.seed, config.near_duplicates, given_test, removed)
    for name, frame in splits.items():
        if frame.empty:
            raise DataError(f"the {name} split is empty; raise split.{name}_fraction or use more data")
        if len(frame) < sizes[name]:
            print(f"warning: split.n_{name} is {getattr(config, f'n_{name}')} but only {len(frame)} rows are available")
    src_vocab = Vocabulary.build(splits["train"]["src"], config.src_min_freq, config.src_max_size,
                                 params.tokenize.subwords)
    tgt_vocab = Vocabulary.build(splits["train"]["tgt"], config.tgt_min_freq, config.tgt_max_size,
                                 params.tokenize.subwords, config.spell_unknown)
    near_duplicates = {"policy": config.near_duplicates,
                       **summarize({name: splits[name] for name in ("valid", "test")})}
    stats = {
        "tokenize": json.loads((args.tokenized / "stats.json").read_text()),
        "rows": {name: len(frame) for name, frame in splits.items()},
        "pool": {name: len(frame) for name, frame in pools.items()},
        "removed": dict(sorted(removed.items())),
        "near_duplicates": near_duplicate_metrics(near_duplicates),
        "length": {name: length_stats(frame) for name, frame in splits.items()},
        "vocab": {"src": len(src_vocab), "tgt": len(tgt_vocab)},
        "oov": {name: oov_rates(splits[name], src_vocab, tgt_vocab) for name in ("valid", "test")},
    }
    official = official_test(splits["test"], splits["train"], args.tokenized / TEST_DROPPED) if given_test else None
    if official:
        stats["official_test"] = {key: value for key, value in official.items() if not key.endswith("_rows")}
    with atomic_dir(args.split) as staging:
        for name, frame in splits.items():
            frame.reset_index(drop=True).to_parquet(staging / f"{name}.parquet", index=False)
        save_vocabularies(staging / "vocab.json", src_vocab, tgt_vocab)
        write_json_atomic(staging / "near_duplicates.json", near_duplicates)
        write_json_atomic(staging / "stats.json", stats)
        if official:
            write_json_atomic(staging / OFFICIAL_TEST, official)
    write_json_atomic(args.metrics, headline(stats))
    print(json.dumps({key: stats[key] for key in ("rows", "removed", "near_duplicates", "vocab", "oov",
                                                  "official_test") if key in stats}))


def headline(stats: dict) -> dict:
    """The numbers of data/split/stats.json that metrics/data.json keeps (DVC tables every key)."""
    kept = {"pairs_kept": stats["tokenize"]["pairs_kept"], "round_trip_rate": stats["tokenize"]["round_trip_rate"],
            **{key: stats[key] for key in ("rows", "vocab", "oov", "near_duplicates")}}
    if "official_test" in stats:
        kept["official_test"] = {key: stats["official_test"][key] for key in OFFICIAL_HEADLINE}
    return kept


def official_test(test: pd.DataFrame, train: pd.DataFrame, dropped_path: Path) -> dict:
    """What happened to a test split the source gave: its rows that could not be tokenized (named in
    `dropped_path`, by tokenize), and its rows whose code a train row has exactly (counted, not removed: a
    leakage figure)."""
    dropped = json.loads(dropped_path.read_text())
    leaked = train_leakage(test, train)
    return {
        "rows": len(test),
        "untokenizable": len(dropped),
        "code_in_train": int(leaked.sum()),
        "code_in_train_share": round(float(leaked.mean()), 4),
        "untokenizable_by_reason": dict(sorted(Counter(row["reason"] for row in dropped).items())),
        "untokenizable_rows": dropped,
        "code_in_train_rows": [{"test_row": int(position), "path": path, "summary": summary}
                               for position, (path, summary, hit)
                               in enumerate(zip(test["path"], test["summary"], leaked)) if hit],
    }


if __name__ == "__main__":
    run_stage(lambda: main(command_line().parse_args()))
