"""Data-parallel training on PyTorch's own engine: torchrun environment -> process group -> DDP.

``torchrun --nproc-per-node N -m engine train ...`` sets RANK, LOCAL_RANK and WORLD_SIZE; a plain
``python -m engine train`` runs as a world of one through the same code (no process group).
The backend is NCCL on CUDA and gloo on CPU. Only rank 0 writes logs and checkpoints; every
rank holds the same weights (DDP all-reduces gradients), so rank 0's checkpoint is everyone's.
"""
from __future__ import annotations

import os
import warnings
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Callable

import torch
import torch.distributed as dist
from torch import nn
from torch.nn.parallel import DistributedDataParallel


@dataclass(frozen=True)
class DistContext:
    """This process's place in the job."""

    rank: int = 0
    world_size: int = 1
    local_rank: int = 0
    device: torch.device = torch.device("cpu")

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @property
    def distributed(self) -> bool:
        return self.world_size > 1


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    try:
        return default if value in (None, "") else int(value)
    except ValueError:
        raise ValueError(f"{name}: expected an integer (set by torchrun), got {value!r}") from None


def init_distributed(device: str | None = None) -> DistContext:
    """Read torchrun's environment and join the process group when WORLD_SIZE > 1.

    ``device``: None/"auto" picks CUDA (this process's LOCAL_RANK GPU) when available, else CPU.
    """
    world, rank, local = _env_int("WORLD_SIZE", 1), _env_int("RANK", 0), _env_int("LOCAL_RANK", 0)
    if device in (None, "auto"):
        device = "cuda" if torch.cuda.is_available() else "cpu"
    dev = torch.device(device)
    if dev.type == "cuda":
        if not torch.cuda.is_available():
            raise ValueError("device: expected 'cpu' (no CUDA device is available here), got 'cuda'")
        dev = torch.device("cuda", local if dev.index is None else dev.index)
        torch.cuda.set_device(dev)
    if world > 1 and not dist.is_initialized():
        backend = "nccl" if dev.type == "cuda" else "gloo"
        dist.init_process_group(backend=backend, timeout=timedelta(minutes=30))
    return DistContext(rank, world, local, dev)


def shutdown(ctx: DistContext) -> None:
    if ctx.distributed and dist.is_initialized():
        dist.destroy_process_group()


def wrap_model(model: nn.Module, ctx: DistContext) -> nn.Module:
    """DDP around ``model`` (already on ``ctx.device``) in a multi-process job; the model itself otherwise."""
    if not ctx.distributed:
        return model
    ids = [ctx.device.index] if ctx.device.type == "cuda" else None
    # Some parameters take no part in the loss (e.g. Earthformer's top-level global-vector layers
    # whose output is discarded), so DDP must look for unused parameters every iteration.
    # A weight of a 1-input-channel convolution has two equally valid stride layouts; DDP warns
    # about the mismatch, which only costs a copy.
    warnings.filterwarnings("ignore", message="Grad strides do not match bucket view strides")
    return DistributedDataParallel(model, device_ids=ids, find_unused_parameters=True)


def unwrap(model: nn.Module) -> nn.Module:
    return model.module if isinstance(model, DistributedDataParallel) else model


def barrier(ctx: DistContext) -> None:
    if ctx.distributed:
        dist.barrier()


def broadcast_flags(ctx: DistContext, flags: list[bool]) -> list[bool]:
    """Rank 0's flags on every rank, so time-based decisions (checkpoint, stop) agree."""
    if not ctx.distributed:
        return flags
    t = torch.tensor([int(f) for f in flags], dtype=torch.int64,
                     device=ctx.device if ctx.device.type == "cuda" else "cpu")
    dist.broadcast(t, src=0)
    return [bool(v) for v in t.tolist()]


def merge_across(ctx: DistContext, state: Any, merge: Callable[[Any, Any], Any]) -> Any:
    """Every rank's streaming-metric state merged (the same result on every rank).

    States are small (contingency tables, moments), so they travel as objects; merging is
    exact and order-independent, which makes this an all-reduce of the validation metrics.
    """
    if not ctx.distributed:
        return state
    states: list[Any] = [None] * ctx.world_size
    dist.all_gather_object(states, state)
    merged = states[0]
    for other in states[1:]:
        merged = merge(merged, other)
    return merged


def all_mean(ctx: DistContext, value: float) -> float:
    """The mean of a float over ranks (for logging the training loss)."""
    if not ctx.distributed:
        return value
    t = torch.tensor([value], dtype=torch.float64, device=ctx.device if ctx.device.type == "cuda" else "cpu")
    dist.all_reduce(t)
    return float(t.item()) / ctx.world_size
