"""Stage `download`: raw functions of the configured source -> <raw>/functions.parquet, and what names that
data (the source; for the hub the dataset, revision and commit) -> <provenance>.

    python -m stages.download --raw data/raw --provenance metrics/source.json
"""
import argparse
import os
from collections import Counter
from pathlib import Path

import datasets

from lib.common.cli import DataError, run_stage, stage_parser
from lib.common.outputs import atomic_dir, write_json_atomic
from lib.common.config import Config, DataConfig, ParamError, load_config
from lib.prepare.sources import COLUMNS, FILE_SPLITS, INPUT_FOLDER, in_input_folder, read_source


def command_line() -> argparse.ArgumentParser:
    parser, _, outputs = stage_parser(__doc__)
    outputs.add_argument("--raw", type=Path, required=True, help="folder of functions.parquet")
    # Beside the raw folder, not in it: the default source's data/raw stays byte-identical to what it was before.
    outputs.add_argument("--provenance", type=Path, required=True, help="JSON file naming the source")
    return parser


def read_config(config: Config) -> DataConfig:
    """The `data` section, checked for the chosen source."""
    data = config.data
    if data.source == "files":
        check_file_paths(data.files.paths)
    return data


def check_file_paths(paths: tuple | dict) -> None:
    """`data.files.paths`: a list of patterns, or the lists of each split, train's required (the others are
    carved from it when absent); every pattern under INPUT_FOLDER, the folder DVC hashes for download."""
    if isinstance(paths, dict):
        unknown = sorted(set(paths) - set(FILE_SPLITS))
        if unknown or "train" not in paths:
            raise ParamError(f"params.yaml: data.files.paths must map train (and optionally valid, test) to "
                             f"lists of files, got keys {sorted(paths)}")
        lists = paths.values()
    else:
        lists = [paths]
    for patterns in lists:
        if not patterns:
            raise ParamError(f"params.yaml: data.files.paths needs non-empty lists of file names, got {patterns!r}")
        outside = [pattern for pattern in patterns if not in_input_folder(pattern)]
        if outside:
            raise ParamError(f"params.yaml: data.files.paths: {outside[0]} is not under {INPUT_FOLDER}/, the folder "
                             f"DVC hashes for download; copy or link the file there and write {INPUT_FOLDER}/...")


def main(args: argparse.Namespace) -> None:
    config = read_config(load_config())
    skipped = Counter()
    source = read_source(config, skipped, workers=os.cpu_count() or 1)
    rows = list(source.rows)
    if not rows:
        raise DataError(f"source {config.source!r} gave no usable rows (skipped: {dict(skipped)})")
    table = datasets.Dataset.from_dict({column: [row[column] for row in rows] for column in COLUMNS})
    with atomic_dir(args.raw) as staging:
        table.to_parquet(staging / "functions.parquet")
    write_json_atomic(args.provenance, source.provenance)
    skipped_rows = sum(n for reason, n in skipped.items() if reason.startswith("missing"))
    print(f"rows read: {len(rows) + skipped_rows}, kept: {len(rows)}")
    partitions = Counter(row["partition"] for row in rows if row["partition"])
    if partitions:
        print("rows per partition: " + ", ".join(f"{name} {count}" for name, count in sorted(partitions.items())))
    for reason, count in sorted(skipped.items()):
        print(f"skipped ({reason}): {count}")


if __name__ == "__main__":
    run_stage(lambda: main(command_line().parse_args()))
