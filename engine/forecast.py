"""Running a saved forecaster over arrays: the inference path shared by the CLI and the app.

Inputs are (N, T_in, H, W, C) float32 in model units; outputs (N, T_out, H, W, C) float32.
Batches go through the model under ``torch.inference_mode``, optionally with bf16 autocast
(CPU or CUDA) and, on CUDA, ``torch.compile``.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Literal

import numpy as np
import torch
from torch import nn

from .models.checkpoint import load_checkpoint

Precision = Literal["fp32", "bf16"]
PRECISIONS: tuple[str, ...] = ("fp32", "bf16")


def resolve_device(device: str | torch.device | None) -> torch.device:
    """``None``/"auto" -> CUDA when available, else CPU; a CUDA request without CUDA is an error."""
    if device in (None, "auto"):
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    device = torch.device(device)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ValueError("device: expected 'cpu' (no CUDA device is available here), got 'cuda'")
    return device


@dataclass
class Forecaster:
    """A loaded model plus how to run it."""

    model: nn.Module
    device: torch.device
    precision: Precision = "fp32"

    @classmethod
    def from_checkpoint(cls, directory: str | Path, device: str | None = None, precision: Precision = "fp32",
                        compile: bool = False) -> "Forecaster":
        if precision not in PRECISIONS:
            raise ValueError(f"precision: expected one of {list(PRECISIONS)}, got {precision!r}")
        dev = resolve_device(device)
        model = load_checkpoint(directory, device=dev)
        if compile:
            if dev.type != "cuda":
                raise ValueError("compile: expected a CUDA device (torch.compile is offered on CUDA only)")
            model = torch.compile(model)
        return cls(model, dev, precision)

    @property
    def config(self):
        return self.model.config  # a torch.compile wrapper forwards attribute access to the model

    def check_inputs(self, inputs: np.ndarray) -> None:
        expected = tuple(self.config.input_shape)
        if inputs.ndim != 5 or tuple(inputs.shape[1:]) != expected:
            raise ValueError(f"input: expected an array of shape (N, {', '.join(map(str, expected))}) "
                             f"= (N, T_in, H, W, C), got {tuple(inputs.shape)}")
        if not np.issubdtype(inputs.dtype, np.floating):
            raise ValueError(f"input: expected float values in model units, got dtype {inputs.dtype}")
        if not np.isfinite(inputs).all():
            bad = int((~np.isfinite(inputs)).sum())
            raise ValueError(f"input: expected finite values, got {bad} NaN/inf entries")

    def predict(self, inputs: np.ndarray, batch_size: int = 1,
                progress: Callable[[int, int], None] | None = None) -> np.ndarray:
        """(N, T_in, H, W, C) -> (N, T_out, H, W, C) float32; ``progress(done, total)`` after each batch."""
        self.check_inputs(inputs)
        if batch_size < 1:
            raise ValueError(f"batch_size: expected >= 1, got {batch_size}")
        n = inputs.shape[0]
        out = np.empty((n, *self.config.target_shape), dtype=np.float32)
        autocast = torch.autocast(self.device.type, dtype=torch.bfloat16, enabled=self.precision == "bf16")
        with torch.inference_mode(), autocast:
            for start in range(0, n, batch_size):
                batch = torch.from_numpy(np.array(inputs[start:start + batch_size], dtype=np.float32))  # a writable copy
                pred = self.model(batch.to(self.device, non_blocking=True))
                out[start:start + batch.shape[0]] = pred.float().cpu().numpy()
                if progress is not None:
                    progress(min(start + batch_size, n), n)
        return out
