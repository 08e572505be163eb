"""Stage `download`: raw functions of the configured source -> data/raw/functions.parquet."""
from collections import Counter
from pathlib import Path

import datasets

from lib.common.cli import DataError, run_stage
from lib.common.outputs import atomic_dir
from lib.common.params import get, load_params
from lib.prepare.sources import COLUMNS, SOURCES, read_source

OUTPUT = Path("data/raw")


def read_config(params: dict) -> dict:
    """The `data` section, checked for the chosen source."""
    source = get(params, "data.source", str, choices=SOURCES)
    if source == "python":
        get(params, "data.python.packages", list)
    elif source == "hub":
        get(params, "data.hub.dataset", str)
        get(params, "data.hub.revision", str)
        get(params, "data.hub.timeout_s", float, minimum=0.1)
        get(params, "data.hub.columns", dict)
    else:
        get(params, "data.files.paths", list)
        get(params, "data.files.columns", dict)
    return params["data"]


def main() -> None:
    config = read_config(load_params())
    skipped = Counter()
    rows = list(read_source(config, skipped))
    if not rows:
        raise DataError(f"source {config['source']!r} gave no usable rows (skipped: {dict(skipped)})")
    table = datasets.Dataset.from_dict({column: [row[column] for row in rows] for column in COLUMNS})
    with atomic_dir(OUTPUT) as staging:
        table.to_parquet(staging / "functions.parquet")
    skipped_rows = sum(n for reason, n in skipped.items() if reason.startswith("missing"))
    print(f"rows read: {len(rows) + skipped_rows}, kept: {len(rows)}")
    for reason, count in sorted(skipped.items()):
        print(f"skipped ({reason}): {count}")


if __name__ == "__main__":
    run_stage(main)
