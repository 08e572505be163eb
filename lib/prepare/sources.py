"""The data sources of the `download` stage; each yields rows with CodeSearchNet's columns."""
from __future__ import annotations

import glob
import json
import os
import socket
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from urllib.parse import urlparse

import datasets
from tqdm import tqdm

from lib.common.cli import DataError, StageError
from lib.common.config import DATA_SOURCES, DataConfig
from lib.prepare.extract import mine_tree, package_tree, stdlib_tree
from lib.prepare.json_rows import read_json_rows
from lib.prepare.parallel import ordered_map

COLUMNS = ("repo", "path", "func_name", "code", "docstring", "partition", "url")
REQUIRED = ("code", "docstring")
PARTITION_ALIASES = {"validation": "valid", "dev": "valid"}
# The keys of `data.files.paths` given per split; a split without files is carved from train (lib/prepare/split.py).
FILE_SPLITS = ("train", "valid", "test")
# Where the files of `data.files.paths` must be: dvc.yaml lists this folder in download's deps, so DVC hashes every
# file in it and an edit reruns download. (DVC cannot make the list of paths itself a dep: its templating refuses a
# list in `deps`.)
INPUT_FOLDER = Path("inputs")
_FILE_FORMATS = {".json": "json", ".jsonl": "json", ".parquet": "parquet"}


class SourceError(StageError):
    """A source that cannot deliver rows; the message says what to do."""


def python_rows(packages: list[str], skipped: Counter, workers: int = 1) -> Iterator[dict]:
    """Documented functions of the standard library and of the installed `packages`, read by `workers`
    processes (the same rows in the same order for any number)."""
    trees = [stdlib_tree()]
    for name in packages:
        try:
            trees.append(package_tree(name))
        except LookupError as error:
            raise SourceError(f"data.python.packages: {error}") from None
    with ordered_map(workers, chunksize=16) as map_:
        for tree in tqdm(trees, desc="mining", unit="package"):
            yield from mine_tree(tree, skipped, map_)


def hub_dataset(name: str, revision: str, timeout_s: float) -> datasets.DatasetDict:
    """All splits of a hub dataset; fails fast with a clear message when the hub is out of reach."""
    from huggingface_hub import constants

    url = urlparse(constants.ENDPOINT)
    port = url.port or (443 if url.scheme == "https" else 80)
    try:
        socket.create_connection((url.hostname, port), timeout=timeout_s).close()
    except OSError as error:
        raise SourceError(
            f"cannot reach the Hugging Face hub at {constants.ENDPOINT} ({error}); "
            "use the offline source with `data.source: python` in params.yaml"
        ) from None
    return datasets.load_dataset(name, revision=revision)


def in_input_folder(pattern: str) -> bool:
    """Whether `pattern` names files under INPUT_FOLDER, relative to the repository root (`..` resolved)."""
    parts = Path(os.path.normpath(pattern)).parts
    return not os.path.isabs(pattern) and len(parts) > 1 and parts[0] == INPUT_FOLDER.name


def linked_input_folder(path: str) -> Path | None:
    """The folder of `path`, INPUT_FOLDER or one below it, that is a symbolic link: DVC hashes a linked file's content
    but not what a linked folder holds, so an edit there would go unseen."""
    return next((folder for folder in Path(path).parents
                 if folder.is_symlink() and INPUT_FOLDER in (folder, *folder.parents)), None)


def files_dataset(patterns: list[str]) -> datasets.Dataset:
    """Local JSON / JSON Lines / parquet files, one table; DataError naming the file (and row) that is empty or
    keeps datasets from loading them."""
    paths = sorted({path for pattern in patterns for path in glob.glob(pattern)})
    if not paths:
        raise SourceError(f"data.files.paths: no file matches {patterns}")
    linked = [(path, folder) for path in paths if (folder := linked_input_folder(path))]
    if linked:
        path, folder = linked[0]
        raise SourceError(f"data.files.paths: {path} is in the linked folder {folder}, whose files DVC does not hash; "
                          "link or copy the files themselves")
    formats = {_FILE_FORMATS.get(Path(path).suffix) for path in paths}
    if None in formats or len(formats) > 1:
        raise SourceError(f"data.files.paths: expected files of one kind among {sorted(_FILE_FORMATS)}, got {paths}")
    empty = [path for path in paths if os.path.getsize(path) == 0]
    if empty:  # datasets reads a 0-byte JSON Lines file as no rows, without a word
        raise DataError(f"{empty[0]} is empty (0 bytes)")
    file_format = formats.pop()
    try:
        return load_quietly(file_format, paths)
    except Exception as error:  # datasets' errors name neither the file nor the row, and come as long tracebacks
        if file_format == "json":
            check_json_rows(paths)
        reason = str(error.__cause__ or error).partition("\n")[0]
        raise DataError(f"data.files.paths: cannot load {paths}: {reason}") from None


def load_quietly(file_format: str, paths: list[str]) -> datasets.Dataset:
    """datasets' table of `paths`, without its error log: that counts rows from 0 and would contradict the line
    files_dataset names."""
    verbosity = datasets.logging.get_verbosity()
    datasets.logging.set_verbosity(datasets.logging.CRITICAL)
    try:
        return datasets.load_dataset(file_format, data_files=paths, split="train")
    finally:
        datasets.logging.set_verbosity(verbosity)


def check_json_rows(paths: list[str]) -> None:
    """DataError naming the first file and row of `paths` that does not parse or is not a JSON object, or the
    first file without rows; nothing when every row is an object."""
    for path in paths:
        for number, row in enumerate(read_json_rows(path), start=1):
            if not isinstance(row, dict):
                raise DataError(f"{path}, row {number}: not a JSON object: {json.dumps(row)[:60]}")


def files_rows(paths: list[str] | Mapping[str, list[str]], columns: Mapping, skipped: Counter) -> Iterator[dict]:
    """Normalized rows of `data.files.paths`: one list of patterns (the file's own `partition` column, if any),
    or the patterns of each split (`{train: [...], test: [...]}`), whose rows get that split as `partition`."""
    if not isinstance(paths, Mapping):
        yield from normalize(files_dataset(list(paths)), columns, skipped)
        return
    for split in FILE_SPLITS:  # a fixed order, so the table does not depend on how the mapping was written
        if split in paths:
            for row in normalize(files_dataset(list(paths[split])), columns, skipped):
                yield {**row, "partition": split}


def normalize(rows: Iterable[Mapping], columns: Mapping[str, str | list[str]], skipped: Counter) -> Iterator[dict]:
    """Rows with exactly our COLUMNS, all strings; rows without usable code or docstring are counted and skipped.

    `columns` maps our column to the source's, or to a list of them meaning "first non-empty";
    unmapped columns are read under their own name and default to "".
    """
    for row in rows:
        out = {}
        for column in COLUMNS:
            value = _first_present(row, columns.get(column, column))
            out[column] = "" if value is None else value if isinstance(value, str) else str(value)
            if column in REQUIRED and (not isinstance(value, str) or not value.strip()):
                out = None
                skipped[f"missing or non-string {column}"] += 1
                break
        if out is not None:
            out["partition"] = PARTITION_ALIASES.get(out["partition"], out["partition"])
            yield out


def _first_present(row: Mapping, names: str | list[str]):
    for name in [names] if isinstance(names, str) else names:
        value = row.get(name)
        if value is not None and value != "":
            return value
    return None


def read_source(data: DataConfig, skipped: Counter, workers: int = 1) -> Iterator[dict]:
    """Normalized rows of the source `data.source` configures (the `data` section of params.yaml); the
    python source mines files in `workers` processes."""
    source = data.source
    if source == "python":
        return normalize(python_rows(data.python.packages, skipped, workers), {}, skipped)
    if source == "hub":
        hub = data.hub
        splits = hub_dataset(hub.dataset, hub.revision, hub.timeout_s)
        rows = (row for split in splits.values() for row in split)
        return normalize(rows, hub.columns, skipped)
    if source == "files":
        return files_rows(data.files.paths, data.files.columns, skipped)
    raise SourceError(f"data.source: unknown source {source!r}; allowed: {', '.join(DATA_SOURCES)}")
