"""What ``evaluate --model`` names: a checkpoint directory or a baseline, as one batch predictor.

Every candidate maps contexts (B, T_in, H, W, C) in model units to (B, T_out, H, W, C), or to
(M, B, T_out, H, W, C) for an ensemble. Checkpoints of any family run through
``engine.forecast.Forecaster``; PreDiff sets (a directory with ``prediff.json``) sample unguided
ensembles of ``--members`` futures with their default sampler; baselines through ``engine.baselines.forecast_batch``, at the
resolution the data were prepared at. ICAR-ENSO baselines see SST anomalies in degC (so that
"climatology" means zero anomaly), converted from and back to the scaled units models use.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Literal

import numpy as np

from ..baselines import ENSEMBLE_BASELINES, forecast_batch
from ..data.enso.format import scale_sst, unscale_sst
from ..forecast import Forecaster, resolve_device
from ..models.checkpoint import CONFIG_FILE, read_config
from ..prediff.set_info import SET_FILE

DataKind = Literal["sevir", "icar-enso"]
DATA_KINDS: tuple[str, ...] = ("sevir", "icar-enso")
# Baselines that make sense per data set (STEPS needs --members; damped persistence is fitted
# on the training split's SST, grid point by grid point).
BASELINE_NAMES: dict[str, tuple[str, ...]] = {
    "sevir": ("persistence", "optical_flow", "steps"),
    "icar-enso": ("persistence", "climatology", "damped_persistence"),
}
Predict = Callable[[np.ndarray], np.ndarray]


@dataclass(frozen=True)
class Candidate:
    """One row of the score table.

    name : label (the baseline name, or the checkpoint directory's name).
    predict : (B, T_in, H, W, C) -> (B, T_out, H, W, C) or, with ``members``, (M, B, T_out, H, W, C).
    input_shape, target_shape : (T, H, W, C) of a checkpoint; None for baselines (any shape).
    family : model family of a checkpoint ("earthformer", "unet", ...) or "baseline".
    members : ensemble size M, None for deterministic forecasts.
    """

    name: str
    predict: Predict
    input_shape: tuple[int, int, int, int] | None = None
    target_shape: tuple[int, int, int, int] | None = None
    family: str = "baseline"
    members: int | None = None


def check_data(data: str) -> None:
    if data not in DATA_KINDS:
        raise ValueError(f"data: expected one of {', '.join(DATA_KINDS)}, got {data!r}")


def baseline_names(data: DataKind = "sevir") -> list[str]:
    """The baselines ``evaluate`` accepts for ``data``."""
    check_data(data)
    return list(BASELINE_NAMES[data])


def is_checkpoint(spec: str) -> bool:
    return (Path(spec) / CONFIG_FILE).is_file()


def is_prediff_set(spec: str) -> bool:
    return (Path(spec) / SET_FILE).is_file()


def check_model_spec(spec: str, data: DataKind) -> None:
    """A baseline name of ``data`` or a checkpoint directory; else one line listing the baselines."""
    if spec in BASELINE_NAMES[data] or is_checkpoint(spec) or (data == "sevir" and is_prediff_set(spec)):
        return
    where = f" ({spec} has no {CONFIG_FILE} or {SET_FILE})" if Path(spec).is_dir() else ""
    raise ValueError(f"model: expected a checkpoint directory, a PreDiff set (sevir) or a {data} baseline "
                     f"({', '.join(BASELINE_NAMES[data])}), got {spec!r}{where}")


def load_checkpoint_candidate(directory: str, device: str | None = None, batch_size: int = 4) -> Candidate:
    """A saved forecaster of any family; its config fixes the windows and the frame size."""
    family, config, _ = read_config(directory)
    forecaster = Forecaster.from_checkpoint(directory, device=device)
    return Candidate(Path(directory).resolve().name, lambda x: forecaster.predict(x, batch_size=batch_size),
                     tuple(config.input_shape), tuple(config.target_shape), family)


def load_prediff_candidate(directory: str, members: int | None, seed: int = 0, steps: int | None = None,
                           device: str | None = None) -> Candidate:
    """A PreDiff set as an ensemble of ``members`` unguided futures (CRPS, spread) per context.

    Every call draws fresh noise (seed, seed + 1, ...) so the batches of one evaluation are
    independent and the whole run is reproducible from ``seed``.
    """
    import torch

    from ..prediff import PreDiffForecaster, PreDiffModels

    if not members:
        raise ValueError(f"{directory}: a PreDiff set samples an ensemble: expected --members M, got none")
    forecaster = PreDiffForecaster(PreDiffModels.from_directory(directory, resolve_device(device)))
    calls = [0]

    def predict(contexts: np.ndarray) -> np.ndarray:
        samples = forecaster.sample(torch.as_tensor(np.asarray(contexts, dtype=np.float32)), members=members,
                                    steps=steps, seed=seed + calls[0])
        calls[0] += 1
        return samples.frames.cpu().numpy()  # (M, B, T_out, H, W, C)

    models = forecaster.models
    frame = tuple(models.frame_shape)
    return Candidate(Path(directory).resolve().name, predict, (models.context_frames, *frame),
                     (models.target_frames, *frame), "prediff", members)


def cascade_levels(height: int, width: int) -> int:
    """STEPS cascade levels for a grid: 6 at 384 pixels (pysteps' usual), 4 at 96, at least 3 (pysteps' minimum)."""
    return int(min(6, max(3, math.floor(math.log2(min(height, width))) - 2)))


def baseline_candidate(name: str, data: DataKind, t_out: int, *, km_per_pixel: float = 1.0,
                       minutes_per_step: float = 5.0, members: int | None = None, seed: int = 0,
                       damping: Callable[[], np.ndarray] | None = None) -> Candidate:
    """Baseline ``name`` as a batch predictor of ``t_out`` steps.

    km_per_pixel, minutes_per_step : grid spacing and frame interval after pooling (STEPS).
    members : STEPS ensemble size (required for steps, ignored by deterministic baselines).
    damping : called once, on first use, for damped persistence's (t_out, H, W) coefficients.
    """
    check_data(data)
    if name not in BASELINE_NAMES[data]:
        raise ValueError(f"baseline: expected one of {', '.join(BASELINE_NAMES[data])} for {data}, got {name!r}")
    if name in ENSEMBLE_BASELINES and not members:
        raise ValueError(f"{name}: expected an ensemble size (--members M), got none")
    if name == "damped_persistence" and damping is None:
        raise ValueError("damped_persistence: expected a damping function fitted on training data, got none")
    fitted: dict[str, np.ndarray] = {}

    def predict(contexts: np.ndarray) -> np.ndarray:
        x = np.asarray(contexts, dtype=np.float64)[..., 0]  # (B, T_in, H, W): baselines are single-channel
        options: dict = {}
        if name == "steps":
            options = dict(members=members, seed=seed, scale=1.0, kmperpixel=km_per_pixel, timestep=minutes_per_step,
                           n_cascade_levels=cascade_levels(*x.shape[-2:]))
        if data == "icar-enso":
            x = unscale_sst(x)
            if name == "damped_persistence":
                if "damping" not in fitted:
                    fitted["damping"] = damping()
                options = dict(damping=fitted["damping"])
        out = forecast_batch(name, x, t_out, **options)
        if data == "icar-enso":
            out = scale_sst(out)
        return out[..., None].astype(np.float32)

    return Candidate(name, predict, members=members if name in ENSEMBLE_BASELINES else None)
