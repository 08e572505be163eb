import json
import time
from collections import Counter
from pathlib import Path

import pytest
import yaml

from lib.common.cli import DataError
from lib.common.config import DataConfig, ParamError, from_mapping
from lib.prepare.pairs import Limits, make_pairs
from lib.prepare.sources import COLUMNS, SourceError, files_dataset, hub_dataset, normalize, read_source
from stages.download import read_config as download_config

CONALA_COLUMNS = {"docstring": ["rewritten_intent", "intent"], "code": "snippet", "path": "question_id"}
def repository_params(**data) -> dict:
    """The repository's params with `data` changes."""
    params = yaml.safe_load((Path(__file__).resolve().parents[1] / "params.yaml").read_text())
    params["data"].update(data)
    return params


def data_config(**data) -> DataConfig:
    return from_mapping(repository_params(**data)).data


LIMITS = Limits(min_src_len=3, max_src_len=50, max_tgt_len=80, overlong="filter")


def test_codesearchnet_slice_loads_with_its_partition(shared_data):
    skipped = Counter()
    rows = list(normalize(files_dataset([str(shared_data / "codesearchnet_python" / "valid.jsonl")]), {}, skipped))
    assert len(rows) == 120 and not skipped
    assert all(set(row) == set(COLUMNS) for row in rows)
    assert {row["partition"] for row in rows} == {"valid"}  # CodeSearchNet's "valid"
    counts = Counter()
    pairs = list(make_pairs(rows, LIMITS, counts))
    assert pairs and '"""' not in " ".join(pairs[0]["tgt"])  # the docstring left the code


def test_conala_falls_back_from_rewritten_intent_to_intent(shared_data):
    skipped = Counter()
    table = files_dataset([str(shared_data / "conala" / "conala-train.json")])
    rows = list(normalize(table, CONALA_COLUMNS, skipped))
    assert len(rows) == 2379
    missing_rewrite = [raw for raw in table if raw["rewritten_intent"] is None]
    assert len(missing_rewrite) == 79
    by_id = {row["path"]: row for row in rows}
    assert by_id[str(missing_rewrite[0]["question_id"])]["docstring"] in {r["intent"] for r in missing_rewrite}
    assert rows[0]["code"] == table[0]["snippet"]


def test_rows_without_usable_code_or_docstring_are_counted():
    raw = [{"code": "x = 1", "docstring": "ok"}, {"code": None, "docstring": "no code"},
           {"code": "y = 2", "docstring": 3}, {"code": "z", "docstring": "  "}]
    skipped = Counter()
    rows = list(normalize(raw, {}, skipped))
    assert [row["code"] for row in rows] == ["x = 1"]
    assert skipped == {"missing or non-string code": 1, "missing or non-string docstring": 2}


def test_files_source_without_matches_names_the_param(tmp_path):
    with pytest.raises(SourceError, match="data.files.paths"):
        files_dataset([str(tmp_path / "*.jsonl")])


def test_unknown_source_names_the_allowed_ones():
    with pytest.raises(ParamError, match="python, hub, files"):
        data_config(source="ftp")


def test_hub_out_of_reach_fails_fast_naming_the_offline_source(monkeypatch):
    from huggingface_hub import constants
    monkeypatch.setattr(constants, "ENDPOINT", "http://127.0.0.1:9")  # nothing listens on the discard port
    start = time.monotonic()
    with pytest.raises(SourceError, match="data.source: python"):
        hub_dataset("Nan-Do/code-search-net-python", "main", timeout_s=2)
    assert time.monotonic() - start < 5


@pytest.mark.parametrize("pattern", ["a.json", "/data/a.json", "inputs", "inputs/../a.json", "../inputs/a.json"])
def test_download_config_refuses_a_file_outside_the_folder_dvc_hashes(pattern):
    params = repository_params(source="files", files={"paths": {"train": ["inputs/a.json", pattern]}, "columns": {}})
    with pytest.raises(ParamError) as error:
        download_config(from_mapping(params))
    assert str(error.value) == (f"params.yaml: data.files.paths: {pattern} is not under inputs/, the folder DVC hashes "
                                "for download; copy or link the file there and write inputs/...")


def test_a_file_in_a_linked_folder_is_refused(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "rows.jsonl").write_text(json.dumps({"code": "x = 1", "docstring": "d"}) + "\n")
    (tmp_path / "inputs").mkdir()
    (tmp_path / "inputs" / "linked").symlink_to(tmp_path / "elsewhere")
    with pytest.raises(SourceError, match="inputs/linked/rows.jsonl is in the linked folder inputs/linked, whose files "
                                          "DVC does not hash"):
        files_dataset(["inputs/*/*.jsonl"])
    (tmp_path / "inputs" / "rows.jsonl").symlink_to(tmp_path / "elsewhere" / "rows.jsonl")  # a linked file is fine
    assert len(files_dataset(["inputs/rows.jsonl"])) == 1


def write_json(path, rows) -> str:
    """`rows` as one JSON array, as CoNaLa ships its files; returns the path as a string."""
    path.write_text(json.dumps(rows))
    return str(path)


def test_files_per_split_get_their_partition(tmp_path):
    train = write_json(tmp_path / "train.json", [{"snippet": "x = 1", "intent": "set x to one", "partition": "test"}])
    test = write_json(tmp_path / "test.json", [{"snippet": "y = 2", "intent": "set y"},
                                                {"snippet": "z", "intent": "z"}])
    data = data_config(source="files", files={"paths": {"test": [test], "train": [train]}, "columns": CONALA_COLUMNS})
    rows = list(read_source(data, Counter()))
    # Train first whatever the mapping's order; the split's key overrides a `partition` column of the file.
    assert [(row["code"], row["partition"]) for row in rows] == [("x = 1", "train"), ("y = 2", "test"), ("z", "test")]


def test_one_list_of_files_keeps_the_files_own_partition(tmp_path):
    path = write_json(tmp_path / "all.json", [{"code": "x = 1", "docstring": "d", "partition": "validation"},
                                              {"code": "y = 2", "docstring": "e"}])
    rows = list(read_source(data_config(source="files", files={"paths": [path], "columns": {}}), Counter()))
    assert [row["partition"] for row in rows] == ["valid", ""]


@pytest.mark.parametrize("paths, message", [
    ({"test": ["t.json"]}, "must map train"),
    ({"train": ["a.json"], "dev": ["b.json"]}, "must map train"),
    ({"train": "a.json"}, "data.files.paths.train must be a list"),
    ([], "non-empty lists"),
])
def test_download_config_checks_the_files_of_each_split(paths, message):
    with pytest.raises(ParamError, match=message):
        download_config(from_mapping(repository_params(source="files", files={"paths": paths, "columns": {}})))


def test_download_config_accepts_a_list_or_the_files_of_each_split():
    for paths, typed in ((["inputs/a.json"], ("inputs/a.json",)),
                         ({"train": ["inputs/*.json"], "test": ["inputs/test/../b.json"]},
                          {"train": ("inputs/*.json",), "test": ("inputs/test/../b.json",)})):
        assert download_config(from_mapping(repository_params(source="files", files={"paths": paths, "columns": {}}))
                               ).files.paths == typed


GOOD_ROW = {"code": "x = 1", "docstring": "set x"}
GOOD_FILES = {".json": json.dumps([GOOD_ROW]), ".jsonl": json.dumps(GOOD_ROW) + "\n"}


@pytest.mark.parametrize("name, content, message", [
    ("empty.json", "[]", "empty.json has no rows"),
    ("zero.jsonl", "", "zero.jsonl is empty (0 bytes)"),
    ("blank.jsonl", "\n\n", "blank.jsonl has no rows"),
    ("object.json", '{"code": "x"}', "object.json must hold a JSON array of rows"),
    ("strings.json", '[{"code": "x", "docstring": "d"}, "x = 1"]', 'strings.json, row 2: not a JSON object: "x = 1"'),
])
def test_an_empty_or_malformed_file_is_one_line_naming_it(tmp_path, name, content, message):
    bad = tmp_path / name
    bad.write_text(content)
    good = tmp_path / f"good{bad.suffix}"  # beside a good file of the same kind
    good.write_text(GOOD_FILES[bad.suffix])
    with pytest.raises(DataError) as error:
        files_dataset([str(good), str(bad)])
    assert str(error.value) == str(tmp_path / message)


def test_one_malformed_line_among_many_is_named(tmp_path, capfd):
    rows = [json.dumps({"code": f"x = {i}", "docstring": f"set x to {i}"}) for i in range(1500)]
    rows[699] = rows[699][:-1]  # line 700 lost its closing brace
    path = tmp_path / "rows.jsonl"
    path.write_text("\n".join(rows) + "\n")
    with pytest.raises(DataError) as error:
        files_dataset([str(path)])
    assert str(error.value) == f"{path}, line 700: not valid JSON (Expecting ',' delimiter, column 48)"
    assert "row 699" not in capfd.readouterr().err  # datasets' own log line, counting from 0, is silenced
