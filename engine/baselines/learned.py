"""Learned baselines (UNet, ConvLSTM, or any saved forecaster) behind the baseline call contract.

A trained checkpoint directory becomes a function like ``persistence``::

    unet = learned_baseline("runs/unet_demo/best")      # any family in engine.models.checkpoint
    future = unet(context, 12)                           # (T_in, H, W) -> (12, H, W)
    futures = unet.batch(contexts)                       # (N, T_in, H, W) -> (N, T_out, H, W)

Contexts are in the model's units (SEVIR [0, 1], ICAR-ENSO scaled SST) with the model's exact
T_in, H and W; a (T_in, H, W, C) context keeps its channel axis in the output. A network predicts
its T_out frames at once, so ``n_steps`` may be at most T_out (the first n_steps are returned).
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from ..forecast import Forecaster


class LearnedBaseline:
    """A saved forecaster called like a baseline: ``forecast(context, n_steps) -> (n_steps, H, W)``."""

    def __init__(self, forecaster: Forecaster, name: str = "learned") -> None:
        self.forecaster = forecaster
        self.name = name

    @classmethod
    def from_checkpoint(cls, directory: str | Path, device: str | None = None) -> "LearnedBaseline":
        return cls(Forecaster.from_checkpoint(directory, device=device), Path(directory).name)

    @property
    def input_shape(self) -> tuple[int, int, int, int]:
        """(T_in, H, W, C) the network takes."""
        return tuple(self.forecaster.config.input_shape)

    @property
    def target_shape(self) -> tuple[int, int, int, int]:
        """(T_out, H, W, C) the network returns."""
        return tuple(self.forecaster.config.target_shape)

    def batch(self, contexts: Any, batch_size: int = 4) -> np.ndarray:
        """(N, T_in, H, W[, C]) -> (N, T_out, H, W[, C]) float32, in the model's units."""
        contexts = np.asarray(contexts, dtype=np.float32)
        squeeze = contexts.ndim == 4 and self.input_shape[-1] == 1
        if squeeze:
            contexts = contexts[..., None]
        out = self.forecaster.predict(contexts, batch_size=batch_size)
        return out[..., 0] if squeeze else out

    def __call__(self, context: Any, n_steps: int) -> np.ndarray:
        """(T_in, H, W[, C]) -> (n_steps, H, W[, C]) with n_steps <= T_out."""
        t_out = self.target_shape[0]
        if int(n_steps) != n_steps or not 1 <= n_steps <= t_out:
            raise ValueError(f"n_steps: expected 1..{t_out} (the frames {self.name} predicts at once), got {n_steps}")
        context = np.asarray(context, dtype=np.float32)
        if context.ndim not in (3, 4):
            raise ValueError(f"context: expected (T_in, H, W) or (T_in, H, W, C) = {self.input_shape}, "
                             f"got shape {context.shape}")
        return self.batch(context[None])[0, : int(n_steps)]


def learned_baseline(directory: str | Path, device: str | None = None) -> LearnedBaseline:
    """The checkpoint in ``directory`` (config.json + model.safetensors) as a baseline function."""
    return LearnedBaseline.from_checkpoint(directory, device=device)
