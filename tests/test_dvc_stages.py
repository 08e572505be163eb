"""dvc.yaml cannot go stale: every file a stage's command imports, every param it reads and every path its command
passes is declared, and every data dep and out is a path its command passes.

The import walk is static (`ast`, transitively through the repository's own modules); the params check runs
each stage's own `read_config` on a recording copy of params.yaml; the paths check parses each stage's command
with the stage's own parser, whose path options come in two groups: inputs (deps) and outputs (outs).
"""
from __future__ import annotations

import argparse
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

from lib.common.cli import INPUTS, OUTPUTS
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
    """`python -m stages.split --split data/split` -> ("stages.split", ["--split", "data/split"]): the module and
    its arguments."""
    words = shlex.split(cmd)
    assert words[:2] == ["python", "-m"], f"stage command {cmd!r} is not `python -m <module>`"
    return words[2], words[3:]


def parsed_command(cmd: str) -> tuple[argparse.ArgumentParser, argparse.Namespace]:
    """The stage's own parser and what it makes of the command's arguments (an unknown or missing option fails)."""
    module, arguments = command_module(cmd)
    parser = importlib.import_module(module).command_line()
    return parser, parser.parse_args(arguments)


def command_paths(cmd: str) -> dict[str, list[Path]]:
    """{INPUTS: [paths the command passes to read], OUTPUTS: [paths to write]}."""
    parser, args = parsed_command(cmd)
    return {group.title: [Path(getattr(args, action.dest)) for action in group._group_actions]
            for group in parser._action_groups if group.title in (INPUTS, OUTPUTS)}


def declared_paths(entries: list) -> list[Path]:
    """The paths of deps or outs (an out with options is a one-key mapping)."""
    return [Path(entry if isinstance(entry, str) else next(iter(entry))) for entry in entries]


def within(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


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
    module = command_module(spec["cmd"])[0]
    args = parsed_command(spec["cmd"])[1]
    kind = [args.model] if "model" in vars(args) else []  # the train stage reads the sections of its --model
    read: set[str] = set()
    importlib.import_module(module).read_config(recording(load_config(ROOT / "params.yaml"), read), *kind)
    declared = [str(key) for key in spec.get("params", [])]
    undeclared = sorted(key for key in used(read)
                        if not any(key == d or key.startswith(d + ".") for d in declared))
    assert not undeclared, f"dvc.yaml stage {stage} reads params it does not list: {', '.join(undeclared)}"


@pytest.mark.parametrize("stage", sorted(STAGES))
def test_stage_command_passes_only_declared_paths(stage):
    """What a stage reads is a dep (or a folder of deps: evaluate's --models); what it writes is an out (or a
    folder of outs)."""
    spec, paths = STAGES[stage], command_paths(STAGES[stage]["cmd"])
    for group, declared in ((INPUTS, declared_paths(spec["deps"])), (OUTPUTS, declared_paths(spec["outs"]))):
        undeclared = [str(path) for path in paths.get(group, []) if not any(within(d, path) for d in declared)]
        assert not undeclared, f"dvc.yaml stage {stage} passes {group} it does not declare: {', '.join(undeclared)}"


@pytest.mark.parametrize("stage", sorted(STAGES))
def test_stage_declares_only_paths_its_command_passes(stage):
    """Every out is (under) an output the command passes, every dep but code and the folder the params' file
    patterns name (INPUT_FOLDER) is (under) an input: a path renamed in the command is renamed in deps/outs."""
    from lib.prepare.sources import INPUT_FOLDER
    spec, paths = STAGES[stage], command_paths(STAGES[stage]["cmd"])
    code = (Path("lib"), Path("stages"), Path(INPUT_FOLDER))
    for group, declared in ((INPUTS, declared_paths(spec["deps"])), (OUTPUTS, declared_paths(spec["outs"]))):
        unpassed = [str(d) for d in declared if not any(within(d, folder) for folder in code)
                    and not any(within(d, path) for path in paths.get(group, []))]
        assert not unpassed, f"dvc.yaml stage {stage} declares {group} its command does not pass: {', '.join(unpassed)}"


def test_paths_check_tells_inputs_from_outputs():
    paths = command_paths("python -m stages.split --tokenized a --split b --metrics c.json")
    assert paths == {INPUTS: [Path("a")], OUTPUTS: [Path("b"), Path("c.json")]}
    assert within(Path("models/rnn.pt"), Path("models")) and not within(Path("models"), Path("models/rnn.pt"))


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


@pytest.mark.parametrize("module", sorted({command_module(spec["cmd"])[0] for spec in STAGES.values()}))
def test_a_stage_run_without_its_paths_prints_its_usage(module, tmp_path):
    """The paths have no defaults: run by hand without them, a stage says which options it needs."""
    done = subprocess.run([sys.executable, "-m", module], cwd=tmp_path, capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.returncode == 2 and done.stderr.startswith("usage:")
    assert "the following arguments are required: " in done.stderr and "Traceback" not in done.stderr
    assert list(tmp_path.iterdir()) == []
