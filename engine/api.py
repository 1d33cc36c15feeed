"""The engine's public facade: the only module the app imports.

Functions here take and return plain Python / NumPy values and the engine's typed specs, so
pages never touch torch internals.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from .models.earthformer.cost import FORMULA as ATTENTION_COST_FORMULA
from .models.earthformer.cost import AttentionCost, attention_cost
from .models.earthformer.cuboid import PADDING_TYPES, STRATEGIES
from .models.earthformer.explain import CuboidLayout, attended_elements, cuboid_layout, padded_keys, padded_keys_seen
from .models.earthformer.patterns import (
    CROSS_PATTERNS,
    SELF_PATTERNS,
    SelfAttentionSpec,
    get_self_pattern,
)

__all__ = [
    "ATTENTION_COST_FORMULA",
    "AttentionCost",
    "CostRow",
    "CuboidLayout",
    "EARTHFORMER_LEVELS",
    "LevelShape",
    "PADDING_TYPES",
    "STRATEGIES",
    "SelfAttentionSpec",
    "attended_elements",
    "attention_cost",
    "compare_attention_costs",
    "cross_pattern_names",
    "cuboid_layout",
    "custom_layer",
    "padded_keys",
    "padded_keys_seen",
    "pattern_layers",
    "self_pattern_names",
]


def self_pattern_names() -> list[str]:
    """Every named self-attention pattern, sorted."""
    return sorted(SELF_PATTERNS)


def cross_pattern_names() -> list[str]:
    return sorted(CROSS_PATTERNS)


def pattern_layers(name: str, shape: Sequence[int]) -> list[SelfAttentionSpec]:
    """The layers one block of pattern ``name`` runs on a (T, H, W) grid."""
    return get_self_pattern(name)(shape)


def custom_layer(cuboid_size: Sequence[int], strategy: Sequence[str], shift_size: Sequence[int]) -> SelfAttentionSpec:
    """A single layer with a hand-picked cuboid size, per-axis strategy and shift."""
    return SelfAttentionSpec(tuple(int(v) for v in cuboid_size), tuple(strategy), tuple(int(v) for v in shift_size))


@dataclass(frozen=True)
class LevelShape:
    """One encoder level of a published Earthformer configuration."""

    label: str
    thw: tuple[int, int, int]
    channels: int
    num_heads: int
    num_global_vectors: int


# Level shapes of the released configurations (reference section B.8).
EARTHFORMER_LEVELS: tuple[LevelShape, ...] = (
    LevelShape("SEVIR level 0", (13, 32, 32), 128, 4, 8),
    LevelShape("SEVIR level 1", (13, 16, 16), 256, 4, 8),
    LevelShape("ICAR-ENSO level 0", (12, 24, 24), 64, 4, 0),
    LevelShape("ICAR-ENSO level 1", (12, 12, 12), 128, 4, 0),
)


@dataclass(frozen=True)
class CostRow:
    level: str
    method: str
    gflops: float  # attention products only, per sample, FLOPs = 2 x multiply-adds
    score_mib: float  # fp32 attention weights per sample
    ratio_to_full: float


def compare_attention_costs(specs: Sequence[SelfAttentionSpec] | None, pattern: str | None) -> list[CostRow]:
    """Full attention vs the chosen decomposition vs axial at every level in :data:`EARTHFORMER_LEVELS`.

    Give either a named ``pattern`` (resolved per level shape) or explicit ``specs``.
    """
    rows = []
    for level in EARTHFORMER_LEVELS:
        chosen = pattern_layers(pattern, level.thw) if pattern else list(specs or [])
        methods = {
            "full attention": pattern_layers("full", level.thw),
            f"chosen ({pattern or 'custom'})": chosen,
            "axial": pattern_layers("axial", level.thw),
        }
        costs = {
            name: attention_cost(level.thw, layers, level.channels, level.num_heads, level.num_global_vectors)
            for name, layers in methods.items()
        }
        full_flops = costs["full attention"].flops
        for name, cost in costs.items():
            rows.append(
                CostRow(level.label, name, cost.flops / 1e9, cost.score_bytes() / 2**20, cost.flops / full_flops)
            )
    return rows


# --- Storm data (SEVIR) ------------------------------------------------------------------------

from datetime import date as _date  # noqa: E402  (storm section kept together)
from pathlib import Path as _Path  # noqa: E402

import pandas as _pd  # noqa: E402

from .data.sevir import VIL_THRESHOLDS, StormDataError, decode_vil  # noqa: E402
from .data.sevir.events import StormEvent, event_table, load_event  # noqa: E402
from .data.sources import configured_sources, get_source  # noqa: E402

__all__ += ["StormDataError", "StormEvent", "StormSource", "VIL_THRESHOLDS", "decode_vil", "storm_event",
            "storm_events", "storm_sources"]


@dataclass(frozen=True)
class StormSource:
    """A SEVIR data root configured by whoever runs the app (the embedded demo is always first)."""

    name: str
    root: _Path
    is_demo: bool


def storm_sources() -> list[StormSource]:
    """Configured SEVIR sources, the embedded demo first (``EFS_SEVIR_ROOTS``, ``efs.toml``)."""
    return [StormSource(s.name, s.root, s.is_demo) for s in configured_sources("sevir")]


def _storm_root(source: str) -> _Path:
    try:
        src = get_source("sevir", source)
    except ValueError as err:
        raise StormDataError(str(err)) from None
    if src.is_demo and not (src.root / "CATALOG.csv").is_file():
        raise StormDataError(f"the embedded demo data is not at {src.root} yet: run "
                             f"`python -m engine data make-demo`")
    return src.root


def storm_events(source: str, event_type: str | None = None, start: _date | None = None,
                 end: _date | None = None, bbox: tuple[float, float, float, float] | None = None) -> _pd.DataFrame:
    """One row per VIL event of ``source``: id, event_type, time_utc, corners, split, file_name, ...

    ``bbox`` is (lat_min, lat_max, lon_min, lon_max); events whose footprint intersects it are
    kept. ``start``/``end`` are inclusive dates of ``time_utc``.
    """
    return event_table(_storm_root(source), event_type=event_type, start=start, end=end, bbox=bbox)


def storm_event(source: str, event_id: str) -> StormEvent:
    """One event of ``source`` with its uint8 (T, H, W) VIL frames (decode with :func:`decode_vil`)."""
    return load_event(_storm_root(source), event_id)


# --- Embedded demo: the Storm explorer writes it on first start, with a progress bar ----------

from .data.demo import Progress as _Progress  # noqa: E402
from .data.demo import ensure_demo as _ensure_demo  # noqa: E402

__all__ += ["ensure_demo"]


def ensure_demo(progress: _Progress | None = None) -> _Path:
    """Write the embedded demo SEVIR dataset if it is missing or stale; return its root.

    ``progress(fraction, message)`` is called while generating (about a minute), never when
    the demo is already there.
    """
    return _ensure_demo(progress=progress)


# --- Verification: scores, baselines and evaluation over a split ------------------------------

import numpy as _np  # noqa: E402

__all__ += ["baseline_names", "evaluate_forecaster", "run_baseline", "run_learned_baseline", "score_enso",
            "score_sevir"]


def baseline_names(data: str = "sevir") -> list[str]:
    """Baselines offered for ``data`` ("sevir": persistence, optical_flow, steps; "icar-enso":
    persistence, climatology, damped_persistence)."""
    from .evaluation.candidates import baseline_names as _names

    return _names(data)


def run_baseline(name: str, context: _np.ndarray, n_steps: int, *, members: int | None = None, seed: int = 0,
                 scale: float = 255.0) -> _np.ndarray:
    """Forecast ``n_steps`` frames of one (T_in, H, W) SEVIR context with baseline ``name``.

    ``context`` keeps its scale (``scale`` 255 for pixels, 1 for [0, 1]); the result is on the
    same scale: (n_steps, H, W), or (members, n_steps, H, W) for "steps" (``members`` required).
    """
    from .baselines import ENSEMBLE_BASELINES, get_baseline

    forecast = get_baseline(name)
    if name in ENSEMBLE_BASELINES:
        if not members:
            raise ValueError(f"members: expected an ensemble size for {name}, got {members}")
        return forecast(context, n_steps, members=members, seed=seed, scale=scale)
    return forecast(context, n_steps)


def run_learned_baseline(directory: str | _Path, context: _np.ndarray, n_steps: int) -> _np.ndarray:
    """Forecast with a saved model (UNet, ConvLSTM, Earthformer): (T_in, H, W) in model units ->
    (n_steps, H, W), n_steps at most the model's T_out."""
    from .baselines.learned import learned_baseline

    return learned_baseline(directory)(context, n_steps)


def score_sevir(forecast: _np.ndarray, observed: _np.ndarray, *, scale: float = 255.0, pool: int = 1) -> dict:
    """Every SEVIR score of a forecast (N, T, H, W), or ensemble (M, N, T, H, W), against (N, T, H, W).

    Returns ``{"info", "all", "lead"}``: CSI-M and CSI / POD / SUCR / BIAS / HSS per threshold,
    MSE / MAE / RMSE on the [0, 1] scale, FSS, and ensemble scores (CRPS, spread-skill, rank
    histogram, Brier), pooled over leads and per lead; numpy arrays and floats.
    """
    from .metrics.suites import sevir_scores

    return sevir_scores(forecast, observed, scale=scale, pool=pool)


def score_enso(forecast: _np.ndarray, observed: _np.ndarray) -> dict:
    """Nino3.4 scores of forecasts (N, L) against observations (N, L): correlation and RMSE per
    lead, C-Nino3.4-M, C-Nino3.4-WM, Nino3.4 RMSE."""
    from .metrics.suites import enso_scores

    return enso_scores(forecast, observed)


def evaluate_forecaster(models: Sequence[str], data: str = "sevir", *, source: str | None = None,
                        split: str = "test", limit: int | None = None, pool: int = 1, members: int | None = None,
                        progress: _Progress | None = None) -> dict:
    """Score checkpoints and baselines over a split of a configured source (default: the demo).

    ``models`` are checkpoint directories and / or names from :func:`baseline_names`; all are
    run on the same windows, prepared at the checkpoints' resolution. ``progress(fraction,
    message)`` is called after each batch. Returns the ``engine.evaluation.evaluate`` dict
    (``models[label]["all"]`` / ``["lead"]`` hold the SEVIR scores; ENSO scores sit directly
    under the label). Baseline-only SEVIR runs score native frames unless a checkpoint is given.
    """
    from .evaluation import EvalRequest, evaluate
    from .evaluation.run import data_root

    request = EvalRequest(data, tuple(models), data_root(data, source=source), split=split, limit=limit, pool=pool,
                          members=members)
    report = None if progress is None else (lambda done, total: progress(done / total, f"{done}/{total} windows"))
    return evaluate(request, progress=report)


# --- Forecast models: presets, saved checkpoints and inference -------------------------------

__all__ += ["ModelInfo", "forecast", "model_info", "model_preset_names"]


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
    from .models.presets import model_presets

    return sorted(model_presets())


def model_info(directory: str | _Path) -> ModelInfo:
    """Describe the checkpoint in ``directory`` (config.json + model.safetensors) without running it."""
    import torch

    from .models.checkpoint import get_family, read_config

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
    from .forecast import Forecaster

    forecaster = Forecaster.from_checkpoint(directory, device, precision)
    return forecaster.predict(_np.asarray(inputs), batch_size=batch_size, progress=progress)
