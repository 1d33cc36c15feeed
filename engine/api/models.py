"""Forecast models: presets, saved checkpoints and inference."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path as _Path

import numpy as _np


from ..models.catalog import CatalogEntry, CatalogProblem

__all__ = ["CatalogEntry", "CatalogProblem", "ModelInfo", "forecast", "forecast_model", "forecast_models",
           "load_forecaster", "model_folder_stamp", "model_info", "model_preset_names"]


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


def forecast_models(data: str | None = None) -> tuple[list[CatalogEntry], list[CatalogProblem]]:
    """Usable checkpoints in the model folders (``assets/models`` first, then ``EFS_MODEL_DIRS`` and
    ``[[models]]`` in the TOML config), optionally only those for ``data`` ("sevir" or
    "icar-enso"), and the skipped ones with a one-line reason each. Weights are not loaded."""
    from ..data.sources import model_folders
    from ..models.catalog import scan_folders

    if data not in (None, "sevir", "icar-enso"):
        raise ValueError(f"data: expected 'sevir' or 'icar-enso', got {data!r}")
    entries, problems = scan_folders((f.name, f.root, not f.is_demo) for f in model_folders())
    return [e for e in entries if data is None or e.data == data], problems


def forecast_model(label: str, data: str | None = None) -> CatalogEntry:
    """The catalog entry called ``label``; ValueError listing the usable labels otherwise."""
    entries, _ = forecast_models(data)
    for entry in entries:
        if entry.label == label:
            return entry
    valid = ", ".join(repr(e.label) for e in entries) or "none"
    raise ValueError(f"model: expected one of {valid}, got {label!r}")


def load_forecaster(directory: str | _Path, device: str = "auto", precision: str = "fp32"):
    """A loaded checkpoint ready to ``predict`` many times (what :func:`forecast` builds per call);
    callers that keep models in memory (the app's ``st.cache_resource``) hold this object."""
    from ..forecast import Forecaster

    return Forecaster.from_checkpoint(directory, device, precision)


def model_folder_stamp() -> tuple:
    """What the catalog depends on: each model folder and its checkpoint files' paths, sizes and
    modification times. Stat calls only, so callers can key caches on it every rerun: a
    checkpoint added, replaced or broken changes the stamp; an unchanged catalog keeps it."""
    from ..data.sources import model_folders

    stamp = []
    for folder in model_folders():
        root = folder.root
        files = [f for pattern in ("config.json", "model.safetensors", "*/config.json", "*/model.safetensors")
                 for f in sorted(root.glob(pattern))] if root.is_dir() else []
        stamp.append((folder.name, str(root), root.is_dir(),
                      tuple((str(f), f.stat().st_mtime_ns, f.stat().st_size) for f in files)))
    return tuple(stamp)
