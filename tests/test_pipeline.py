"""End to end: `dvc repro` in a temporary git copy of the repository, on a tiny configuration."""
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
GIT = ["git", "-c", "user.name=test", "-c", "user.email=test@example.com"]
TINY = {
    "data.python.packages": [],  # the standard library alone
    "split.n_train": 300, "split.n_valid": 40, "split.n_test": 40,
}


def run(command: list[str], cwd: Path) -> subprocess.CompletedProcess:
    result = subprocess.run(command, cwd=cwd, capture_output=True, text=True)
    assert result.returncode == 0, f"{' '.join(command)} failed:\n{result.stdout}\n{result.stderr}"
    return result


def dvc(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return run([sys.executable, "-m", "dvc", *args], cwd)


def set_params(path: Path, values: dict) -> None:
    params = yaml.safe_load(path.read_text())
    for key, value in values.items():
        *sections, last = key.split(".")
        node = params
        for section in sections:
            node = node[section]
        node[last] = value
    path.write_text(yaml.safe_dump(params, sort_keys=False))


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    """A git copy of the tracked files with tiny params, after `dvc repro`."""
    root = tmp_path_factory.mktemp("project")
    tracked = run(["git", "ls-files", "-z"], REPO).stdout.split("\0")
    for name in filter(None, tracked):
        if (REPO / name).is_file():
            (root / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO / name, root / name)
    set_params(root / "params.yaml", TINY)
    run(["git", "init", "-q"], root)
    run([*GIT, "add", "-A"], root)
    run([*GIT, "commit", "-qm", "tiny"], root)
    dvc("repro", cwd=root)
    return root


def test_repro_writes_the_data_contract(project):
    for name in ("train", "valid", "test"):
        assert (project / "data" / "split" / f"{name}.parquet").is_file()
    metrics = json.loads((project / "metrics" / "data.json").read_text())
    assert metrics["rows"] == {"train": 300, "valid": 40, "test": 40}
    assert metrics["tokenize"]["round_trip_rate"] >= 0.99
    vocab = json.loads((project / "data" / "split" / "vocab.json").read_text())
    assert vocab["src"][:4] == vocab["tgt"][:4] == ["<pad>", "<bos>", "<eos>", "<unk>"]
    assert "metrics/data.json" in dvc("metrics", "show", "--json", cwd=project).stdout


def test_a_split_param_reruns_split_but_not_the_data_stages(project):
    set_params(project / "params.yaml", {"split.n_train": 200})
    stale = json.loads(dvc("status", "--json", cwd=project).stdout)
    assert "split" in stale
    assert "download" not in stale and "tokenize" not in stale


def test_a_bad_param_stops_the_stage_with_one_line(project):
    set_params(project / "params.yaml", {"split.n_test": -1})
    result = subprocess.run([sys.executable, "-m", "stages.split"], cwd=project, capture_output=True, text=True)
    assert result.returncode == 1
    assert result.stderr.strip() == "error: params.yaml: split.n_test must be at least 1, got -1"
    set_params(project / "params.yaml", {"split.n_test": 40})
