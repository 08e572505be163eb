"""Training: parameter checks, overfitting a tiny set, determinism, the stage's outputs."""
import copy
import hashlib
import json
import math
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import torch
import yaml

from lib.common.config import Config, ParamError, from_mapping
from lib.models.checkpoint import load_checkpoint
from lib.models.seq2seq import build_model
from lib.tokens.vocabulary import Vocabulary, save_vocabularies
from lib.study.context import read_loss_curve
from lib.training.precision import cpu_runs_bf16_lstm
from lib.training.distributed import has_adaptive_softmax
from lib.training.trainer import RunOutputs, read_config, run, train_model

ROOT = Path(__file__).resolve().parents[1]
REPOSITORY_PARAMS = yaml.safe_load((ROOT / "params.yaml").read_text())
PARAMS = {
    **REPOSITORY_PARAMS,
    "train": {"emb_dim": 16, "hidden_dim": 32, "batch_size": 4, "max_epochs": 3, "patience": 2, "lr": 0.01,
              "lr_decay": 0.5, "dropout": 0.0, "clip_grad": 1.0, "teacher_forcing": 1.0, "seed": 7, "device": "cpu",
              "precision": "fp32", "num_threads": 1, "bucketing": True, "adaptive_cutoffs": [],
              "save_optimizer_state": False},
    "rnn": {"num_layers": 1}, "lstm": {"num_layers": 1}, "attn": {"attention_dim": 16}, "copy": {"attention_dim": 16},
}
SRC_WORDS = [f"w{i}" for i in range(10)]
TGT_WORDS = [f"t{i}" for i in range(14)]
SRC = Vocabulary(["<pad>", "<bos>", "<eos>", "<unk>", *SRC_WORDS])
TGT = Vocabulary(["<pad>", "<bos>", "<eos>", "<unk>", *TGT_WORDS])


def rows(n, seed=0):
    """Tiny pairs whose target is a deterministic function of the source (so they can be learnt)."""
    generator = torch.Generator().manual_seed(seed)
    out = []
    for _ in range(n):
        length = int(torch.randint(2, 6, (1,), generator=generator))
        src = [SRC_WORDS[int(i)] for i in torch.randint(0, 10, (length,), generator=generator)]
        tgt = ["t10", *[TGT_WORDS[int(w[1:])] for w in src], "t11"]
        out.append((src, tgt))
    return out


def examples(n, seed=0):
    from lib.models.batching import encode_pair
    return [encode_pair(s, t, SRC, TGT) for s, t in rows(n, seed)]


def params(**train) -> dict:
    p = copy.deepcopy(PARAMS)
    p["train"].update(train)
    return p


def tiny_config(**train) -> Config:
    """The tiny configuration, checked, with `train` changes."""
    return from_mapping(params(**train))


@pytest.mark.parametrize("kind", ["rnn", "lstm", "attn"])
def test_overfits_a_tiny_set(kind):
    data = examples(8)
    config = read_config(tiny_config(max_epochs=60, patience=60, batch_size=8, lr=0.02), kind)
    result = train_model(config, SRC, TGT, data, data, progress=False, log=lambda _: None)
    assert result.history[0]["train_loss"] > 1.5
    assert result.metrics["best_valid_loss"] < 0.05
    assert result.metrics["best_epoch"] > 30


def test_same_seed_same_losses_and_weights():
    data, valid = examples(24), examples(8, seed=1)
    config = read_config(tiny_config(dropout=0.2, teacher_forcing=0.7), "attn")
    a = train_model(config, SRC, TGT, data, valid, progress=False, log=lambda _: None)
    b = train_model(config, SRC, TGT, data, valid, progress=False, log=lambda _: None)
    strip = lambda h: [(e["train_loss"], e["valid_loss"]) for e in h]  # noqa: E731
    assert strip(a.history) == strip(b.history)
    assert all(torch.equal(a.payload["model_state"][k], b.payload["model_state"][k]) for k in a.payload["model_state"])
    c = train_model(read_config(tiny_config(dropout=0.2, teacher_forcing=0.7, seed=8), "attn"), SRC, TGT, data, valid,
                    progress=False, log=lambda _: None)
    assert strip(c.history) != strip(a.history)


def test_early_stopping_keeps_the_best_epoch():
    data, valid = examples(16), examples(16, seed=5)
    config = read_config(tiny_config(max_epochs=40, patience=2, lr=0.05), "lstm")
    result = train_model(config, SRC, TGT, data, valid, progress=False, log=lambda _: None)
    losses = [e["valid_loss"] for e in result.history]
    assert result.metrics["best_valid_loss"] == pytest.approx(min(losses), abs=1e-4)
    assert result.payload["epoch"] == result.metrics["best_epoch"] == losses.index(min(losses)) + 1
    if len(losses) < 40:  # stopped early: exactly `patience` epochs after the best
        assert len(losses) == result.metrics["best_epoch"] + 2


@pytest.mark.parametrize("edit, key", [
    (lambda p: p["train"].pop("lr"), "train.lr"),
    (lambda p: p["train"].update(lr="fast"), "train.lr"),
    (lambda p: p["train"].update(dropout=1.5), "train.dropout"),
    (lambda p: p["train"].update(lr_decay=0), "train.lr_decay"),
    (lambda p: p["train"].update(batch_size=0), "train.batch_size"),
    (lambda p: p["train"].update(bucketing="yes"), "train.bucketing"),
    (lambda p: p["train"].update(device="tpu"), "train.device"),
    (lambda p: p["train"].update(adaptive_cutoffs=[50, 10]), "train.adaptive_cutoffs"),
    (lambda p: p["attn"].pop("attention_dim"), "attn.attention_dim"),
    (lambda p: p.pop("train"), "missing key train"),
])
def test_bad_params_name_the_key(edit, key):
    p = copy.deepcopy(PARAMS)
    edit(p)
    with pytest.raises(ParamError, match=key.replace(".", r"\.")) as error:
        read_config(from_mapping(p), "attn")
    assert isinstance(error.value, ValueError) and "\n" not in str(error.value)


def test_reads_model_section_only_for_its_kind():
    run = read_config(tiny_config(), "rnn")
    assert run.model.num_layers == 1 and "attention_dim" not in run.hyperparameters() and run.kind == "rnn"
    assert read_config(tiny_config(lr=1), "rnn").train.lr == 1.0  # YAML writes 1 for 1.0


def write_split(root: Path, n_train=24, n_valid=8):
    split = root / "data" / "split"
    split.mkdir(parents=True)
    for name, n, seed in (("train", n_train, 0), ("valid", n_valid, 1)):
        frame = pd.DataFrame({"src": [s for s, _ in rows(n, seed)], "tgt": [t for _, t in rows(n, seed)]})
        frame.to_parquet(split / f"{name}.parquet")
    save_vocabularies(split / "vocab.json", SRC, TGT)
    return split


def outputs_under(root: Path, kind: str) -> RunOutputs:
    """The pipeline's layout (dvc.yaml's train_<kind> command) below `root`."""
    return RunOutputs(checkpoint=root / "models" / f"{kind}.pt", metrics=root / "metrics" / "train" / f"{kind}.json",
                      log=root / "plots" / "train" / kind, timings=root / "metrics" / "timings" / f"train_{kind}.json")


def test_run_writes_checkpoint_metrics_plot_and_timings(tmp_path):
    split = write_split(tmp_path)
    out = outputs_under(tmp_path, "attn")
    returned = run(read_config(tiny_config(max_epochs=2), "attn"), split, out, progress=False)
    written = json.loads(out.metrics.read_text())
    timings = json.loads(out.timings.read_text())
    assert returned == {**written, **timings}
    for key in ("best_valid_loss", "best_valid_ppl", "final_train_loss", "final_valid_loss", "final_train_ppl",
                "epochs", "best_epoch", "parameters"):
        assert key in written
    assert not {"wall_seconds", "seconds_per_epoch", "train_tokens_per_second", "device"} & set(written)
    assert timings["device"] == "cpu" and len(timings["epoch_seconds"]) == 2 and timings["wall_seconds"] > 0
    assert written["epochs"] == 2
    plot = read_loss_curve(out.log)  # the DVCLive log
    assert list(plot.columns) == ["epoch", "train_loss", "valid_loss"] and list(plot["epoch"]) == [1, 2]
    assert json.loads((out.log / "metrics.json").read_text()) == {
        "train_loss": plot["train_loss"][1], "valid_loss": plot["valid_loss"][1], "step": 2}
    checkpoint = load_checkpoint(out.checkpoint)
    assert checkpoint.kind == "attn" and checkpoint.epoch == written["best_epoch"]
    assert checkpoint.train_state["history"][0]["train_loss"] == plot["train_loss"][0]
    assert sorted(p.name for p in tmp_path.rglob(".*")) == []  # no temporary files left


def test_adam_state_is_saved_only_when_asked(tmp_path):
    split = write_split(tmp_path)
    sizes = {}
    for keep in (False, True):
        out = tmp_path / str(keep)
        run(read_config(tiny_config(max_epochs=1, save_optimizer_state=keep), "attn"), split,
            outputs_under(out, "attn"), progress=False)
        checkpoint = load_checkpoint(out / "models" / "attn.pt")
        assert (checkpoint.optimizer_state is not None) == keep
        sizes[keep] = (out / "models" / "attn.pt").stat().st_size
    assert sizes[False] < sizes[True]


def test_the_same_weights_give_byte_identical_checkpoints_and_metrics(tmp_path):
    """Nothing run-dependent (clock, paths) is saved, so a retrain with the same result reruns nothing downstream."""
    split = write_split(tmp_path)
    digests = []
    for attempt in ("a", "b"):
        out = tmp_path / attempt
        run(read_config(tiny_config(max_epochs=2), "copy"), split, outputs_under(out, "copy"), progress=False)
        digests.append([hashlib.md5((out / name).read_bytes()).hexdigest()
                        for name in ("models/copy.pt", "metrics/train/copy.json", "plots/train/copy/metrics.json",
                                     "plots/train/copy/plots/metrics/valid_loss.tsv")])
    assert digests[0] == digests[1]


def test_stage_reports_bad_params_in_one_line_and_writes_nothing(tmp_path):
    write_split(tmp_path)
    bad = params()
    bad["train"]["lr"] = -1.0
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(bad))
    arguments = ["--model", "rnn", "--split", "data/split", "--checkpoint", "models/rnn.pt", "--metrics",
                 "metrics/train/rnn.json", "--dvclive", "plots/train/rnn", "--timings", "metrics/timings/train_rnn.json"]
    done = subprocess.run([sys.executable, "-m", "stages.train", *arguments], cwd=tmp_path,
                          capture_output=True, text=True, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    assert done.returncode == 1
    assert done.stderr.strip().startswith("error: ") and "train.lr" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "models").exists() and not (tmp_path / "metrics").exists()


def test_missing_data_is_a_clear_error(tmp_path):
    from lib.common.cli import DataError
    with pytest.raises(DataError, match="dvc repro"):
        run(read_config(tiny_config(), "rnn"), tmp_path / "data" / "split", outputs_under(tmp_path, "rnn"),
            progress=False)


@pytest.mark.skipif(not cpu_runs_bf16_lstm(), reason="this CPU's oneDNN has no bf16 LSTM (no AVX-512)")
def test_bf16_trains_on_cpu_and_keeps_fp32_weights():
    data = examples(16)
    config = read_config(tiny_config(precision="bf16", max_epochs=4, patience=4, lr=0.02), "attn")
    result = train_model(config, SRC, TGT, data, data, progress=False, log=lambda _: None)
    losses = [e["train_loss"] for e in result.history]
    assert all(map(math.isfinite, losses)) and losses[-1] < losses[0] - 0.3
    assert {v.dtype for v in result.payload["model_state"].values()} == {torch.float32}


@pytest.mark.skipif(cpu_runs_bf16_lstm(), reason="this CPU trains bf16 LSTMs")
def test_bf16_on_a_cpu_without_bf16_lstm_is_refused_in_one_line(tmp_path):
    with pytest.raises(ParamError, match=r"train\.precision bf16: this CPU's oneDNN has no bf16 LSTM") as error:
        run(read_config(tiny_config(precision="bf16"), "attn"), tmp_path / "missing", outputs_under(tmp_path, "attn"),
            progress=False)
    assert "\n" not in str(error.value)


def test_fp16_on_cpu_is_refused_before_loading_data(tmp_path):
    with pytest.raises(ParamError, match=r"train\.precision fp16 needs a CUDA device") as error:
        run(read_config(tiny_config(precision="fp16"), "attn"), tmp_path / "missing", outputs_under(tmp_path, "attn"),
            progress=False)
    assert "\n" not in str(error.value) and not (tmp_path / "models").exists()


@pytest.mark.parametrize("cutoffs", [[], [6, 12]])  # a full softmax; an adaptive one, whose clusters a shard can miss
def test_two_processes_train_like_one_with_the_same_global_batch(tmp_path, cutoffs):
    """torchrun with 2 gloo processes: each trains on half of every batch (25 pairs in batches of 4: the batch
    of one leaves a process a stand-in), and the losses are those of one process; rank 0 alone writes."""
    split = write_split(tmp_path, n_train=25, n_valid=9)
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(params(max_epochs=2, adaptive_cutoffs=cutoffs)))
    done = subprocess.run([sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
                           "-m", "stages.train", "--model", "attn", "--no-progress", "--split", "data/split",
                           "--checkpoint", "models/attn.pt", "--metrics", "metrics/train/attn.json",
                           "--dvclive", "plots/train/attn", "--timings", "metrics/timings/train_attn.json"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=300,
                          env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin", "OMP_NUM_THREADS": "1"})
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.count("attn: best valid loss") == 1
    single = tmp_path / "single"
    run(read_config(tiny_config(max_epochs=2, adaptive_cutoffs=cutoffs), "attn"), split, outputs_under(single, "attn"),
        progress=False)
    written = lambda root: sorted(str(p.relative_to(root)) for p in root.rglob("*")  # noqa: E731
                                  if p.is_file() and p.parts[len(root.parts)] in ("models", "metrics", "plots"))
    assert written(tmp_path) == written(single) != []
    timings = json.loads((tmp_path / "metrics" / "timings" / "train_attn.json").read_text())
    assert timings["processes"] == 2
    histories = [load_checkpoint(root / "models" / "attn.pt").train_state["history"] for root in (tmp_path, single)]
    assert [e["epoch"] for e in histories[0]] == [e["epoch"] for e in histories[1]] == [1, 2]
    for two, one in zip(*histories):
        assert two["train_loss"] == pytest.approx(one["train_loss"], abs=2e-4)
        assert two["valid_loss"] == pytest.approx(one["valid_loss"], abs=2e-4)
    assert histories[0][0]["train_loss"] != histories[0][1]["train_loss"]  # it trained


@pytest.mark.parametrize("kind", ["rnn", "copy"])
def test_ddp_expects_unused_parameters_exactly_where_an_adaptive_softmax_is(kind):
    """With cutoffs the vocabulary softmax is adaptive (the copy model's inside its mixture): a shard whose targets
    miss a tail cluster leaves it without a gradient, which DDP must be told to expect."""
    big = {"emb_dim": 8, "hidden_dim": 8, "dropout": 0.0, "num_layers": 1, "attention_dim": 8}
    assert has_adaptive_softmax(build_model(kind, 20, 50, big | {"adaptive_cutoffs": [10, 30]}))
    assert not has_adaptive_softmax(build_model(kind, 20, 50, big | {"adaptive_cutoffs": []}))
