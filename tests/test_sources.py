import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from types import SimpleNamespace

import datasets
import pytest
import yaml
from huggingface_hub import constants as hub_constants
from huggingface_hub.errors import RevisionNotFoundError
from huggingface_hub.utils import are_progress_bars_disabled as hub_progress_bars_disabled
from huggingface_hub.utils import httpx

from lib.common.cli import DataError
from lib.common.config import DataConfig, ParamError, from_mapping
from lib.prepare import sources
from lib.prepare.pairs import Limits, make_pairs
from lib.prepare.sources import COLUMNS, SourceError, files_dataset, hub_dataset, hub_offline, normalize, read_source
from stages import download
from stages.download import read_config as download_config

ROOT = Path(__file__).resolve().parents[1]
DOWNLOAD_ARGUMENTS = ["--raw", "data/raw", "--provenance", "metrics/source.json"]  # as in dvc.yaml

CONALA_COLUMNS = {"docstring": ["rewritten_intent", "intent"], "code": "snippet", "path": "question_id"}
def repository_params(**data) -> dict:
    """The repository's params with `data` changes."""
    params = yaml.safe_load((ROOT / "params.yaml").read_text())
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


HUB = "Nan-Do/code-search-net-python"
COMMIT = "0123456789abcdef0123456789abcdef01234567"
OLDER_COMMIT = "89abcdef0123456789abcdef0123456789abcdef"


@pytest.fixture
def online(monkeypatch):
    """huggingface_hub and datasets online, whatever the environment says."""
    monkeypatch.setattr(datasets.config, "HF_HUB_OFFLINE", False)
    monkeypatch.setattr(hub_constants, "HF_HUB_OFFLINE", False)


@pytest.fixture
def offline(monkeypatch):
    """datasets offline, as HF_DATASETS_OFFLINE=1 (or HF_HUB_OFFLINE=1) at import makes it."""
    monkeypatch.setattr(datasets.config, "HF_HUB_OFFLINE", True)


class FakeBuilder:
    """The part of a datasets builder that hub_dataset uses; notes the libraries' settings while it downloads."""

    def __init__(self, commit: str):
        self.hash = commit
        self.while_downloading = {}

    def download_and_prepare(self):
        self.while_downloading = {
            "timeouts": (hub_constants.HF_HUB_ETAG_TIMEOUT, hub_constants.HF_HUB_DOWNLOAD_TIMEOUT),
            "progress_bars": not (datasets.utils.are_progress_bars_disabled() or hub_progress_bars_disabled())}

    def as_dataset(self):
        rows = [{"code": "x = 1", "docstring": "set x to one", "partition": "train"}]
        return datasets.DatasetDict({"train": datasets.Dataset.from_list(rows)})


class FakeHub:
    """The hub and datasets' cache without the network: `branches` maps a branch to its commit now, `cached` is
    the commit of the copy in the cache (what datasets loads offline). `calls` lists the requests made."""

    def __init__(self):
        self.branches = {"main": COMMIT}
        self.cached = OLDER_COMMIT
        self.calls = []
        self.builders = []

    def dataset_info(self, name, revision, timeout):
        self.calls.append(("dataset_info", name, revision, timeout))
        if revision not in self.branches and revision not in self.branches.values():
            request = httpx.Request("GET", f"https://huggingface.co/api/datasets/{name}/revision/{revision}")
            raise RevisionNotFoundError("Revision Not Found", response=httpx.Response(404, request=request))
        return SimpleNamespace(sha=self.branches.get(revision, revision))

    def load_dataset_builder(self, name, revision):
        self.calls.append(("builder", name, revision))
        self.builders.append(FakeBuilder(self.cached if hub_offline() else revision))
        return self.builders[-1]


@pytest.fixture
def fake_hub(monkeypatch) -> FakeHub:
    hub = FakeHub()
    monkeypatch.setattr(sources, "HfApi", lambda: hub)
    monkeypatch.setattr(datasets, "load_dataset_builder", hub.load_dataset_builder)
    return hub


def test_hub_out_of_reach_fails_fast_naming_the_offline_source(online, monkeypatch):
    monkeypatch.setattr(hub_constants, "ENDPOINT", "http://127.0.0.1:9")  # nothing listens on the discard port
    start = time.monotonic()
    with pytest.raises(SourceError, match="data.source: python") as error:
        hub_dataset(HUB, "main", timeout_s=2)
    assert time.monotonic() - start < 5  # one request, no retries (datasets' downloads retry for over 20 s)
    assert str(error.value).startswith("cannot reach the Hugging Face hub at http://127.0.0.1:9 (")


def test_hub_loads_the_commit_its_branch_names_now(online, fake_hub):
    loaded = hub_dataset(HUB, "main", timeout_s=3)
    assert loaded.commit == COMMIT and len(loaded.splits["train"]) == 1
    # the commit is resolved once and loaded as such, so a branch that moves meanwhile cannot mix versions
    assert fake_hub.calls == [("dataset_info", HUB, "main", 3), ("builder", HUB, COMMIT)]


def test_hub_downloads_with_the_timeout_param_and_its_progress_bars(online, fake_hub):
    before = hub_constants.HF_HUB_ETAG_TIMEOUT, hub_constants.HF_HUB_DOWNLOAD_TIMEOUT
    hub_dataset(HUB, "main", timeout_s=3)
    assert fake_hub.builders[0].while_downloading == {"timeouts": (3, 3), "progress_bars": True}
    assert (hub_constants.HF_HUB_ETAG_TIMEOUT, hub_constants.HF_HUB_DOWNLOAD_TIMEOUT) == before


def test_an_unknown_revision_names_the_param(online, fake_hub):
    with pytest.raises(SourceError, match=f"data.hub.revision: {HUB} has no branch, tag or commit 'v9'"):
        hub_dataset(HUB, "v9", timeout_s=3)


def test_offline_loads_the_cached_copy_without_asking_the_hub(offline, fake_hub):
    assert hub_dataset(HUB, "main", timeout_s=3).commit == OLDER_COMMIT
    assert fake_hub.calls == [("builder", HUB, "main")]


def test_offline_refuses_a_pinned_commit_the_cache_does_not_hold(offline, fake_hub):
    with pytest.raises(SourceError) as error:
        hub_dataset(HUB, COMMIT, timeout_s=3)
    assert str(error.value) == (f"data.hub.revision is the commit {COMMIT}, but the datasets cache holds {HUB} at "
                                f"{OLDER_COMMIT}; load that commit online once, or pin data.hub.revision: "
                                f"{OLDER_COMMIT}")
    fake_hub.cached = COMMIT
    assert hub_dataset(HUB, COMMIT, timeout_s=3).commit == COMMIT


def test_download_records_the_hub_commit_beside_data_raw(online, fake_hub, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Path("params.yaml").write_text(yaml.safe_dump(repository_params(source="hub")))
    download.main(download.command_line().parse_args(DOWNLOAD_ARGUMENTS))
    assert json.loads(Path("metrics/source.json").read_text()) == {
        "source": "hub", "dataset": HUB, "revision": "main", "commit": COMMIT}
    assert sorted(path.name for path in Path("data/raw").iterdir()) == ["functions.parquet"]


def run_download(folder: Path, **environment: str) -> subprocess.CompletedProcess:
    """`python -m stages.download` in `folder` on the hub source, as a fresh process: the libraries read their
    HF_* and proxy variables at import. Only `environment` sets them; the cache is folder/hf (HF_HOME)."""
    (folder / "params.yaml").write_text(yaml.safe_dump(repository_params(source="hub")))
    inherited = {name: value for name, value in os.environ.items()
                 if not name.upper().startswith(("HF_", "HUGGINGFACE")) and not name.upper().endswith("_PROXY")}
    env = {**inherited, "PYTHONPATH": str(ROOT), "HF_HOME": str(folder / "hf"), **environment}
    return subprocess.run([sys.executable, "-m", "stages.download", *DOWNLOAD_ARGUMENTS], cwd=folder, env=env,
                          capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("switch", ["HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE"])
def test_offline_with_an_empty_cache_is_one_line_naming_the_offline_source(tmp_path, switch):
    result = run_download(tmp_path, **{switch: "1"})
    assert result.returncode == 1
    assert result.stderr.strip() == (
        f"error: the Hugging Face hub is offline (HF_HUB_OFFLINE or HF_DATASETS_OFFLINE) and {HUB} is not in the "
        f"datasets cache ({tmp_path / 'hf' / 'datasets'}); load it online once, or use the offline source with "
        "`data.source: python` in params.yaml")


def cache_hub_copy(hf_home: Path, commit: str, rows: list[dict]) -> None:
    """`rows` where datasets keeps what it built from commit `commit` of HUB, as it would have built them."""
    from datasets.packaged_modules.json.json import Json
    data = hf_home / "rows.jsonl"
    data.parent.mkdir(parents=True)
    data.write_text("".join(json.dumps(row) + "\n" for row in rows))
    namespace, name = HUB.split("/")
    builder = Json(dataset_name=name, config_name="default", data_files={"train": str(data)},
                   cache_dir=str(hf_home / "build"))
    builder.download_and_prepare(output_dir=str(hf_home / "datasets" / f"{namespace}___{name}" / "default" / "0.0.0"
                                                / commit))


def test_offline_with_a_warm_cache_loads_it_and_records_its_commit(tmp_path):
    cache_hub_copy(tmp_path / "hf", COMMIT, [{"code": "x = 1", "docstring": "set x to one", "partition": "train"}])
    result = run_download(tmp_path, HF_HUB_OFFLINE="1")
    assert result.returncode == 0, result.stderr
    assert json.loads((tmp_path / "metrics" / "source.json").read_text()) == {
        "source": "hub", "dataset": HUB, "revision": "main", "commit": COMMIT}
    assert "rows read: 1, kept: 1" in result.stdout


def test_the_hub_is_reached_through_the_proxy_setting(tmp_path):
    requests = []
    with socket.create_server(("127.0.0.1", 0)) as proxy:
        def refuse_every_request():  # a proxy that answers 403 to every request, until it is closed
            while True:
                try:
                    connection, _ = proxy.accept()
                except OSError:
                    return
                with connection:
                    requests.append(connection.recv(4096).decode().partition("\r\n")[0])
                    connection.sendall(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")

        threading.Thread(target=refuse_every_request, daemon=True).start()
        result = run_download(tmp_path, HTTPS_PROXY=f"http://127.0.0.1:{proxy.getsockname()[1]}")
    assert requests and set(requests) == {"CONNECT huggingface.co:443 HTTP/1.1"}
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: cannot reach the Hugging Face hub at https://huggingface.co")
    assert lines[0].endswith("`data.source: python` in params.yaml")


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
    rows = list(read_source(data, Counter()).rows)
    # Train first whatever the mapping's order; the split's key overrides a `partition` column of the file.
    assert [(row["code"], row["partition"]) for row in rows] == [("x = 1", "train"), ("y = 2", "test"), ("z", "test")]


def test_one_list_of_files_keeps_the_files_own_partition(tmp_path):
    path = write_json(tmp_path / "all.json", [{"code": "x = 1", "docstring": "d", "partition": "validation"},
                                              {"code": "y = 2", "docstring": "e"}])
    rows = list(read_source(data_config(source="files", files={"paths": [path], "columns": {}}), Counter()).rows)
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
