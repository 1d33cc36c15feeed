"""ENSO outlook (ICAR-ENSO, Earthformer's second benchmark): sources, windows, forecasts, skill.

A window is Earthformer's: 12 input months of SST anomaly, then 14 months to forecast, on the
cropped 24 x 48 grid (5 degrees, 55S-60N, 95E-330E). Everything here is in degC; models see
``scale_sst`` units, converted on the way in and out exactly as ``engine.evaluation`` does, so a
forecast shown for one window is the one the skill scores count. The Nino3.4 index of month m
averages months m, m+1, m+2 (forward running mean), so 14 forecast months give 12 leads.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path as _Path
from typing import Callable, Sequence

import numpy as _np

from ..data.enso.format import CROPPED_LONGITUDES, IN_MONTHS, LATITUDES, OUT_MONTHS
from ..data.enso.reader import ModelSeries

__all__ = ["ENSO_LATITUDES", "ENSO_LONGITUDES", "EnsoClimateModel", "EnsoForecast", "EnsoForecaster", "EnsoSource",
           "EnsoWindow", "ModelSeries", "enso_baselines", "enso_climate_models", "enso_damping", "enso_forecast",
           "enso_forecaster", "enso_series", "enso_skill", "enso_sources", "enso_start_months", "enso_window",
           "ensure_enso_demo"]

ENSO_LATITUDES = LATITUDES  # (24,) cell centres, degrees north
ENSO_LONGITUDES = CROPPED_LONGITUDES  # (48,) cell centres, degrees east (95..330)
ENSO_SHAPE = (len(LATITUDES), len(CROPPED_LONGITUDES), 1)  # (H, W, C) of every map and model
SKILL_KEYS = ("C-Nino3.4-M", "C-Nino3.4-WM", "Nino3.4 RMSE", "SST MSE")


@dataclass(frozen=True)
class EnsoSource:
    """An ICAR-ENSO root configured by whoever runs the app (the embedded demo is always first)."""

    name: str
    root: _Path
    is_demo: bool


@dataclass(frozen=True)
class EnsoClimateModel:
    """A climate model (or the SODA reanalysis) of a source: its split and series length."""

    name: str
    family: str  # "CMIP6", "CMIP5" or "SODA"
    split: str  # "train", "val", "test" or "soda"
    months: int


@dataclass(frozen=True, eq=False)
class EnsoWindow:
    """One forecast window of a model's series, starting at month ``start`` (0 = first January).

    inputs : (12, 24, 48) float32 degC, months start .. start + 11.
    observed : (14, 24, 48) float32 degC, months start + 12 .. start + 25.
    nino : (24,) float32 degC, the labelled Nino3.4 of months start .. start + 23 (the input
        months, then leads 1..12).
    """

    model: str
    start: int
    inputs: _np.ndarray
    observed: _np.ndarray
    nino: _np.ndarray


@dataclass(frozen=True, eq=False)
class EnsoForecast:
    """A forecast of one window: ``sst`` (14, 24, 48) degC and ``nino`` (12,) degC, leads 1..12."""

    label: str
    sst: _np.ndarray
    nino: _np.ndarray


def enso_sources() -> list[EnsoSource]:
    """Configured ICAR-ENSO sources, the embedded demo first (``EFS_ICAR_ENSO_ROOTS``, ``efs.toml``)."""
    from ..data.sources import configured_sources

    return [EnsoSource(s.name, s.root, s.is_demo) for s in configured_sources("icar_enso")]


def ensure_enso_demo(progress: Callable[[float, str], None] | None = None) -> _Path:
    """Write the embedded synthetic ICAR-ENSO demo if it is missing (a few seconds); return its root."""
    from ..data.synthetic_enso import ensure_enso_demo as _ensure

    return _ensure(progress=progress)


def _root(source: str) -> _Path:
    from ..data.enso.format import CMIP_TRAIN
    from ..data.sources import get_source

    src = get_source("icar_enso", source)
    if src.is_demo and not (src.root / CMIP_TRAIN).is_file():
        raise ValueError(f"the embedded ENSO demo is not at {src.root} yet: run `python -m engine data make-demo`")
    return src.root


def _store(source: str):
    from ..data.enso.reader import IcarEnso

    return IcarEnso(_root(source))


def enso_climate_models(source: str) -> list[EnsoClimateModel]:
    """The climate models of ``source`` in file order (CMIP6, CMIP5, then SODA when present).

    Raises ValueError naming the file and variable when the directory is not valid ICAR-ENSO.
    """
    return [EnsoClimateModel(m.name, m.family, m.split, m.months) for m in _store(source).models]


def enso_start_months(months: int) -> list[int]:
    """First months of every 12 + 14 month window in a series of ``months`` months."""
    from ..data.enso.windows import window_starts

    return [int(s) for s in window_starts(months)]


def enso_series(source: str, model: str) -> ModelSeries:
    """A model's folded series: ``sst`` (months, 24, 48) and ``nino`` (months,), float32 degC.

    Raises ValueError for NaN / inf in what is read (naming file, variable and model).
    """
    return _store(source).load(model)


def enso_window(series: ModelSeries, start: int) -> EnsoWindow:
    """The window of ``series`` whose input months begin at ``start`` (see :func:`enso_start_months`)."""
    starts = enso_start_months(series.info.months)
    if not starts or start not in range(starts[0], starts[-1] + 1):
        last = starts[-1] if starts else "none"
        raise ValueError(f"start month of {series.info.name}: expected 0..{last}, got {start}")
    mid, end = start + IN_MONTHS, start + IN_MONTHS + OUT_MONTHS
    leads = OUT_MONTHS - 2
    return EnsoWindow(series.info.name, int(start), series.sst[start:mid].copy(), series.sst[mid:end].copy(),
                      series.nino[start:mid + leads].copy())


def enso_baselines() -> list[str]:
    """Baselines a window can be forecast with: persistence, climatology, damped_persistence."""
    from ..evaluation.candidates import baseline_names

    return baseline_names("icar-enso")


def enso_damping(source: str) -> _np.ndarray:
    """Damped persistence's lag autocorrelations (14, 24, 48), fitted per grid point on the training
    models' SST, as ``evaluate`` fits them."""
    from ..baselines import fit_damping

    store = _store(source)
    return fit_damping([store.load(m.name).sst for m in store.split("train")], OUT_MONTHS)


def _scaled(sst: _np.ndarray) -> _np.ndarray:
    from ..data.enso.format import scale_sst

    return scale_sst(_np.asarray(sst, dtype=_np.float64)).astype(_np.float32)[None, ..., None]  # (1, T, 24, 48, 1)


@dataclass(frozen=True, eq=False)
class EnsoForecaster:
    """A ready forecaster: ``predict`` maps scaled SST (B, 12, 24, 48, 1) to (B, 14, 24, 48, 1).

    Load once (weights read, damping fitted) and reuse for many windows; it holds no state
    between calls.
    """

    label: str
    predict: Callable[[_np.ndarray], _np.ndarray]


def enso_forecaster(forecaster: str, *, damping: _np.ndarray | None = None) -> EnsoForecaster:
    """A baseline (:func:`enso_baselines`) or an ICAR-ENSO checkpoint of the model catalog (its label
    in ``forecast_models("icar-enso")``), ready to run. ``damping`` (:func:`enso_damping`) is
    required by damped persistence. Checkpoints of other shapes raise ValueError.
    """
    from ..evaluation.candidates import baseline_candidate, load_checkpoint_candidate
    from .models import forecast_model

    if forecaster in enso_baselines():
        if forecaster == "damped_persistence" and damping is None:
            raise ValueError("damped_persistence: expected the damping fitted on the training models "
                             "(api.enso_damping(source)), got none")
        return EnsoForecaster(forecaster, baseline_candidate(forecaster, "icar-enso", OUT_MONTHS,
                                                             damping=lambda: damping).predict)
    entry = forecast_model(forecaster, "icar-enso")
    want = (IN_MONTHS, *ENSO_SHAPE), (OUT_MONTHS, *ENSO_SHAPE)
    if (tuple(entry.input_shape), tuple(entry.target_shape)) != want:
        raise ValueError(f"model {forecaster}: expected input {want[0]} and output {want[1]} (T, H, W, C), "
                         f"got {tuple(entry.input_shape)} and {tuple(entry.target_shape)}")
    return EnsoForecaster(forecaster, load_checkpoint_candidate(str(entry.path), batch_size=1).predict)


def enso_forecast(window: EnsoWindow, forecaster: str | EnsoForecaster, *,
                  damping: _np.ndarray | None = None) -> EnsoForecast:
    """Forecast ``window`` with a forecaster (or its name, see :func:`enso_forecaster`).

    Inputs are scaled as in training and the output un-scaled to degC; its Nino3.4 comes from
    ``nino34_from_scaled`` like the evaluation's, so this is the forecast the skill scores count.
    """
    from ..data.enso.format import unscale_sst
    from ..data.enso.nino import nino34_from_scaled

    if isinstance(forecaster, str):
        forecaster = enso_forecaster(forecaster, damping=damping)
    scaled = _np.asarray(forecaster.predict(_scaled(window.inputs)))
    if scaled.shape != (1, OUT_MONTHS, *ENSO_SHAPE):
        raise ValueError(f"model {forecaster.label}: expected a forecast of shape (1, {OUT_MONTHS}, 24, 48, 1), "
                         f"got {scaled.shape}")
    sst = unscale_sst(_np.asarray(scaled[0, ..., 0], dtype=_np.float64)).astype(_np.float32)
    return EnsoForecast(forecaster.label, sst, nino34_from_scaled(scaled)[0])


def enso_skill(source: str, forecasters: Sequence[str], *, split: str = "test", limit: int | None = None,
               progress: Callable[[float, str], None] | None = None) -> dict:
    """Nino3.4 skill of baselines and catalog checkpoints over a split, with ``engine.evaluation``.

    Returns ``{"split", "n_windows", "models": {label: {"corr": (12,) array, "C-Nino3.4-M",
    "C-Nino3.4-WM", "Nino3.4 RMSE", "SST MSE"}}}`` in the order given. A correlation of a constant
    forecast (climatology) is NaN: undefined. ``progress(fraction, message)`` after each batch.
    """
    from ..evaluation import EvalRequest, evaluate
    from .models import forecast_model

    labels = list(dict.fromkeys(forecasters))
    if not labels:
        raise ValueError("forecasters: expected at least one baseline or model label, got none")
    specs = [label if label in enso_baselines() else str(forecast_model(label, "icar-enso").path) for label in labels]
    request = EvalRequest("icar-enso", tuple(specs), _root(source), split=split, limit=limit, batch_size=16)
    report = None if progress is None else (lambda done, total: progress(done / total, f"{done}/{total} windows"))
    result = evaluate(request, progress=report)
    # evaluate keeps the order of its models; its row labels are directory names, ours catalog labels.
    rows = list(result["models"].values())
    return {"split": split, "n_windows": result["n_windows"],
            "models": {label: {"corr": _np.asarray(row["corr"], dtype=float), **{k: float(row[k]) for k in SKILL_KEYS}}
                       for label, row in zip(labels, rows)}}
