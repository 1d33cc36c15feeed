"""Forecast models: presets, saved checkpoints and inference."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path as _Path

import numpy as _np


__all__ = ["ModelInfo", "forecast", "model_info", "model_preset_names"]


@dataclass(frozen=True)
class ModelInfo:
    """What a saved checkpoint is: family, shapes (T, H, W, C), parameters and its metadata."""

    family: str
    input_shape: tuple[int, ...]
    target_shape: tuple[int, ...]
    parameters: int
    metadata: dict


def model_preset_names() -> list[str]:
    """Every named model configuration (Earthformer, UNet, ConvLSTM), sorted."""
    from ..models.presets import model_presets

    return sorted(model_presets())


def model_info(directory: str | _Path) -> ModelInfo:
    """Describe the checkpoint in ``directory`` (config.json + model.safetensors) without running it."""
    import torch

    from ..models.checkpoint import get_family, read_config

    family, config, metadata = read_config(directory)
    with torch.device("meta"):  # shapes only
        parameters = sum(p.numel() for p in get_family(family).build(config).parameters())
    return ModelInfo(family, tuple(config.input_shape), tuple(config.target_shape), parameters, metadata)


def forecast(directory: str | _Path, inputs: _np.ndarray, *, device: str = "auto", precision: str = "fp32",
             batch_size: int = 1, progress=None) -> _np.ndarray:
    """Run the checkpoint in ``directory`` on (N, T_in, H, W, C) float32 inputs in model units.

    Returns (N, T_out, H, W, C) float32. ``progress(done, total)`` is called after each batch.
    Bad shapes, NaNs or a wrong device raise ValueError naming what was expected.
    """
    from ..forecast import Forecaster

    forecaster = Forecaster.from_checkpoint(directory, device, precision)
    return forecaster.predict(_np.asarray(inputs), batch_size=batch_size, progress=progress)
