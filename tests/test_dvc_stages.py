"""dvc.yaml cannot go stale: every file a stage's command imports, and every param it reads, is declared.

The import walk is static (`ast`, transitively through the repository's own modules); the params check runs
each stage's own `read_config` on a recording copy of params.yaml.
"""
from __future__ import annotations

import ast
import importlib
import shlex
from collections.abc import Mapping
from pathlib import Path

import pytest
import yaml

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


class RecordingParams(Mapping):
    """A read-only view of params that records the dotted keys read through it.

    `read` gets every key looked up; `whole` every section iterated or measured as a whole (its every key used).
    """

    def __init__(self, data: Mapping, path: str = "", read: set | None = None, whole: set | None = None):
        self._data, self._path = data, path
        self.read = set() if read is None else read
        self.whole = set() if whole is None else whole

    def __getitem__(self, key):
        value = self._data[key]
        path = f"{self._path}.{key}" if self._path else str(key)
        self.read.add(path)
        return RecordingParams(value, path, self.read, self.whole) if isinstance(value, Mapping) else value

    def __iter__(self):
        self.whole.add(self._path)
        return iter(self._data)

    def __len__(self):
        self.whole.add(self._path)
        return len(self._data)

    def used(self) -> set[str]:
        """The keys read, without the sections on the way to a deeper key, plus the sections used whole."""
        leaves = {key for key in self.read if not any(other.startswith(key + ".") for other in self.read)}
        inside_whole = {key for key in leaves if any(key.startswith(section + ".") for section in self.whole)}
        return (leaves - inside_whole | self.whole) - {""}


def test_recording_params_tells_leaves_from_whole_sections():
    params = RecordingParams({"a": {"x": 1, "y": 2}, "b": {"z": 3}, "c": 4})
    assert params["a"]["x"] == 1 and dict(params["b"]) == {"z": 3} and params["c"] == 4
    assert params.used() == {"a.x", "b", "c"}


@pytest.mark.parametrize("stage", sorted(STAGES))
def test_stage_params_list_every_key_its_config_reads(stage):
    """Each stage reads params.yaml only through its module's `read_config`; every key it reads is declared."""
    spec = STAGES[stage]
    module, option_values = command_module(spec["cmd"])
    params = RecordingParams(yaml.safe_load((ROOT / "params.yaml").read_text()))
    importlib.import_module(module).read_config(params, *option_values)
    declared = [str(key) for key in spec.get("params", [])]
    undeclared = sorted(key for key in params.used()
                        if not any(key == d or key.startswith(d + ".") for d in declared))
    assert not undeclared, f"dvc.yaml stage {stage} reads params it does not list: {', '.join(undeclared)}"


def test_download_hashes_the_folder_its_files_source_reads():
    from lib.prepare.sources import INPUT_FOLDER
    assert str(INPUT_FOLDER) in STAGES["download"]["deps"]
