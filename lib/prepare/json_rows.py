"""The rows of a JSON or JSON Lines file, read so that a bad file is one line naming the file and the row."""
from __future__ import annotations

import json
from pathlib import Path
from typing import TextIO

from lib.common.cli import DataError


def read_json_rows(path: Path | str) -> list:
    """The rows of `path`: the items of a .json file's array, or the values of a .jsonl file's non-blank lines.

    DataError naming the file and the line (JSON Lines: the row) when it is not UTF-8 or does not parse, when a
    .json file is not an array, or when there is no row at all."""
    path = Path(path)
    try:
        with path.open(encoding="utf-8") as file:
            rows = _json_lines(path, file) if path.suffix == ".jsonl" else _json_array(path, file)
    except UnicodeDecodeError as error:
        raise DataError(f"{path} is not UTF-8 text (byte {error.start}: {error.reason})") from None
    if not rows:
        raise DataError(f"{path} has no rows")
    return rows


def _json_lines(path: Path, file: TextIO) -> list:
    rows = []
    for number, line in enumerate(file, start=1):
        if line.strip():
            try:
                rows.append(json.loads(line.rstrip()))  # columns of the line as an editor shows it
            except json.JSONDecodeError as error:
                raise DataError(f"{path}, line {number}: not valid JSON ({error.msg}, column {error.colno})") from None
    return rows


def _json_array(path: Path, file: TextIO) -> list:
    try:
        rows = json.load(file)
    except json.JSONDecodeError as error:
        raise DataError(f"{path}, line {error.lineno}: not valid JSON ({error.msg}, column {error.colno})") from None
    if not isinstance(rows, list):
        raise DataError(f"{path} must hold a JSON array of rows")
    return rows
