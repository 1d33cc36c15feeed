"""Atomic training checkpoints in ``RUN_DIR/checkpoints/{last,best}.pt`` and the exported best model.

A training checkpoint holds everything resume needs: model, optimizer, scheduler, grad scaler,
EMA, position (epoch, micro-batches done in that epoch, optimizer step), RNG states, early-stopping
state and the validation history. It is written to a temporary file in the same directory,
flushed to disk, then ``os.replace``-d over the old one: a run killed at any moment leaves either
the previous complete checkpoint or the new one, never a partial file under the final name.
Files are read with ``torch.load(weights_only=True)``: tensors and plain containers only.

The best model is also exported with :func:`engine.models.checkpoint.save_checkpoint` to
``RUN_DIR/best`` (``config.json`` + ``model.safetensors``), so ``load_checkpoint`` and
``forecast`` use it like any other model.
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import torch
from torch import nn

from ..models.checkpoint import save_checkpoint

CHECKPOINT_DIR = "checkpoints"
LAST = "last.pt"
BEST = "best.pt"
EXPORT_DIR = "best"


def checkpoint_path(run_dir: str | Path, which: str = LAST) -> Path:
    return Path(run_dir) / CHECKPOINT_DIR / which


def save_training_state(path: str | Path, state: dict[str, Any]) -> Path:
    """Write ``state`` to ``path`` atomically (temp file, fsync, ``os.replace``)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            torch.save(state, fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path


def load_training_state(path: str | Path, map_location: str | torch.device = "cpu") -> dict[str, Any]:
    """Read a training checkpoint; ValueError naming the file when it is missing or unreadable."""
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"resume: expected a training checkpoint at {path}, got nothing there "
                         f"(start without --resume, or point --out at the run directory)")
    try:
        return torch.load(path, map_location=map_location, weights_only=True)
    except Exception as err:  # truncated or foreign files fail in many ways inside torch.load
        raise ValueError(f"resume: {path} is not a readable training checkpoint ({type(err).__name__}: {err})") from None


def rng_state() -> dict[str, Any]:
    """Torch CPU and CUDA generator states (dropout and anything else drawing from them)."""
    state = {"cpu": torch.get_rng_state()}
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: dict[str, Any]) -> None:
    torch.set_rng_state(state["cpu"])
    if "cuda" in state and torch.cuda.is_available() and len(state["cuda"]) == torch.cuda.device_count():
        torch.cuda.set_rng_state_all(state["cuda"])


def export_model(model: nn.Module, run_dir: str | Path, metadata: dict[str, Any]) -> Path:
    """``RUN_DIR/best`` as a self-describing model checkpoint."""
    return save_checkpoint(model, Path(run_dir) / EXPORT_DIR, metadata)


def clean_stale_temp_files(run_dir: str | Path) -> None:
    """Remove temp files of writes interrupted by a kill (they are never read)."""
    folder = Path(run_dir) / CHECKPOINT_DIR
    for tmp in folder.glob(".*.tmp") if folder.is_dir() else ():
        tmp.unlink(missing_ok=True)
