"""Training in several processes with PyTorch's DistributedDataParallel, as started by torchrun.

    torchrun --standalone --nproc_per_node N -m stages.train --model attn

torchrun sets WORLD_SIZE, RANK and LOCAL_RANK in each process; without them (or with one process) training
runs as a single process, untouched by this module. Each process builds the same seeded batches, trains on
its share of every batch (lib.models.batching.shard_batches) and weights its summed loss so that the
averaged gradient is the single-process gradient of the whole batch; rank 0 writes every output.
Processes talk over NCCL on CUDA (one GPU per process, cuda:LOCAL_RANK) and over gloo on CPU.
"""
from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass

import torch
import torch.distributed as dist
from torch import nn
from torch.nn.parallel import DistributedDataParallel

from lib.models.output_layers import AdaptiveSoftmax


@dataclass(frozen=True)
class Processes:
    """This process's place among the training processes (rank 0 of 1: a single-process run)."""

    rank: int = 0
    local_rank: int = 0  # which GPU of its machine a CUDA process uses
    world_size: int = 1

    @property
    def distributed(self) -> bool:
        return self.world_size > 1

    @property
    def writes_outputs(self) -> bool:
        """Rank 0 logs, shows progress and writes the checkpoint, metrics, DVCLive log and timings."""
        return self.rank == 0


def processes_from_environment(environment: Mapping[str, str] = os.environ) -> Processes:
    """The Processes that torchrun's variables describe; a single process without them."""
    if "WORLD_SIZE" not in environment:
        return Processes()
    return Processes(int(environment["RANK"]), int(environment["LOCAL_RANK"]), int(environment["WORLD_SIZE"]))


def process_device(device: torch.device, processes: Processes) -> torch.device:
    """The device of this process: its own GPU (cuda:LOCAL_RANK) when several processes train on CUDA."""
    if processes.distributed and device.type == "cuda":
        return torch.device("cuda", processes.local_rank)
    return device


@contextmanager
def process_group(processes: Processes, device: torch.device) -> Iterator[None]:
    """Joins the other processes for the duration (nothing for a single process); destroys the group after."""
    if not processes.distributed:
        yield
        return
    if device.type == "cuda":
        torch.cuda.set_device(device)
    dist.init_process_group("nccl" if device.type == "cuda" else "gloo", rank=processes.rank,
                            world_size=processes.world_size)
    try:
        yield
    finally:
        dist.destroy_process_group()


class SummedLoss(nn.Module):
    """A model's summed loss (Seq2Seq.loss) as its forward: DistributedDataParallel syncs the gradients of
    what its forward computed, and the models compute their loss in a method of its own."""

    def __init__(self, model: nn.Module):
        super().__init__()
        self.model = model

    def forward(self, batch, teacher_forcing: float) -> torch.Tensor:
        return self.model.loss(batch, teacher_forcing=teacher_forcing)


def has_adaptive_softmax(model: nn.Module) -> bool:
    """Whether `model` writes through an adaptive softmax (alone, or inside the copy mixture), whose tail clusters
    get no gradient from a shard without a target in them."""
    return any(isinstance(module, AdaptiveSoftmax) for module in model.modules())


def distributed_loss(model: nn.Module, device: torch.device) -> DistributedDataParallel:
    """`model`'s summed loss wrapped for gradient averaging over the processes; DDP is told to expect parameters
    without a gradient where an adaptive softmax may leave a cluster unused."""
    return DistributedDataParallel(SummedLoss(model), device_ids=[device.index] if device.type == "cuda" else None,
                                   find_unused_parameters=has_adaptive_softmax(model))


def sum_over_processes(*values: float) -> list[float]:
    """Each value summed over all processes (every process gets the same sums)."""
    totals = torch.tensor(values, dtype=torch.float64)
    if dist.get_backend() == "nccl":
        totals = totals.cuda()
    dist.all_reduce(totals)
    return totals.tolist()
