"""Stage `tokenize`: raw functions -> (summary tokens, code tokens) pairs in <tokenized>/pairs.parquet.

    python -m stages.tokenize --raw data/raw --tokenized data/tokenized
"""
import argparse
import os
from collections import Counter
from pathlib import Path

import pandas as pd

from lib.common.cli import DataError, run_stage, stage_parser
from lib.common.outputs import atomic_dir, write_json_atomic
from lib.common.config import Config, load_config
from lib.prepare.pairs import DocstringFilters, Limits, has_given_test, make_pairs

TEST_DROPPED = "test_dropped.json"  # only when the source gives a test split, scored as given


def command_line() -> argparse.ArgumentParser:
    parser, inputs, outputs = stage_parser(__doc__)
    inputs.add_argument("--raw", type=Path, required=True, help="folder of functions.parquet (stage download)")
    outputs.add_argument("--tokenized", type=Path, required=True,
                         help=f"folder: pairs.parquet, stats.json, {TEST_DROPPED} (with a given test split)")
    return parser


def read_config(params: Config) -> tuple[Limits, DocstringFilters]:
    """The length limits and the docstring filters of the `tokenize` section."""
    config = params.tokenize
    limits = Limits(min_src_len=config.min_src_len, max_src_len=config.max_src_len,
                    max_tgt_len=config.max_tgt_len, overlong=config.overlong)
    filters = DocstringFilters(first_sentence=config.first_sentence, strip_markup=config.strip_markup,
                               drop_templated=config.drop_templated)
    return limits, filters


def main(args: argparse.Namespace) -> None:
    limits, filters = read_config(load_config())
    raw = pd.read_parquet(args.raw / "functions.parquet")
    counts, test_dropped = Counter(), []
    test_as_given = has_given_test(raw["partition"])
    pairs = pd.DataFrame(list(make_pairs(raw.to_dict("records"), limits, counts, filters, test_as_given,
                                         test_dropped, workers=os.cpu_count() or 1, progress=True)))
    round_trips = counts.pop("round trip ok", 0)
    if pairs.empty:
        raise DataError(f"no pair survived tokenizing (dropped: {dict(counts)}); "
                        "relax tokenize.max_src_len / max_tgt_len / min_src_len")
    stats = {"rows_read": len(raw), "pairs_kept": len(pairs), "dropped": dict(sorted(counts.items())),
             "round_trip_rate": round(round_trips / len(pairs), 4)}
    with atomic_dir(args.tokenized) as staging:
        pairs.to_parquet(staging / "pairs.parquet", index=False)
        write_json_atomic(staging / "stats.json", stats)
        if test_as_given:  # the test rows that could not be tokenized, named for metrics/data.json
            write_json_atomic(staging / TEST_DROPPED, test_dropped)
    print(f"rows read: {stats['rows_read']}, pairs kept: {stats['pairs_kept']}, "
          f"round trip: {stats['round_trip_rate']:.2%}")
    for reason, count in stats["dropped"].items():
        print(f"dropped ({reason}): {count}")


if __name__ == "__main__":
    run_stage(lambda: main(command_line().parse_args()))
