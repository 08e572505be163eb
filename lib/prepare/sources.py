"""The data sources of the `download` stage; each yields rows with CodeSearchNet's columns."""
from __future__ import annotations

import glob
import json
import os
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import datasets
from huggingface_hub import HfApi
from huggingface_hub import constants as hub_constants
from huggingface_hub.errors import RepositoryNotFoundError, RevisionNotFoundError
from huggingface_hub.utils import httpx  # the HTTP library huggingface_hub is built on, as datasets imports it
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
# A commit as the hub names one, which `data.hub.revision` may give instead of a branch or a tag.
COMMIT = re.compile(r"[0-9a-f]{40}")
# What huggingface_hub and datasets raise when the hub is out of reach: no route or name, a proxy that refuses,
# a timeout, offline mode (datasets turns those into ConnectionError, as OfflineModeIsEnabled is one).
HUB_UNREACHABLE = (ConnectionError, httpx.TransportError)
USE_OFFLINE_SOURCE = "use the offline source with `data.source: python` in params.yaml"


class SourceError(StageError):
    """A source that cannot deliver rows; the message says what to do."""


@dataclass(frozen=True)
class HubDataset:
    """The splits of a hub dataset and the commit of its repository they were built from."""

    splits: datasets.DatasetDict
    commit: str


@dataclass(frozen=True)
class SourceRows:
    """The normalized rows of a source (read lazily) and what names the data they come from, for
    metrics/source.json: the source, and for the hub the dataset, the revision asked for and its commit."""

    rows: Iterator[dict]
    provenance: dict


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


def hub_dataset(name: str, revision: str, timeout_s: float) -> HubDataset:
    """All splits of hub dataset `name` at `revision` (a branch, a tag or a commit), and the commit they come from.

    huggingface_hub and datasets do the connecting, so HF_ENDPOINT, a login and the proxy variables (HTTPS_PROXY,
    NO_PROXY) apply, with `timeout_s` for each connection and read. Online, `revision` is first resolved to its
    commit by one request without retries (the downloads retry for over 20 s), so a hub out of reach fails
    within `timeout_s`; that commit is what is loaded, so a branch that moves meanwhile cannot mix two versions.
    Offline (HF_HUB_OFFLINE or HF_DATASETS_OFFLINE), datasets loads the copy in its cache, and the commit is that
    copy's. Every failure is one SourceError.
    """
    offline = hub_offline()
    try:
        with hub_timeouts(timeout_s):
            to_load = revision if offline else resolve_commit(name, revision, timeout_s)
            builder = datasets.load_dataset_builder(name, revision=to_load)
            builder.download_and_prepare()  # datasets' own progress bars, on stderr
            splits = builder.as_dataset()
    except HUB_UNREACHABLE as error:
        raise SourceError(unreachable_message(name, offline, error)) from None
    if COMMIT.fullmatch(revision) and builder.hash != revision:  # offline, the cache may hold another commit
        raise SourceError(f"data.hub.revision is the commit {revision}, but the datasets cache holds {name} at "
                          f"{builder.hash}; load that commit online once, or pin data.hub.revision: {builder.hash}")
    return HubDataset(splits, builder.hash)


def hub_offline() -> bool:
    """Whether HF_HUB_OFFLINE, or datasets' own HF_DATASETS_OFFLINE, asks for cached copies only (both are read
    from the environment when the libraries are imported)."""
    return bool(datasets.config.HF_HUB_OFFLINE or hub_constants.is_offline_mode())


@contextmanager
def hub_timeouts(seconds: float) -> Iterator[None]:
    """huggingface_hub's metadata (etag) and download timeouts set to `seconds` for the block. The library reads
    HF_HUB_ETAG_TIMEOUT and HF_HUB_DOWNLOAD_TIMEOUT once, at import, so setting the variables here would be too
    late; it reads these constants at each request."""
    saved = hub_constants.HF_HUB_ETAG_TIMEOUT, hub_constants.HF_HUB_DOWNLOAD_TIMEOUT
    hub_constants.HF_HUB_ETAG_TIMEOUT = hub_constants.HF_HUB_DOWNLOAD_TIMEOUT = seconds
    try:
        yield
    finally:
        hub_constants.HF_HUB_ETAG_TIMEOUT, hub_constants.HF_HUB_DOWNLOAD_TIMEOUT = saved


def resolve_commit(name: str, revision: str, timeout_s: float) -> str:
    """The commit that `revision` of hub dataset `name` names now (a commit names itself)."""
    try:
        return HfApi().dataset_info(name, revision=revision, timeout=timeout_s).sha
    except RevisionNotFoundError:
        raise SourceError(f"data.hub.revision: {name} has no branch, tag or commit {revision!r}") from None
    except RepositoryNotFoundError:
        raise SourceError(f"data.hub.dataset: {name} is not a dataset on the hub, or it is private or gated "
                          "(log in with `hf auth login`)") from None


def unreachable_message(name: str, offline: bool, error: Exception) -> str:
    """What to do when the hub cannot be reached, or, offline, when the cache lacks the dataset."""
    if offline:
        return (f"the Hugging Face hub is offline (HF_HUB_OFFLINE or HF_DATASETS_OFFLINE) and {name} is not in the "
                f"datasets cache ({datasets.config.HF_DATASETS_CACHE}); load it online once, or {USE_OFFLINE_SOURCE}")
    reason = str(error).partition("\n")[0] or type(error).__name__
    return (f"cannot reach the Hugging Face hub at {hub_constants.ENDPOINT} ({reason}); check the network and the "
            f"proxy settings (HTTPS_PROXY), set HF_HUB_OFFLINE=1 to use a copy already in the datasets cache, or "
            f"{USE_OFFLINE_SOURCE}")


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


def read_source(data: DataConfig, skipped: Counter, workers: int = 1) -> SourceRows:
    """Normalized rows of the source `data.source` configures (the `data` section of params.yaml) and their
    provenance; the python source mines files in `workers` processes."""
    source = data.source
    if source == "python":
        return SourceRows(normalize(python_rows(data.python.packages, skipped, workers), {}, skipped),
                          {"source": source})
    if source == "hub":
        hub = data.hub
        loaded = hub_dataset(hub.dataset, hub.revision, hub.timeout_s)
        rows = (row for split in loaded.splits.values() for row in split)
        return SourceRows(normalize(rows, hub.columns, skipped), {"source": source, "dataset": hub.dataset,
                                                                  "revision": hub.revision, "commit": loaded.commit})
    if source == "files":
        return SourceRows(files_rows(data.files.paths, data.files.columns, skipped), {"source": source})
    raise SourceError(f"data.source: unknown source {source!r}; allowed: {', '.join(DATA_SOURCES)}")
