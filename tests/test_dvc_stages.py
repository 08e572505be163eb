"""dvc.yaml cannot go stale: every file a stage's command imports, and every param it reads, is declared.

The import walk is static (`ast`, transitively through the repository's own modules); the params check runs
each stage's own `read_config` on a recording copy of params.yaml.
"""
from __future__ import annotations

import ast
import dataclasses
import importlib
import os
import shlex
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

import pytest
import yaml

from lib.common.config import load_config

ROOT = Path(__file__).resolve().parent.parent
STAGES = yaml.safe_load((ROOT / "dvc.yaml").read_text())["stages"]


def module_file(name: str) -> Path | None:
    """The repository file of dotted module `name` (a package's __init__.py), or None outside the repo."""
    base = ROOT.joinpath(*name.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def imported_modules(path: Path) -> set[str]:
    """Dotted names of the modules `path` imports (`from pkg import mod` counts as pkg.mod when that is one)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def import_closure(module: str) -> set[Path]:
    """Every repository file that `python -m <module>` runs: the module, what it imports, and their packages."""
    seen: set[Path] = set()
    todo = [module]
    while todo:
        name = todo.pop()
        parts = name.split(".")
        for i in range(1, len(parts) + 1):  # importing a.b.c runs a/__init__.py and a/b/__init__.py too
            path = module_file(".".join(parts[:i]))
            if path is not None and path not in seen:
                seen.add(path)
                todo.extend(imported_modules(path))
    return seen


def runs_code(path: Path) -> bool:
    """False for a module that is only a docstring (our packages' __init__.py)."""
    body = ast.parse(path.read_text()).body
    return any(not (isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)) for node in body)


def command_module(cmd: str) -> tuple[str, list[str]]:
    """`python -m stages.train --model rnn` -> ("stages.train", ["rnn"]): the module and its option values."""
    words = shlex.split(cmd)
    assert words[:2] == ["python", "-m"], f"stage command {cmd!r} is not `python -m <module>`"
    options = words[3:]
    return words[2], [value for flag, value in zip(options[::2], options[1::2]) if flag.startswith("--")]


def covered(path: Path, deps: list[str]) -> bool:
    relative = path.relative_to(ROOT)
    return any(relative == Path(dep) or Path(dep) in relative.parents for dep in deps)


@pytest.mark.parametrize("stage", sorted(STAGES))
def test_stage_deps_list_every_imported_file(stage):
    spec = STAGES[stage]
    files = import_closure(command_module(spec["cmd"])[0])
    missing = sorted(str(path.relative_to(ROOT)) for path in files
                     if runs_code(path) and not covered(path, spec["deps"]))
    assert not missing, f"dvc.yaml stage {stage} runs but does not list in deps: {', '.join(missing)}"


def test_import_closure_follows_packages_and_from_imports():
    files = {str(path.relative_to(ROOT)) for path in import_closure("stages.evaluate")}
    assert "lib/models/seq2seq.py" in files  # via lib.models.checkpoint
    assert "lib/common/cli.py" in files


def recording(record, read: set[str], path: str = ""):
    """A copy of config record `record` that adds the dotted path of every field read to `read`; nested records
    record too. A subclass, so dataclass helpers (asdict) and the record's methods work on it."""
    values = {f.name: getattr(record, f.name) for f in dataclasses.fields(record)}
    values = {name: recording(value, read, f"{path}{name}.") if dataclasses.is_dataclass(value) else value
              for name, value in values.items()}
    names = set(values)

    class Recording(type(record)):
        def __getattribute__(self, name):
            if name in names:
                read.add(f"{path}{name}")
            return super().__getattribute__(name)

    Recording.__name__ = type(record).__name__
    copy = object.__new__(Recording)
    for name, value in values.items():
        object.__setattr__(copy, name, value)
    return copy


def used(read: set[str]) -> set[str]:
    """The keys read, without the sections on the way to a deeper key (a section passed on whole counts whole)."""
    return {key for key in read if not any(other.startswith(key + ".") for other in read)}


def test_recording_tells_leaves_from_whole_sections():
    read: set[str] = set()
    config = recording(load_config(ROOT / "params.yaml"), read)
    assert config.train.lr == 0.001 and config.decode.beam_size >= 1 and config.model_section("rnn")
    assert used(read) == {"train.lr", "decode.beam_size", "rnn"}


@pytest.mark.parametrize("stage", sorted(STAGES))
def test_stage_params_list_every_key_its_config_reads(stage):
    """Each stage reads params.yaml only through its module's `read_config`; every key it reads is declared."""
    spec = STAGES[stage]
    module, option_values = command_module(spec["cmd"])
    read: set[str] = set()
    importlib.import_module(module).read_config(recording(load_config(ROOT / "params.yaml"), read), *option_values)
    declared = [str(key) for key in spec.get("params", [])]
    undeclared = sorted(key for key in used(read)
                        if not any(key == d or key.startswith(d + ".") for d in declared))
    assert not undeclared, f"dvc.yaml stage {stage} reads params it does not list: {', '.join(undeclared)}"


def test_download_hashes_the_folder_its_files_source_reads():
    from lib.prepare.sources import INPUT_FOLDER
    assert str(INPUT_FOLDER) in STAGES["download"]["deps"]


@pytest.mark.parametrize("module", sorted({command_module(spec["cmd"])[0] for spec in STAGES.values()}))
def test_every_stage_answers_help_without_running(module, tmp_path):
    """`--help` prints the stage's usage and exits; nothing is read or written (the folder has no params.yaml)."""
    done = subprocess.run([sys.executable, "-m", module, "--help"], cwd=tmp_path, capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.returncode == 0 and done.stdout.startswith("usage:") and "Stage `" in done.stdout
    assert list(tmp_path.iterdir()) == []
