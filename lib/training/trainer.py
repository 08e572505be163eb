"""Training one model: parameter checks, the epoch loop with early stopping, and the stage's outputs.

Outputs of a run (RunOutputs; the pipeline's paths, which dvc.yaml passes to stages/train.py):
  plots/train/<kind>/               DVCLive's log, written after every epoch so curves show while training
                                    runs: plots/metrics/{train,valid}_loss.tsv (step, loss) and metrics.json
                                    (the latest epoch's losses); no timestamps
  models/<kind>.pt                  best checkpoint by validation loss (lib/models/checkpoint.py)
  metrics/train/<kind>.json         best and final losses / perplexities, epochs, parameters
  metrics/timings/train_<kind>.json wall time, s/epoch, throughput, device, threads, processes
All but the log are written at the end, each atomically, so a failed run leaves nothing half-written.
Under torchrun several processes train together (lib/training/distributed.py); rank 0 writes all of these.
Timings live apart from the rest, so identical weights give byte-identical checkpoints and metrics: nothing
downstream reruns and `dvc metrics diff` shows no change when only the clock differs.
"""
from __future__ import annotations

import copy
import dataclasses
import math
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import torch
from dvclive import Live
from torch.nn.parallel import DistributedDataParallel
from tqdm import tqdm

from lib.common.cli import DataError
from lib.common.device import resolve_device, set_seed
from lib.common.outputs import write_json_atomic
from lib.common.config import (AttentionConfig, Config, ParamError, RecurrentConfig, TrainConfig,
                               as_dict)
from lib.models.batching import Batch, Shard, encode_rows, make_batches, shard_batches
from lib.models.checkpoint import checkpoint_payload, save_checkpoint
from lib.models.registry import MODEL_KINDS, MODELS
from lib.models.seq2seq import build_model, count_parameters
from lib.training.distributed import (Processes, distributed_loss, process_device, process_group,
                                      processes_from_environment, sum_over_processes)
from lib.training.precision import autocast, check_precision, gradient_scaler
from lib.tokens.vocabulary import Vocabulary, load_vocabularies

Example = tuple[list[int], list[int]]

@dataclass(frozen=True)
class ModelRun:
    """What one training run reads: the model kind, the shared `train` section and the model's own section."""

    kind: str
    train: TrainConfig
    model: RecurrentConfig | AttentionConfig
    reverse: bool = False  # code -> docstring (the rerank stage's reconstruction model)

    def hyperparameters(self) -> dict:
        """Both sections as one plain dict (and the kind, and `reverse` for a reverse model): what build_model
        reads and the checkpoint stores."""
        reverse = {"reverse": True} if self.reverse else {}  # forward checkpoints keep their keys
        return {**as_dict(self.train), **as_dict(self.model), "kind": self.kind, **reverse}


@dataclass(frozen=True)
class RunOutputs:
    """Where a training run writes."""

    checkpoint: Path  # the best checkpoint
    metrics: Path  # JSON: losses, perplexities, epochs, parameters
    log: Path  # folder of DVCLive's log
    timings: Path  # JSON: wall time, throughput, device, threads


def read_config(config: Config, kind: str, reverse: bool = False) -> ModelRun:
    """The run of model `kind` (rnn, lstm, attn or copy) that `config` describes; `reverse`: trained to write the
    docstring from the code."""
    if kind not in MODEL_KINDS:
        raise ParamError(f"unknown model {kind!r}: expected one of {', '.join(MODEL_KINDS)}")
    return ModelRun(kind, config.train, config.model_section(kind), reverse)


def load_split(split_dir: Path | str, name: str, src_vocab: Vocabulary, tgt_vocab: Vocabulary,
               copy: bool = False, reverse: bool = False) -> list[Example]:
    """Encoded examples of data/split/<name>.parquet (see lib.models.batching; `copy`: with copy ids; `reverse`:
    the code is the source and the docstring the target, so `src_vocab` is then the code's vocabulary)."""
    path = Path(split_dir) / f"{name}.parquet"
    if not path.is_file():
        raise DataError(f"{path} not found: run `dvc repro split` first")
    frame = pd.read_parquet(path, columns=["src", "tgt"])
    if frame.empty:
        raise DataError(f"{path} has no rows: relax the split/tokenize params")
    pairs = zip(frame["tgt"], frame["src"]) if reverse else zip(frame["src"], frame["tgt"])
    return encode_rows(pairs, src_vocab, tgt_vocab, copy=copy)


def load_data(split_dir: Path | str, copy: bool = False, reverse: bool = False
              ) -> tuple[Vocabulary, Vocabulary, list[Example], list[Example]]:
    """(src_vocab, tgt_vocab, train examples, valid examples) from data/split; `copy`: with copy ids; `reverse`:
    code -> docstring, the split's vocabularies swapped."""
    vocab_path = Path(split_dir) / "vocab.json"
    if not vocab_path.is_file():
        raise DataError(f"{vocab_path} not found: run `dvc repro split` first")
    src_vocab, tgt_vocab = load_vocabularies(vocab_path)
    if reverse:
        src_vocab, tgt_vocab = tgt_vocab, src_vocab
    return (src_vocab, tgt_vocab, load_split(split_dir, "train", src_vocab, tgt_vocab, copy, reverse),
            load_split(split_dir, "valid", src_vocab, tgt_vocab, copy, reverse))


@torch.no_grad()
def loss_sums(model, examples: Sequence[Example], batch_size: int, device, precision: str = "fp32"
              ) -> tuple[float, int]:
    """(summed cross-entropy, real target tokens) of `examples` under teacher forcing (eval mode)."""
    model.eval()
    total, tokens = 0.0, 0
    for batch in make_batches(examples, batch_size, shuffle=False, bucketing=True,
                              tgt_vocab_size=model.tgt_vocab_size):
        with autocast(precision, device):
            total += float(model.loss(batch.to(device)))
        tokens += batch.n_tokens
    return total, tokens


def validation_loss(model, valid: Sequence[Example], config: TrainConfig, device, processes: Processes) -> float:
    """Mean cross-entropy per real target token of `valid`; each process measures its share of the examples."""
    sums = loss_sums(model, valid[processes.rank::processes.world_size], config.batch_size, device,
                     config.precision)
    total, tokens = sum_over_processes(*sums) if processes.distributed else sums
    return total / max(tokens, 1)


def perplexity(loss: float) -> float:
    return math.exp(min(loss, 50.0))


@dataclass
class TrainResult:
    metrics: dict
    history: list[dict]  # one {epoch, train_loss, valid_loss} per epoch
    payload: dict  # the best checkpoint (lib.models.checkpoint.checkpoint_payload)
    timings: dict  # wall time, s/epoch, tokens/s, device, threads, processes


def update(model, optimizer, objective: torch.Tensor, config: TrainConfig, scaler: torch.amp.GradScaler) -> None:
    """Backpropagate `objective`, clip the gradients and step the optimizer (fp16: with loss scaling)."""
    scaler.scale(objective).backward()
    if config.clip_grad > 0:
        scaler.unscale_(optimizer)
        torch.nn.utils.clip_grad_norm_(model.parameters(), config.clip_grad)
    scaler.step(optimizer)
    scaler.update()


def train_step(model, optimizer, batch: Batch, config: TrainConfig, scaler: torch.amp.GradScaler | None = None
               ) -> float:
    """One update on `batch` (mean loss per real target token, clipped gradients); returns the summed loss.
    `scaler`: the run's gradient_scaler (fp16 keeps its loss scale from step to step)."""
    device = batch.src.device
    optimizer.zero_grad(set_to_none=True)
    with autocast(config.precision, device):
        loss = model.loss(batch, teacher_forcing=config.teacher_forcing)
    update(model, optimizer, loss / batch.n_tokens, config, scaler or gradient_scaler(config.precision, device))
    return float(loss.detach())


def shard_step(summed_loss: DistributedDataParallel, model, optimizer, shard: Shard, world_size: int,
               config: TrainConfig, scaler: torch.amp.GradScaler) -> float:
    """One update on this process's `shard` of a batch; returns its summed loss (0 for a stand-in).

    `summed_loss` is distributed_loss(model): its backward averages the gradients over the processes, so
    each divides its summed loss by the whole batch's tokens and multiplies by `world_size`, which makes the
    average the single-process gradient of the batch's mean loss per token.
    """
    optimizer.zero_grad(set_to_none=True)
    with autocast(config.precision, shard.batch.src.device):
        loss = summed_loss(shard.batch, config.teacher_forcing)
    if shard.stand_in:
        loss = loss * 0.0
    update(model, optimizer, loss * world_size / shard.batch_tokens, config, scaler)
    return float(loss.detach())


def train_model(run: ModelRun, src_vocab: Vocabulary, tgt_vocab: Vocabulary, train: Sequence[Example],
                valid: Sequence[Example], progress: bool = True, log: Callable[[str], None] = print,
                on_epoch: Callable[[dict], None] = lambda losses: None,
                processes: Processes = Processes()) -> TrainResult:
    """Train `run.kind` with Adam and early stopping on validation loss; returns the best checkpoint.

    `on_epoch` gets each epoch's {epoch, train_loss, valid_loss} as soon as it is measured.

    With several `processes` (inside their process_group) this process trains on its shard of every batch
    and every process returns the same result; the losses are those of the whole batches and data.

    After an epoch without a better validation loss the learning rate is multiplied by `lr_decay`; after
    `patience` such epochs in a row training stops.

    Deterministic on CPU for a given config (seed, threads) and data.
    """
    kind, config = run.kind, run.train
    device = process_device(resolve_device(config.device), processes)
    check_precision(config.precision, device)
    if config.num_threads:
        torch.set_num_threads(config.num_threads)
    set_seed(config.seed)
    model = build_model(kind, len(src_vocab), len(tgt_vocab), run.hyperparameters()).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=config.lr)
    scaler = gradient_scaler(config.precision, device)
    summed_loss = distributed_loss(model, device) if processes.distributed else None
    n_params = count_parameters(model)
    log(f"{kind}: {n_params:,} parameters, {len(train):,} training / {len(valid):,} validation pairs, "
        f"device {device}, {torch.get_num_threads()} threads"
        + (f", {processes.world_size} processes" if processes.distributed else ""))

    history: list[dict] = []
    epoch_seconds: list[float] = []
    best: dict | None = None
    bad_epochs, train_seconds, train_tokens = 0, 0.0, 0
    start = time.perf_counter()
    for epoch in range(1, config.max_epochs + 1):
        epoch_start = time.perf_counter()
        model.train()
        batch_order = {"shuffle": True, "bucketing": config.bucketing, "seed": config.seed * 1009 + epoch,
                       "tgt_vocab_size": len(tgt_vocab)}
        if processes.distributed:
            batches = list(shard_batches(train, config.batch_size, processes.rank, processes.world_size,
                                         **batch_order))
        else:
            batches = list(make_batches(train, config.batch_size, **batch_order))
        total, tokens = 0.0, 0
        bar = tqdm(batches, desc=f"{kind} epoch {epoch}", leave=False, file=sys.stderr, disable=not progress,
                   unit="batch", dynamic_ncols=True)
        for i, part in enumerate(bar):
            if processes.distributed:
                shard = dataclasses.replace(part, batch=part.batch.to(device))
                total += shard_step(summed_loss, model, optimizer, shard, processes.world_size, config, scaler)
                tokens += 0 if shard.stand_in else shard.batch.n_tokens
            else:
                batch = part.to(device)
                total += train_step(model, optimizer, batch, config, scaler)
                tokens += batch.n_tokens
            if i % 10 == 0:
                bar.set_postfix(loss=f"{total / max(tokens, 1):.3f}")
        bar.close()
        if processes.distributed:  # the whole batches' loss, on every process alike
            total, tokens = sum_over_processes(total, tokens)
            tokens = int(tokens)
        train_seconds += time.perf_counter() - epoch_start
        train_tokens += tokens
        train_loss = total / tokens
        valid_loss = validation_loss(model, valid, config, device, processes)
        seconds = time.perf_counter() - epoch_start
        history.append({"epoch": epoch, "train_loss": round(train_loss, 5), "valid_loss": round(valid_loss, 5)})
        on_epoch(history[-1])
        epoch_seconds.append(round(seconds, 2))
        improved = best is None or valid_loss < best["valid_loss"]
        log(f"{kind} epoch {epoch:3d}: train {train_loss:.4f} (ppl {perplexity(train_loss):8.2f})  "
            f"valid {valid_loss:.4f} (ppl {perplexity(valid_loss):8.2f})  {seconds:6.1f}s  "
            f"{tokens / max(seconds, 1e-9):7.0f} tok/s{'  *' if improved else ''}")
        if improved:
            bad_epochs = 0
            best = {"epoch": epoch, "train_loss": train_loss, "valid_loss": valid_loss,
                    "model": copy.deepcopy(model.state_dict()),
                    "optimizer": copy.deepcopy(optimizer.state_dict()) if config.save_optimizer_state else None}
        else:
            bad_epochs += 1
            if bad_epochs >= config.patience:
                log(f"{kind}: no improvement for {bad_epochs} epochs, stopping")
                break
            for group in optimizer.param_groups:
                group["lr"] *= config.lr_decay
    wall = time.perf_counter() - start
    last = history[-1]
    metrics = {
        "model": kind,
        "best_epoch": best["epoch"],
        "epochs": len(history),
        "best_train_loss": round(best["train_loss"], 5),
        "best_valid_loss": round(best["valid_loss"], 5),
        "best_valid_ppl": round(perplexity(best["valid_loss"]), 3),
        "final_train_loss": last["train_loss"],
        "final_valid_loss": last["valid_loss"],
        "final_train_ppl": round(perplexity(last["train_loss"]), 3),
        "final_valid_ppl": round(perplexity(last["valid_loss"]), 3),
        "parameters": n_params,
    }
    timings = {
        "wall_seconds": round(wall, 2),
        "seconds_per_epoch": round(wall / len(history), 2),
        "train_tokens_per_second": round(train_tokens / max(train_seconds, 1e-9), 1),
        "epoch_seconds": epoch_seconds,
        "device": str(device),
        "threads": torch.get_num_threads(),
        "processes": processes.world_size,
    }
    model.load_state_dict(best["model"])
    payload = checkpoint_payload(
        model, run.hyperparameters(), src_vocab, tgt_vocab, best["epoch"], metrics, best["optimizer"],
        {"epochs_run": len(history), "best_epoch": best["epoch"], "best_valid_loss": best["valid_loss"],
         "history": history, "seed": config.seed})
    return TrainResult(metrics, history, payload, timings)


def write_outputs(result: TrainResult, outputs: RunOutputs) -> None:
    """The three end-of-run outputs, each written to a temporary file and moved into place."""
    save_checkpoint(outputs.checkpoint, result.payload)
    write_json_atomic(outputs.metrics, result.metrics)
    write_json_atomic(outputs.timings, result.timings)


def live_logger(folder: Path) -> Callable[[dict], None]:
    """An `on_epoch` that logs both losses to DVCLive in `folder`: one step per epoch, no timestamps (the same
    weights give the same bytes), no report and no experiment of its own (DVC runs the stage)."""
    live = Live(dir=str(folder), save_dvc_exp=False, dvcyaml=None, report=None)

    def log_epoch(losses: dict) -> None:
        live.step = losses["epoch"]
        for name in ("train_loss", "valid_loss"):
            live.log_metric(name, losses[name])
        live.make_summary()
    return log_epoch


def run(model_run: ModelRun, split_dir: Path, outputs: RunOutputs, progress: bool = True) -> dict:
    """What `python -m stages.train --model <kind> ...` does with `read_config(params, kind)`; returns the
    metrics and the timings. Under torchrun every process trains and returns them; rank 0 alone logs and writes."""
    kind = model_run.kind
    processes = processes_from_environment()
    device = process_device(resolve_device(model_run.train.device), processes)  # fail before loading data
    check_precision(model_run.train.precision, device)
    src_vocab, tgt_vocab, train, valid = load_data(split_dir, copy=MODELS[kind].copy, reverse=model_run.reverse)
    writes = processes.writes_outputs
    with process_group(processes, device):
        result = train_model(model_run, src_vocab, tgt_vocab, train, valid, progress=progress and writes,
                             log=print if writes else lambda _: None,
                             on_epoch=live_logger(outputs.log) if writes else lambda _: None,
                             processes=processes)
    if writes:
        write_outputs(result, outputs)
    return {**result.metrics, **result.timings}
