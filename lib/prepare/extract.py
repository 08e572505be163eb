"""Functions with docstrings mined from Python source files, the way CodeSearchNet built its corpus."""
from __future__ import annotations

import ast
import importlib.metadata
import importlib.util
import platform
import sysconfig
import tokenize
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

TEST_DIRS = frozenset({"test", "tests", "testing", "idle_test"})
# Installed packages and virtual environments live inside the standard library's folder.
FOREIGN_DIRS = frozenset({"site-packages", "dist-packages", "__pycache__"})


@dataclass(frozen=True)
class SourceTree:
    """A folder of Python files published as one `repo` (e.g. numpy-2.4.6)."""

    repo: str
    root: Path  # paths are reported relative to this folder
    top: Path  # the folder that is walked


def stdlib_tree() -> SourceTree:
    root = Path(sysconfig.get_paths()["stdlib"])
    return SourceTree(f"python-{platform.python_version()}", root, root)


def package_tree(name: str) -> SourceTree:
    """The installed package `name`; raises LookupError if it is not installed."""
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise LookupError(f"package {name!r} is not installed (pip install -r requirements.txt)")
    top = Path(next(iter(spec.submodule_search_locations)))
    return SourceTree(f"{name}-{importlib.metadata.version(name)}", top.parent, top)


def python_files(tree: SourceTree) -> list[Path]:
    """The tree's .py files in a fixed order, without test folders, test files or foreign folders."""
    files = []
    for path in sorted(tree.top.rglob("*.py")):
        parts = path.relative_to(tree.top).parts
        if any(part in TEST_DIRS or part in FOREIGN_DIRS for part in parts[:-1]):
            continue
        if path.name.startswith("test_") or path.name.endswith("_test.py") or path.name == "conftest.py":
            continue
        files.append(path)
    return files


def functions_in_source(source: str) -> Iterator[tuple[str, str, str, int]]:
    """(qualified name, code, docstring, line) of each documented function and method in `source`.

    Module-level functions and methods of (nested) classes; functions nested in functions are part of
    their parent's code. `code` runs from `def` to the end of the body, without decorators, its later
    lines keeping their original indentation, as CodeSearchNet's `code` does.
    """
    tree = ast.parse(source)
    lines = source.splitlines(keepends=True)
    for node, qualname in _definitions(tree.body, ""):
        docstring = ast.get_docstring(node)
        if docstring:
            yield qualname, _segment(lines, node), docstring, node.lineno


def _definitions(body: list[ast.stmt], prefix: str) -> Iterator[tuple[ast.AST, str]]:
    for node in body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            yield node, prefix + node.name
        elif isinstance(node, ast.ClassDef):
            yield from _definitions(node.body, f"{prefix}{node.name}.")


def _segment(lines: list[str], node: ast.AST) -> str:
    # ast columns count UTF-8 bytes.
    first, last = node.lineno - 1, node.end_lineno - 1
    if first == last:
        return lines[first].encode()[node.col_offset: node.end_col_offset].decode()
    head = lines[first].encode()[node.col_offset:].decode()
    tail = lines[last].encode()[: node.end_col_offset].decode()
    return head + "".join(lines[first + 1: last]) + tail


def read_source(path: Path) -> str:
    """A file's text in its declared encoding (PEP 263); raises UnicodeDecodeError / SyntaxError."""
    with tokenize.open(path) as file:
        return file.read()


def mine_tree(tree: SourceTree, skipped: Counter, map_: Callable = map) -> Iterator[dict]:
    """Rows (CodeSearchNet columns) for every documented function of `tree`; unusable files are counted.
    `map_` reads the files (lib.prepare.parallel.ordered_map: in worker processes, the same rows in the same
    order)."""
    paths = python_files(tree)
    for path, found in zip(paths, map_(_functions_in_file, paths)):
        if found is None:
            skipped["file does not decode or parse"] += 1
            continue
        relative = path.relative_to(tree.root).as_posix()
        for qualname, code, docstring, line in found:
            yield {
                "repo": tree.repo,
                "path": relative,
                "func_name": qualname,
                "code": code,
                "docstring": docstring,
                "partition": "",
                "url": f"{tree.repo}/{relative}#L{line}",
            }


def _functions_in_file(path: Path) -> list[tuple[str, str, str, int]] | None:
    """functions_in_source of one file, or None when it does not decode or parse."""
    try:
        return list(functions_in_source(read_source(path)))
    except (UnicodeDecodeError, SyntaxError, ValueError):
        return None
