"""End to end: `dvc repro` in a temporary git copy of the repository, on a tiny configuration."""
import json
import shlex
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
    "split.n_train": 300, "split.n_valid": 30, "split.n_test": 30,
    "train.emb_dim": 16, "train.hidden_dim": 16, "train.max_epochs": 2, "train.batch_size": 32,
    "train.adaptive_cutoffs": [], "attn.attention_dim": 16, "copy.attention_dim": 16,
    "decode.beam_size": 2, "decode.max_len": 30, "evaluate.bootstrap_resamples": 50, "rerank.beam_size": 2,
    "train.num_threads": 1,  # one thread: a busy machine slows the tiny run, not stalls it in spinning threads
}
TIMEOUT_S = 900  # a stalled command fails with its output instead of holding the suite
SYSTEMS = ("rnn", "lstm", "attn", "copy", "rerank", "retrieval")


def run(command: list[str], cwd: Path) -> subprocess.CompletedProcess:
    result = subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=TIMEOUT_S)
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


def git_copy(root: Path, params: dict) -> Path:
    """The tracked files of the repository in `root`, with `params` set in params.yaml, committed to a new git
    repository."""
    tracked = run(["git", "ls-files", "-z"], REPO).stdout.split("\0")
    for name in filter(None, tracked):
        if (REPO / name).is_file():
            (root / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO / name, root / name)
    set_params(root / "params.yaml", params)
    run(["git", "init", "-q"], root)
    run([*GIT, "add", "-A"], root)
    run([*GIT, "commit", "-qm", "tiny"], root)
    return root


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    """A git copy of the tracked files with tiny params, after `dvc repro`."""
    root = git_copy(tmp_path_factory.mktemp("project"), TINY)
    dvc("repro", cwd=root)
    return root


def test_repro_writes_the_data_contract(project):
    for name in ("train", "valid", "test"):
        assert (project / "data" / "split" / f"{name}.parquet").is_file()
    metrics = json.loads((project / "metrics" / "data.json").read_text())
    assert metrics["rows"] == {"train": 300, "valid": 30, "test": 30}
    # what names the data goes beside data/raw, whose content stays the table alone
    assert json.loads((project / "metrics" / "source.json").read_text()) == {"source": "python"}
    assert [path.name for path in (project / "data" / "raw").iterdir()] == ["functions.parquet"]
    assert metrics["round_trip_rate"] >= 0.99
    vocab = json.loads((project / "data" / "split" / "vocab.json").read_text())
    assert vocab["src"][:4] == vocab["tgt"][:4] == ["<pad>", "<bos>", "<eos>", "<unk>"]


def test_repro_trains_evaluates_and_reports(project):
    for model in ("rnn", "lstm", "attn", "copy", "reverse"):
        assert (project / "models" / f"{model}.pt").is_file()
        curve = (project / "plots" / "train" / model / "plots" / "metrics" / "valid_loss.tsv").read_text()
        assert curve.splitlines()[0] == "step\tvalid_loss" and len(curve.splitlines()) == 3  # DVCLive's log
    evaluation = json.loads((project / "data" / "eval" / "scores.json").read_text())
    for system in SYSTEMS:
        assert 0 <= evaluation[system]["bleu"] <= 100 and 0 <= evaluation[system]["parse_rate"] <= 1
        headline = json.loads((project / "metrics" / "eval" / f"{system}.json").read_text())
        assert headline["bleu"] == evaluation[system]["bleu"] and "bleu_novel" in headline
        assert headline["bleu_ci_low"] <= headline["bleu"] <= headline["bleu_ci_high"]
        assert evaluation[system]["novel"]["rows"] <= 30
    for comparisons in (evaluation["bootstrap"], evaluation["bootstrap_novel"]):
        assert set(comparisons) >= {"attn_vs_lstm", "lstm_vs_rnn", "attn_vs_rnn", "copy_vs_attn",
                                    "copy_vs_retrieval", "rerank_vs_copy", "rerank_vs_retrieval"}
    assert evaluation["retrieval"]["parse_rate"] == 1.0  # real training code always parses
    report = (project / "plots" / "report" / "report.md").read_text()
    for section in ("Abstract", "Data", "Models and training", "Results", "Error analysis", "Attention",
                    "Conclusions"):
        assert f"## {section}" in report
    assert (project / "plots" / "report" / "report.pdf").read_bytes().startswith(b"%PDF")
    assert len(list((project / "plots" / "report" / "figures").glob("attention_*.png"))) >= 3
    # the attention read on reference code: every test reference, and the probe's reference, by attn and copy
    reading = json.loads((project / "metrics" / "attention.json").read_text())["reading"]
    assert set(reading) == {"attn", "copy"}
    for model in reading.values():
        assert model["alignment"]["examples"] == 30 and model["alignment"]["identifiers"] > 0
        maximum = model["single"][0]
        assert maximum["code"] == "def max_value(nums): return max(nums)" and maximum["target_rows"] == 1
        assert maximum["ratio"] is not None  # "maximum" is in the docstring and `max` in the code: always defined
    assert len(list((project / "plots" / "report" / "figures").glob("reading_*.png"))) == 2
    shown = json.loads(dvc("metrics", "show", "--json", cwd=project).stdout)
    assert {"metrics/source.json", "metrics/data.json", "metrics/eval/copy.json", "metrics/train/attn.json"} <= set(
        next(iter(shown.values()))["data"])


def test_generate_runs_on_the_trained_models(project):
    result = run([sys.executable, "-m", "lib.generate", "--model", "attn", "returns the maximum value"], project)
    assert result.stdout.startswith("# returns the maximum value\n")
    result = run([sys.executable, "-m", "lib.generate", "--model", "rerank", "returns the maximum value"], project)
    assert result.stdout.startswith("# returns the maximum value\n# chosen: ")


def test_rerank_fits_on_valid_and_its_choices_are_scored(project):
    rerank = json.loads((project / "metrics" / "rerank.json").read_text())
    features = yaml.safe_load((project / "params.yaml").read_text())["rerank"]["features"]
    assert list(rerank["weights"]) == features
    assert rerank["valid"]["bleu"] >= rerank["valid"]["first_candidate_bleu"]  # the fit starts from the first candidates
    assert rerank["valid"]["oracle_bleu"] >= rerank["valid"]["bleu"]
    for split in ("valid", "test"):
        assert sum(rerank[split]["sources"].values()) == 30
    chosen = __import__("pandas").read_parquet(project / "data" / "rerank" / "test.parquet")
    evaluation = json.loads((project / "data" / "eval" / "scores.json").read_text())
    assert evaluation["rerank"]["sources"] == rerank["test"]["sources"] and len(chosen) == 30
    assert "### The rerank system" in (project / "plots" / "report" / "report.md").read_text()


def stale_after(project: Path, change: dict) -> set[str]:
    """The stages `dvc status` lists after `change` to params.yaml (then undone). DVC lists the stages whose
    own params or deps changed; the stages after them rerun once their inputs do."""
    original = (project / "params.yaml").read_text()
    set_params(project / "params.yaml", change)
    try:
        return set(json.loads(dvc("status", "--json", cwd=project).stdout))
    finally:
        (project / "params.yaml").write_text(original)


def test_a_model_param_reruns_only_that_model(project):
    assert stale_after(project, {"attn.attention_dim": 8}) == {"train_attn", "train_reverse"}  # attn's architecture
    assert stale_after(project, {"decode.beam_size": 1}) == {"rerank", "evaluate", "visualize"}
    assert stale_after(project, {"rerank.retrieved": 1}) == {"rerank"}


def test_a_split_param_reruns_split_and_the_report_but_not_the_data_stages(project):
    # the report prints the split section in its shared configuration, so it goes stale too
    assert stale_after(project, {"split.n_train": 200}) == {"split", "visualize"}


def test_a_bad_param_stops_the_stage_with_one_line(project):
    original = (project / "params.yaml").read_text()
    set_params(project / "params.yaml", {"split.n_test": -1})
    try:
        command = shlex.split(yaml.safe_load((project / "dvc.yaml").read_text())["stages"]["split"]["cmd"])
        result = subprocess.run([sys.executable, *command[1:]], cwd=project, capture_output=True, text=True,
                                timeout=TIMEOUT_S)
    finally:
        (project / "params.yaml").write_text(original)
    assert result.returncode == 1
    assert result.stderr.strip() == "error: params.yaml: split.n_test must be at least 1, got -1"
    assert (project / "data" / "split" / "train.parquet").is_file()  # the earlier outputs are untouched


def test_the_outputs_a_failed_stage_deleted_come_back_as_the_readme_says(project):
    run([*GIT, "add", "-A"], project)  # the outputs of a good run, committed as the README asks
    run([*GIT, "commit", "-qm", "tiny run"], project)
    outputs = ("data/split/train.parquet", "metrics/data.json")
    good = {name: (project / name).read_bytes() for name in outputs}
    original = (project / "params.yaml").read_text()
    set_params(project / "params.yaml", {"split.n_test": -1})
    try:
        failed = subprocess.run([sys.executable, "-m", "dvc", "repro", "split"], cwd=project, capture_output=True,
                                timeout=TIMEOUT_S)
    finally:
        (project / "params.yaml").write_text(original)
    assert failed.returncode != 0
    assert not any((project / name).exists() for name in outputs)  # DVC deleted them before running the stage
    dvc("checkout", cwd=project)  # the cached outputs (data/split)...
    assert not (project / "metrics" / "data.json").exists()  # ...not those with cache: false
    run(["git", "checkout", "--", "metrics", "plots"], project)  # they are tracked by git
    assert {name: (project / name).read_bytes() for name in outputs} == good
    assert json.loads(dvc("status", "--json", cwd=project).stdout) == {}

def test_an_edit_to_an_input_file_reruns_download(tmp_path):
    root = git_copy(tmp_path, {"data.source": "files", "data.files.paths": ["inputs/*.jsonl"]})
    rows = root / "inputs" / "rows.jsonl"
    rows.write_text("".join(json.dumps({"code": f"x = {i}", "docstring": f"set x to {i}"}) + "\n" for i in range(5)))
    dvc("repro", "download", cwd=root)
    assert json.loads(dvc("status", "--json", "download", cwd=root).stdout) == {}
    with rows.open("a") as file:
        file.write(json.dumps({"code": "y = 1", "docstring": "set y"}) + "\n")
    assert set(json.loads(dvc("status", "--json", "download", cwd=root).stdout)) == {"download"}
