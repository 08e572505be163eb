"""A benchmark's own train and test files through download, tokenize and split (the stages' code, no DVC)."""
import json
import shlex
from pathlib import Path

import pandas as pd
import pytest
import yaml

from stages import download, split, tokenize

ROOT = Path(__file__).resolve().parent.parent
CONALA_COLUMNS = {"docstring": ["rewritten_intent", "intent"], "code": "snippet", "path": "question_id"}
INPUTS = {"train": ["inputs/train.json"], "test": ["inputs/test.json"]}  # data.files.paths
STAGES = yaml.safe_load((ROOT / "dvc.yaml").read_text())["stages"]


def conala_params(paths: dict) -> dict:
    """The repository's params.yaml set up for CoNaLa-style files, as the README's recipe does."""
    params = yaml.safe_load((ROOT / "params.yaml").read_text())
    params["data"].update(source="files", files={"paths": paths, "columns": CONALA_COLUMNS})
    params["tokenize"].update(first_sentence=False, strip_markup=False, drop_templated=False)
    params["split"].update(src_min_freq=1, tgt_min_freq=1)
    return params


def run_stages(folder: Path, params: dict, monkeypatch) -> dict:
    """Run download, tokenize and split in `folder` with their arguments in dvc.yaml; returns metrics/data.json."""
    monkeypatch.chdir(folder)
    (folder / "params.yaml").write_text(yaml.safe_dump(params))
    for name, stage in (("download", download), ("tokenize", tokenize), ("split", split)):
        stage.main(stage.command_line().parse_args(shlex.split(STAGES[name]["cmd"])[3:]))
    return json.loads((folder / "metrics" / "data.json").read_text())


def write_inputs(folder: Path, train: list, test: list) -> None:
    """The train and test rows as JSON files where download reads them (INPUTS)."""
    (folder / "inputs").mkdir()
    (folder / INPUTS["train"][0]).write_text(json.dumps(train))
    (folder / INPUTS["test"][0]).write_text(json.dumps(test))


def intent(i: int) -> dict:
    return {"intent": f"intent number {i} about `x{i}`", "rewritten_intent": None, "snippet": f"x{i} = {i} * 2",
            "question_id": 100 + i}


def test_small_train_and_test_files(tmp_path, monkeypatch):
    train = [intent(i) for i in range(40)]
    test = [
        {"intent": "double `x3`", "rewritten_intent": "multiply `x3` by 2", "snippet": "x3 = 3 * 2",
         "question_id": 1},                                                     # the code of a train row
        {"intent": "broken", "rewritten_intent": "assign twice", "snippet": "x = = 1", "question_id": 2},
        {"intent": "sum", "rewritten_intent": None, "snippet": "sum(a)", "question_id": 3},  # under min_src_len
        {"intent": "get keys", "rewritten_intent": "get the keys of dict `{'a': 1}`", "snippet": "{'a': 1}.keys()",
         "question_id": 4},
    ]
    write_inputs(tmp_path, train, test)
    metrics = run_stages(tmp_path, conala_params(INPUTS), monkeypatch)

    assert metrics["official_test"] == {"rows": 3, "untokenizable": 1, "code_in_train": 1,
                                        "code_in_train_share": 0.3333}
    scored = pd.read_parquet(tmp_path / "data" / "split" / "test.parquet")
    assert list(scored["path"]) == ["1", "3", "4"]  # in the file's order, the duplicate kept
    assert scored["summary"].iloc[2] == "get the keys of dict `{'a': 1}`"
    details = json.loads((tmp_path / "data" / "split" / "official_test.json").read_text())
    assert [(row["test_row"], row["reason"], row["path"]) for row in details["untokenizable_rows"]] == \
        [(1, "code does not parse", "2")]
    assert [row["path"] for row in details["code_in_train_rows"]] == ["1"]
    train_and_valid = pd.concat([pd.read_parquet(tmp_path / "data" / "split" / f"{name}.parquet")
                                 for name in ("train", "valid")])
    assert len(train_and_valid) == 40 and metrics["rows"]["valid"] > 0  # valid carved from train, nothing lost


def test_real_conala_rows_as_a_train_file_and_a_test_file(shared_data, tmp_path, monkeypatch):
    rows = json.loads((shared_data / "conala" / "conala-train.json").read_text())
    write_inputs(tmp_path, rows[:2000], rows[2000:])
    metrics = run_stages(tmp_path, conala_params(INPUTS), monkeypatch)

    official = metrics["official_test"]
    assert official["rows"] + official["untokenizable"] == 379  # every test row scored or named
    assert official["rows"] == metrics["rows"]["test"] >= 370
    stats = json.loads((tmp_path / "data" / "tokenized" / "stats.json").read_text())
    assert "templated docstring" not in stats["dropped"]  # the docstring filters are off
    scored = pd.read_parquet(tmp_path / "data" / "split" / "test.parquet")
    assert scored["summary"].str.contains("`").mean() > 0.5  # intents keep their backticks
    assert metrics["rows"]["train"] + metrics["rows"]["valid"] <= 2000 and metrics["rows"]["valid"] >= 150
