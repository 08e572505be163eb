"""The seed and learning-curve study from DVC experiment rows: which run is which point, the two files, and a
clear refusal of anything that does not fit the study."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml

from lib.common.cli import StageError
from lib.study.experiments import (
    CURVE_COLUMNS,
    CURVE_FILE,
    EMPTY_SEEDS,
    ORDERINGS,
    STUDY_SYSTEMS,
    SEEDS_FILE,
    param_names,
    read_study,
    study_from_rows,
    write_study,
)

ROOT = Path(__file__).resolve().parent.parent
PARAMS = ["train.seed", "split.n_train", "split.seed", "decode.beam_size", "train.num_threads"]
BASE_BLEU = {"rnn": 12.0, "lstm": 13.7, "attn": 15.0, "copy": 15.8, "retrieval": 17.7}


def row(name=None, seed=42, n_train=8000, train_pairs=None, bleu=None, state=None, typ="branch_commit",
        rev="abc1234", **params):
    """One row as dvc.api.exp_show gives it: numbers as floats, BLEU's 95% interval ±1; a param `decode__beam_size`
    is column decode.beam_size."""
    found = {"Experiment": name, "rev": rev, "typ": typ, "Created": None, "parent": None, "State": state,
             "Executor": None, "rows.train": float(train_pairs or n_train),
             "train.seed": float(seed), "split.n_train": float(n_train), "split.seed": 13.0,
             "decode.beam_size": 5.0, "train.num_threads": 0.0} | {k.replace("__", "."): float(v)
                                                                  for k, v in params.items()}
    for system, value in (bleu or BASE_BLEU).items():
        found |= {f"metrics/eval/{system}.json:bleu": value, f"metrics/eval/{system}.json:bleu_ci_low": value - 1,
                  f"metrics/eval/{system}.json:bleu_ci_high": value + 1}
    return found


def workspace(**kwargs):
    return row(typ="baseline", rev="workspace", **kwargs)


def shifted(**changes):
    """BASE_BLEU with some systems' BLEU moved by the given amounts."""
    return {s: round(v + changes.get(s, 0.0), 2) for s, v in BASE_BLEU.items()}


def study_rows():
    """The workspace, its commit, two more seeds, three more sizes, and runs the study must skip."""
    return [
        workspace(),
        row(typ="baseline", rev="main"),  # the commit: left out, the workspace holds the current results
        row("seed-43", seed=43, bleu=shifted(copy=-1.0, lstm=-0.5)),  # copy falls below attn
        row("seed-44", seed=44, bleu=shifted(attn=0.2)),
        row("n-1000", n_train=1000, bleu=shifted(rnn=-4, lstm=-4, attn=-5, copy=-5, retrieval=-6)),
        row("n-4000", n_train=4000, bleu=shifted(rnn=-1, lstm=-1, attn=-2, copy=-2, retrieval=-3)),
        row("n-20000", n_train=20000, train_pairs=14787, bleu=shifted(copy=1.5, retrieval=0.5)),
        row("queued", seed=45, state="Queued") | {"metrics/eval/attn.json:bleu": None},
        row("running", seed=46, state="Running"),
        row("failed", decode__beam_size=1, state="Failed"),
    ]


# --- which run is which point --------------------------------------------------------------------

def test_seeds_summarise_each_system_and_count_each_ordering():
    seeds, _ = study_from_rows(study_rows(), PARAMS)
    assert seeds["baseline_seed"] == 42 and seeds["n_train"] == 8000 and seeds["train_pairs"] == 8000
    assert seeds["seeds"] == [42, 43, 44]  # the skipped runs (45, 46) are not there
    assert seeds["systems"]["copy"] == {"bleu": {"42": 15.8, "43": 14.8, "44": 15.8}, "mean": 15.467,
                                        "std": 0.577, "min": 14.8, "max": 15.8}
    assert seeds["systems"]["retrieval"]["std"] == 0.0
    orderings = seeds["orderings"]
    assert list(orderings)[:4] == ["attn>lstm", "lstm>attn", "lstm>rnn", "rnn>lstm"]
    assert {f"{a}>{b}" for a, b in ORDERINGS} | {f"{b}>{a}" for a, b in ORDERINGS} == set(orderings)
    assert orderings["copy>attn"] == {"holds_in": 2, "seeds": 3, "holds_in_every_seed": False}
    assert orderings["attn>copy"] == {"holds_in": 1, "seeds": 3, "holds_in_every_seed": False}
    assert orderings["lstm>rnn"]["holds_in_every_seed"] and orderings["retrieval>copy"]["holds_in_every_seed"]
    assert orderings["copy>retrieval"]["holds_in"] == 0


def test_curve_has_one_row_per_training_size_with_the_intervals():
    _, curve = study_from_rows(study_rows(), PARAMS)
    assert list(curve.columns) == CURVE_COLUMNS
    assert list(curve["train_pairs"]) == [1000, 4000, 8000, 14787]  # rows.train, not split.n_train
    top = curve.iloc[-1]
    assert (top["copy_bleu"], top["copy_ci_low"], top["copy_ci_high"]) == (17.3, 16.3, 18.3)
    assert curve.iloc[2]["attn_bleu"] == BASE_BLEU["attn"]  # the workspace is the default size


def test_rows_of_other_baselines_and_unfinished_runs_are_left_out():
    rows = study_rows()
    rows[1]["metrics/eval/attn.json:bleu"] = "None"  # a commit row is not read
    seeds, curve = study_from_rows(rows, PARAMS)
    assert seeds["seeds"] == [42, 43, 44] and len(curve) == 4


def test_the_workspace_alone_is_one_seed_and_one_size():
    seeds, curve = study_from_rows([workspace()], PARAMS)
    assert seeds["seeds"] == [42] and seeds["systems"]["attn"]["std"] is None
    assert seeds["orderings"]["attn>rnn"] == {"holds_in": 1, "seeds": 1, "holds_in_every_seed": True}
    assert list(curve["train_pairs"]) == [8000]


def test_a_rerun_of_the_same_params_with_the_same_results_is_one_point():
    seeds, curve = study_from_rows([workspace(), row("default"), row("seed-43", seed=43), row("again", seed=43)],
                                   PARAMS)
    assert seeds["seeds"] == [42, 43] and list(curve["train_pairs"]) == [8000]


def test_a_run_may_use_other_threads_than_the_workspace():
    """The size runs shared 2 cores as two 1-thread queue workers: threads say how a run executes, not what."""
    seeds, curve = study_from_rows([workspace(), row("n-1000", n_train=1000, train__num_threads=1)], PARAMS)
    assert list(curve["train_pairs"]) == [1000, 8000] and seeds["seeds"] == [42]


def test_a_run_made_before_train_precision_existed_is_one_of_the_study():
    rows = [workspace() | {"train.precision": "fp32"}, row("seed-43", seed=43) | {"train.precision": None}]
    assert study_from_rows(rows, [*PARAMS, "train.precision"])[0]["seeds"] == [42, 43]


def test_a_run_with_other_report_settings_is_one_of_the_study_and_one_with_other_decoding_is_not():
    probes = [{"docstring": "returns the maximum", "reference": "def f(a): return max(a)"}]
    rows = [workspace() | {"visualize.probes": probes}, row("seed-43", seed=43) | {"visualize.probes": ["max"]}]
    assert study_from_rows(rows, [*PARAMS, "visualize.probes"])[0]["seeds"] == [42, 43]
    rows = [workspace() | {"decode.beam_size": 5}, row("seed-43", seed=43) | {"decode.beam_size": 1}]
    with pytest.raises(StageError, match="seed-43 changes decode.beam_size"):
        study_from_rows(rows, [*PARAMS, "decode.beam_size"])


def test_params_are_read_under_the_name_dvc_gives_them():
    """DVC qualifies a name with its file where two files share it (dvc/repo/experiments/show.py)."""
    rows = [{("params.yaml:" + k if k == "train.seed" else k): v for k, v in r.items()}
            for r in (workspace(), row("seed-43", seed=43))]
    assert study_from_rows(rows, PARAMS)[0]["seeds"] == [42, 43]


# --- refusals ------------------------------------------------------------------------------------

@pytest.mark.parametrize("rows, message", [
    ([workspace(), row("beam", decode__beam_size=1)], "beam changes decode.beam_size: the study.s runs change only train.seed or only split.n_train"),
    ([workspace(), row("both", seed=43, n_train=1000)], "both changes split.n_train, train.seed"),
    ([workspace(), row("seed-43", seed=43), row("again", seed=43, bleu=shifted(attn=0.1))],
     "seed-43 and again are the same point of the study (43) with different results"),
    ([workspace(), row("n-20000", n_train=20000, train_pairs=14787), row("n-30000", n_train=30000, train_pairs=14787,
                                                                         bleu=shifted(rnn=1))],
     "n-20000 and n-30000 are the same point of the study (14787)"),
    ([workspace(), row("seed-43", seed=43, bleu=shifted(retrieval=0.3))], "the seed runs differ in retrieval BLEU"),
    ([workspace(), row("seed-43", seed=43, train_pairs=7000)], "the seed runs differ in training pairs"),
    ([workspace(), row("seed-43", seed=43) | {"metrics/eval/attn.json:bleu": "None"}],
     "seed-43: metrics/eval/attn.json bleu is 'None', not a number"),
    ([workspace(), row("seed-43", seed=43.5)], "seed-43: params.yaml train.seed is 43.5, not a whole number"),
    ([workspace(), row("odd", state="Paused")], "odd: unknown experiment row"),
    ([row("x")], "dvc exp show gave 0 workspace rows"),
])
def test_what_does_not_fit_the_study_is_refused_with_one_message(rows, message):
    with pytest.raises(StageError, match=message.replace("(", r"\(").replace(")", r"\)")):
        study_from_rows(rows, PARAMS)


def test_a_curve_run_without_its_interval_is_refused_but_a_seed_run_needs_none():
    without = {k: v for k, v in row("seed-43", seed=43).items() if "ci_" not in k}
    assert study_from_rows([workspace(), without], PARAMS)[0]["seeds"] == [42, 43]
    bare = {k: v for k, v in workspace().items() if not k.endswith("attn.json:bleu_ci_low")}
    with pytest.raises(StageError, match="no column bleu_ci_low of metrics/eval/attn.json"):
        study_from_rows([bare], PARAMS)


# --- names and files -----------------------------------------------------------------------------

def test_param_names_flatten_like_dvc():
    params = {"train": {"seed": 42, "cutoffs": [1, 2]}, "data": {"hub": {"columns": {}}, "source": "python"}}
    assert param_names(params) == ["train.seed", "train.cutoffs", "data.source"]  # an empty mapping: no column


def test_orderings_are_the_pairs_evaluate_bootstraps_between_the_study_systems():
    from stages.evaluate import COMPARISONS
    assert ORDERINGS == tuple(pair for pair in COMPARISONS if set(pair) <= set(STUDY_SYSTEMS))
    assert "rerank" not in STUDY_SYSTEMS and len(ORDERINGS) == len(COMPARISONS) - 2  # rerank came after the runs


def study_in(root: Path) -> dict:
    """read_study of the files where lib.study.experiments writes them below `root`."""
    return read_study(root / SEEDS_FILE, root / CURVE_FILE)


def test_files_round_trip_and_absent_files_are_the_empty_study(tmp_path):
    empty = study_in(tmp_path)
    assert empty["seeds"] == EMPTY_SEEDS and list(empty["curve"].columns) == CURVE_COLUMNS and empty["curve"].empty
    seeds, curve = study_from_rows(study_rows(), PARAMS)
    write_study(seeds, curve, tmp_path)
    assert (tmp_path / CURVE_FILE).read_text().splitlines()[1].startswith("1000,8.0,7.0,9.0,9.7,")
    study = study_in(tmp_path)
    assert study["seeds"] == seeds
    pd.testing.assert_frame_equal(study["curve"], curve)


@pytest.mark.parametrize("damage, message", [
    (lambda root: (root / CURVE_FILE).unlink(), "come together; one is missing"),
    (lambda root: (root / SEEDS_FILE).write_text(json.dumps({"seeds": [42]})), "has keys"),
    (lambda root: (root / SEEDS_FILE).write_text(json.dumps(EMPTY_SEEDS | {"seeds": [42], "systems": {"attn": {}}})),
     r"has systems \['attn'\]"),
    (lambda root: (root / CURVE_FILE).write_text("train_pairs,attn_bleu\n8000,15.0\n"), "has columns"),
])
def test_a_file_in_another_layout_is_refused(tmp_path, damage, message):
    write_study(*study_from_rows(study_rows(), PARAMS), tmp_path)
    damage(tmp_path)
    with pytest.raises(StageError, match=message):
        study_in(tmp_path)


def test_the_committed_files_are_readable():
    study = study_in(ROOT)
    assert study["seeds"] == EMPTY_SEEDS or study["seeds"]["seeds"][0] == study["seeds"]["baseline_seed"]


# --- against DVC itself --------------------------------------------------------------------------

def test_the_command_reads_real_exp_show_rows(tmp_path):
    """dvc.api.exp_show of a real repository (workspace and commit, no experiment run) -> one seed, one size."""
    params = {"train": {"seed": 42}, "split": {"n_train": 8000, "seed": 13}, "data": {"hub": {"columns": {}}}}
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(params))
    (tmp_path / "dvc.yaml").write_text(yaml.safe_dump({"metrics": ["metrics/eval", "metrics/data.json"]}))
    (tmp_path / "metrics" / "eval").mkdir(parents=True)
    (tmp_path / "metrics" / "data.json").write_text(json.dumps({"rows": {"train": 8000, "test": 1000}}))
    for system in STUDY_SYSTEMS:
        value = BASE_BLEU[system]
        (tmp_path / "metrics" / "eval" / f"{system}.json").write_text(
            json.dumps({"bleu": value, "bleu_ci_low": value - 1, "bleu_ci_high": value + 1, "exact_match": 0.0}))
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.com"]
    for command in (["git", "init", "-q"], [sys.executable, "-m", "dvc", "init", "-q"], [*git, "add", "-A"],
                    [*git, "commit", "-qm", "study"]):
        subprocess.run(command, cwd=tmp_path, check=True, capture_output=True)
    result = subprocess.run([sys.executable, "-m", "lib.study.experiments", "--repo", str(tmp_path)], cwd=tmp_path,
                            capture_output=True, text=True, env=os.environ | {"PYTHONPATH": str(ROOT)})
    assert result.returncode == 0, result.stderr
    seeds = json.loads((tmp_path / SEEDS_FILE).read_text())
    assert seeds["seeds"] == [42] and seeds["systems"]["copy"]["bleu"] == {"42": 15.8}
    assert (tmp_path / CURVE_FILE).read_text().splitlines()[1].startswith("8000,12.0,11.0,13.0,")


def test_dvc_yaml_declares_the_committed_study_files():
    """Both files are deps of visualize, so both are always committed: DVC stops a stage whose dep does not exist
    (dvc/dependency/base.py DependencyDoesNotExistError)."""
    dvc = yaml.safe_load((ROOT / "dvc.yaml").read_text())
    assert {str(SEEDS_FILE), str(CURVE_FILE)} <= set(dvc["stages"]["visualize"]["deps"])
    assert str(SEEDS_FILE) in dvc["metrics"]
    curve = next(plot["learning_curve"] for plot in dvc["plots"]
                 if isinstance(plot, dict) and "learning_curve" in plot)
    assert curve["x"] == "train_pairs" and curve["y"] == {str(CURVE_FILE): [f"{s}_bleu" for s in STUDY_SYSTEMS]}
    tracked = subprocess.run(["git", "ls-files", str(SEEDS_FILE), str(CURVE_FILE)], cwd=ROOT, capture_output=True,
                             text=True, check=True).stdout.split()
    assert tracked == [str(SEEDS_FILE), str(CURVE_FILE)]


def test_visualize_draws_the_learning_curve_only_from_two_sizes(tmp_path):
    from lib.study.context import study_figures
    assert study_figures(study_in(tmp_path), tmp_path) == {}  # no files: the empty study
    seeds, curve = study_from_rows([workspace()], PARAMS)
    assert study_figures({"seeds": seeds, "curve": curve}, tmp_path) == {}
    seeds, curve = study_from_rows(study_rows(), PARAMS)
    drawn = study_figures({"seeds": seeds, "curve": curve}, tmp_path)
    assert drawn == {"learning_curve": str(tmp_path / "learning_curve.png")}
    assert Path(drawn["learning_curve"]).stat().st_size > 1000
