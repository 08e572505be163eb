"""The seed and learning-curve study, gathered from DVC experiments into two small committed files.

The study's runs are queued DVC experiments of target `evaluate` that change one param each against the
workspace: `train.seed` (another training seed, same split) or `split.n_train` (another training-set size,
same valid / test rows). The workspace itself is both the baseline seed and the baseline size.

`python -m lib.study.experiments [--repo PATH] [--rev REV ...]` reads `dvc.api.exp_show()` of the repository
at PATH (default: here) and writes, here:

metrics/study/seeds.json  the runs at the baseline size, one per training seed:
    {"baseline_seed": 42, "n_train": 8000, "train_pairs": 8000, "seeds": [42, 43, 44],
     "systems": {"attn": {"bleu": {"42": 15.04, "43": 14.71, "44": 15.2}, "mean": 14.983, "std": 0.25,
                          "min": 14.71, "max": 15.2}, ...},            # every system of STUDY_SYSTEMS
     "orderings": {"attn>lstm": {"holds_in": 3, "seeds": 3, "holds_in_every_seed": true},
                   "lstm>attn": {"holds_in": 0, ...}, ...}}            # both directions of each ORDERINGS pair
    std is the sample standard deviation (None for one seed); "a>b" holds in a seed when BLEU(a) > BLEU(b).
plots/learning_curve.csv  the runs of the baseline seed, one row per training-set size, by train_pairs:
    train_pairs,rnn_bleu,rnn_ci_low,rnn_ci_high,...,retrieval_ci_high
    train_pairs is metrics/data.json rows.train (split.n_train capped by the pool); ci_* is the 95% bootstrap
    interval of test BLEU (metrics/eval/<system>.json bleu_ci_low / bleu_ci_high). Wide, one column per system:
    DVC's plot templates colour lines by file and column only, not by the values of a column.

Before any experiment has finished the files hold EMPTY_SEEDS and a curve without rows; read_study gives the
same when both files are absent. Anything else that does not fit the study is refused with one message
(StageError): another param changed, a run twice with different results, a missing metric.

Rows of dvc.api.exp_show (dvc 3.67, dvc/repo/experiments/show.py): "Experiment" (an experiment's name, None
for the workspace and commits), "rev" ("workspace" for the workspace), "typ" ("baseline" for the workspace
and commits, "branch_commit" / "branch_base" for experiments), "State" (None or "Success" when finished,
"Queued", "Running", "Failed"), then one column per metric or param: its flattened name ("train.seed",
"rows.train"), or "<file>:<name>" when that name occurs in more than one file ("metrics/eval/attn.json:bleu").
Values come through str and float: numbers as floats (42 -> 42.0), anything else as a string or None.
"""
from __future__ import annotations

import argparse
import json
import math
import statistics
from collections.abc import Mapping, Sequence
from pathlib import Path

import pandas as pd

from lib.common.cli import StageError, run_stage
from lib.common.outputs import write_json_atomic, write_text_atomic
from lib.common.config import PARAMS_FILE, load_params
from lib.evaluation.scoring import BASELINE, COMPARISONS, RERANK, SYSTEMS

SEEDS_FILE = Path("metrics/study/seeds.json")
CURVE_FILE = Path("plots/learning_curve.csv")
SEED, SIZE = "train.seed", "split.n_train"
# Settings of how a run is executed, not of what it learns: a study run may change them (the size runs shared
# 2 cores as 2 queue workers of 1 thread each). Threads can change float rounding, like another CPU does, and
# so do the device and the precision of the arithmetic (runs made before train.precision existed have none).
EXECUTION = ("train.num_threads", "train.device", "train.precision")
REPORT_ONLY = "visualize."  # settings of the report, read after every score the study gathers
DATA_FILE, TRAIN_PAIRS = "metrics/data.json", "rows.train"
# The systems the study's runs scored: every model and the baseline. rerank came after them, so its spread over
# seeds and sizes is not measured; it joins the study when the runs are made again.
STUDY_SYSTEMS = tuple(s for s in SYSTEMS if s != RERANK)
ORDERINGS = tuple(pair for pair in COMPARISONS if RERANK not in pair)  # the orders evaluate bootstraps, checked
FINISHED, UNFINISHED = (None, "Success"), ("Queued", "Running", "Failed")
EXPERIMENT_TYPES = ("branch_commit", "branch_base")
# Curve column <system>_<suffix> -> its key in metrics/eval/<system>.json.
CURVE_METRICS = {"bleu": "bleu", "ci_low": "bleu_ci_low", "ci_high": "bleu_ci_high"}
CURVE_COLUMNS = ["train_pairs", *(f"{s}_{suffix}" for s in STUDY_SYSTEMS for suffix in CURVE_METRICS)]
SEEDS_KEYS = ("baseline_seed", "n_train", "train_pairs", "seeds", "systems", "orderings")
EMPTY_SEEDS = {"baseline_seed": None, "n_train": None, "train_pairs": None, "seeds": [], "systems": {},
               "orderings": {}}


# --- reading exp_show rows -----------------------------------------------------------------------

def run_name(row: Mapping) -> str:
    """An experiment's name, or its rev ("workspace")."""
    return row["Experiment"] or str(row["rev"])


def cell(row: Mapping, file: str, key: str):
    """The value of `key` from `file`: column "<file>:<key>" where DVC qualified the name, else "<key>"."""
    for column in (f"{file}:{key}", key):
        if column in row:
            return row[column]
    raise StageError(f"dvc exp show has no column {key} of {file}: no run has written it")


def number(row: Mapping, file: str, key: str) -> float:
    """A finite number from `file` (DVC passes every number as a float)."""
    value = cell(row, file, key)
    if not isinstance(value, float) or not math.isfinite(value):
        raise StageError(f"{run_name(row)}: {file} {key} is {value!r}, not a number")
    return value


def whole(row: Mapping, file: str, key: str) -> int:
    """A whole number (a seed, a count of rows)."""
    value = number(row, file, key)
    if not value.is_integer():
        raise StageError(f"{run_name(row)}: {file} {key} is {value}, not a whole number")
    return int(value)


def bleu(row: Mapping, system: str, key: str = "bleu") -> float:
    """`key` (bleu, bleu_ci_low, bleu_ci_high) of metrics/eval/<system>.json."""
    return number(row, f"metrics/eval/{system}.json", key)


def param_names(params: Mapping, prefix: str = "") -> list[str]:
    """The flattened names of params.yaml as DVC tables them: {"train": {"seed": 42}} -> ["train.seed"]; an
    empty mapping has no column."""
    names = []
    for key, value in params.items():
        names += param_names(value, f"{prefix}{key}.") if isinstance(value, Mapping) else [f"{prefix}{key}"]
    return names


def finished_runs(rows: Sequence[Mapping]) -> tuple[Mapping, list[Mapping]]:
    """(the workspace row, the finished experiment rows); commits are left out (the workspace holds the
    current results) and so are queued, running and failed experiments."""
    workspaces = [row for row in rows if row["typ"] == "baseline" and row["rev"] == "workspace"]
    if len(workspaces) != 1:
        raise StageError(f"dvc exp show gave {len(workspaces)} workspace rows, expected 1")
    experiments = []
    for row in rows:
        if row["typ"] == "baseline":
            continue
        if row["typ"] not in EXPERIMENT_TYPES or row["State"] not in FINISHED + UNFINISHED:
            raise StageError(f"{run_name(row)}: unknown experiment row (typ {row['typ']!r}, state {row['State']!r})")
        if row["State"] in FINISHED:
            experiments.append(row)
    return workspaces[0], experiments


def classify(rows: Sequence[Mapping], params: Sequence[str]) -> tuple[list[Mapping], list[Mapping]]:
    """(seed runs, size runs): the finished runs that differ from the workspace in train.seed alone, or in
    split.n_train alone (EXECUTION and REPORT_ONLY settings aside); the workspace and any run of its very params
    are both."""
    workspace, experiments = finished_runs(rows)
    seed_runs, size_runs = [workspace], [workspace]
    compared = [p for p in params if p not in EXECUTION and not p.startswith(REPORT_ONLY)]
    for row in experiments:
        changed = {p for p in compared if cell(row, PARAMS_FILE, p) != cell(workspace, PARAMS_FILE, p)}
        if changed - {SEED, SIZE} or changed == {SEED, SIZE}:
            raise StageError(f"{run_name(row)} changes {', '.join(sorted(changed))}: the study's runs change only "
                             f"{SEED} or only {SIZE} (dvc exp remove it to gather the study)")
        if SIZE not in changed:
            seed_runs.append(row)
        if SEED not in changed:
            size_runs.append(row)
    return seed_runs, size_runs


def distinct(runs: Sequence[Mapping], key, values) -> list[Mapping]:
    """One run per `key(run)`, sorted by it; runs sharing a key must agree on `values(run)` (a rerun of the
    same params), else the study is refused."""
    kept: dict = {}
    for run in runs:
        first = kept.setdefault(key(run), run)
        if values(first) != values(run):
            raise StageError(f"{run_name(first)} and {run_name(run)} are the same point of the study "
                             f"({key(run)}) with different results: {values(first)} vs {values(run)}")
    return [kept[k] for k in sorted(kept)]


# --- the two files -------------------------------------------------------------------------------

def seed_summary(runs: Sequence[Mapping], baseline_seed: int) -> dict:
    """seeds.json (module docstring) of the seed runs, the workspace's among them."""
    runs = distinct(runs, lambda r: whole(r, PARAMS_FILE, SEED), lambda r: [bleu(r, s) for s in STUDY_SYSTEMS])
    for label, value in (("training pairs", lambda r: whole(r, DATA_FILE, TRAIN_PAIRS)),
                         (f"{BASELINE} BLEU", lambda r: bleu(r, BASELINE))):
        # The seed changes training only: the split, and so the retrieval baseline, stay the same.
        found = {run_name(r): value(r) for r in runs}
        if len(set(found.values())) > 1:
            raise StageError(f"the seed runs differ in {label} ({found}): they are not the same split")
    seeds = [whole(r, PARAMS_FILE, SEED) for r in runs]
    scores = {s: [bleu(r, s) for r in runs] for s in STUDY_SYSTEMS}
    systems = {s: {"bleu": {str(seed): v for seed, v in zip(seeds, values)},
                   "mean": round(statistics.mean(values), 3),
                   "std": round(statistics.stdev(values), 3) if len(values) > 1 else None,
                   "min": min(values), "max": max(values)} for s, values in scores.items()}
    orderings = {}
    for pair in ORDERINGS:
        for a, b in (pair, pair[::-1]):
            holds = sum(x > y for x, y in zip(scores[a], scores[b]))
            orderings[f"{a}>{b}"] = {"holds_in": holds, "seeds": len(seeds), "holds_in_every_seed": holds == len(seeds)}
    return {"baseline_seed": baseline_seed, "n_train": whole(runs[0], PARAMS_FILE, SIZE),
            "train_pairs": whole(runs[0], DATA_FILE, TRAIN_PAIRS), "seeds": seeds, "systems": systems,
            "orderings": orderings}


def curve_row(run: Mapping) -> list:
    """One learning-curve row (CURVE_COLUMNS) of a size run."""
    return [whole(run, DATA_FILE, TRAIN_PAIRS),
            *(bleu(run, s, key) for s in STUDY_SYSTEMS for key in CURVE_METRICS.values())]


def learning_curve(runs: Sequence[Mapping]) -> pd.DataFrame:
    """learning_curve.csv (module docstring) of the size runs, the workspace's among them."""
    runs = distinct(runs, lambda r: whole(r, DATA_FILE, TRAIN_PAIRS), lambda r: curve_row(r)[1:])
    return pd.DataFrame([curve_row(r) for r in runs], columns=CURVE_COLUMNS)


def study_from_rows(rows: Sequence[Mapping], params: Sequence[str]) -> tuple[dict, pd.DataFrame]:
    """(seeds.json, learning_curve.csv) of exp_show rows; `params`: the flattened params.yaml names."""
    seed_runs, size_runs = classify(rows, params)
    return seed_summary(seed_runs, whole(seed_runs[0], PARAMS_FILE, SEED)), learning_curve(size_runs)


def write_study(seeds: Mapping, curve: pd.DataFrame, root: Path = Path(".")) -> None:
    write_json_atomic(root / SEEDS_FILE, seeds)
    write_text_atomic(root / CURVE_FILE, curve.to_csv(index=False))


def read_study(seeds_file: Path = SEEDS_FILE, curve_file: Path = CURVE_FILE) -> dict:
    """{"seeds": seeds.json, "curve": learning_curve.csv as a DataFrame}; the empty study when neither file
    exists, refused when one is missing or a file does not have the layout this module writes."""
    paths = (seeds_file, curve_file)
    if not any(path.exists() for path in paths):
        return {"seeds": dict(EMPTY_SEEDS), "curve": pd.DataFrame(columns=CURVE_COLUMNS)}
    if not all(path.exists() for path in paths):
        raise StageError(f"{' and '.join(map(str, paths))} come together; one is missing: rerun "
                         f"python -m lib.study.experiments")
    seeds, curve = json.loads(paths[0].read_text()), pd.read_csv(paths[1])
    if tuple(seeds) != SEEDS_KEYS:
        raise StageError(f"{paths[0]} has keys {list(seeds)}, expected {list(SEEDS_KEYS)}")
    if seeds["seeds"] and tuple(seeds["systems"]) != STUDY_SYSTEMS:
        raise StageError(f"{paths[0]} has systems {list(seeds['systems'])}, expected {list(STUDY_SYSTEMS)}")
    if list(curve.columns) != CURVE_COLUMNS:
        raise StageError(f"{paths[1]} has columns {list(curve.columns)}, expected {CURVE_COLUMNS}")
    return {"seeds": seeds, "curve": curve}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repo", type=Path, default=Path("."), help="the DVC repository whose experiments to read")
    parser.add_argument("--rev", action="append", help="baseline commit(s) of the experiments (default HEAD)")
    args = parser.parse_args()
    import dvc.api  # only here: the report reads the files without DVC

    rows = dvc.api.exp_show(repo=str(args.repo), revs=args.rev)
    seeds, curve = study_from_rows(rows, param_names(load_params(args.repo / PARAMS_FILE)))
    write_study(seeds, curve)
    print(f"{SEEDS_FILE}: seeds {seeds['seeds']} at {seeds['train_pairs']} training pairs; "
          f"{CURVE_FILE}: training pairs {list(curve['train_pairs'])}")


if __name__ == "__main__":
    run_stage(main)
