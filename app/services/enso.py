"""ENSO outlook: configured ICAR-ENSO sources, windows, forecasts, maps, plume and test-split skill.

Sources are names from the run-time configuration (never paths typed in the browser). Cached
functions take a stamp of the source's files (path and modification times) and, for
checkpoints, of the weights, so regenerated data or a retrained model is never served stale.
Maps cost about 2 s each to draw and are cached as PNG bytes; the skill over a split runs only
on request and is cached too.
"""
from __future__ import annotations

from pathlib import Path
from typing import Sequence

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from engine import api
from engine.viz import enso_figures as _figures
from engine.viz.maps import figure_png

IN_MONTHS, OUT_MONTHS = 12, 14
PERSISTENCE, DAMPED, CLIMATOLOGY = "persistence", "damped_persistence", "climatology"
# The skill comparison: the chosen model against these reference forecasts.
SKILL_REFERENCES: tuple[str, ...] = (PERSISTENCE, DAMPED, CLIMATOLOGY)
DEMO_MODEL_HINT = ("No ICAR-ENSO model checkpoint was found, so the page offers the baselines only. The demo "
                   "Earthformer appears here once `assets/models/icar_enso_demo/` exists; to train it yourself, "
                   "run `python -m engine data make-demo` and then `python -m engine train --recipe "
                   "configs/train/icar_enso_demo.yaml --out runs/icar_enso_demo` (about an hour on a CPU) and "
                   "add the run folder to `EFS_MODEL_DIRS`.")
month_label = _figures.month_label


def source_names() -> list[str]:
    """Configured ICAR-ENSO sources, the embedded demo first; ValueError on a bad configuration."""
    return [s.name for s in api.enso_sources()]


def _source(name: str) -> api.EnsoSource:
    for source in api.enso_sources():
        if source.name == name:
            return source
    raise ValueError(f"ICAR-ENSO data source: expected one of {source_names()}, got {name!r}")


def demo_needs_generating(name: str) -> bool:
    source = _source(name)
    return source.is_demo and not (source.root / "CMIP_train.nc").is_file()


def generate_demo(progress) -> None:
    """Write the embedded synthetic ICAR-ENSO demo (a few seconds); ``progress(fraction, message)``."""
    api.ensure_enso_demo(progress=progress)


def _stamp(name: str) -> tuple[str, tuple[int, ...]]:
    root = _source(name).root
    files = sorted(root.glob("*.nc")) if root.is_dir() else []
    return str(root.resolve()), tuple(f.stat().st_mtime_ns for f in files)


# ----------------------------------------------------------------------------- data
@st.cache_data(max_entries=16, show_spinner=False)
def _climate_models(name: str, stamp: tuple) -> list[api.EnsoClimateModel]:
    return api.enso_climate_models(name)


def climate_models(name: str) -> list[api.EnsoClimateModel]:
    """Climate models of a source (SODA last when present); ValueError naming file and variable."""
    return _climate_models(name, _stamp(name))


def default_climate_model(models: Sequence[api.EnsoClimateModel]) -> str:
    """The test model (the one the skill is scored on), else the first."""
    tests = [m.name for m in models if m.split == "test"]
    return tests[0] if tests else models[0].name


def start_months(months: int) -> list[int]:
    return api.enso_start_months(months)


@st.cache_data(max_entries=4, show_spinner=False)
def _series(name: str, stamp: tuple, model: str) -> api.ModelSeries:
    return api.enso_series(name, model)


@st.cache_data(max_entries=64, show_spinner=False)
def _window(name: str, stamp: tuple, model: str, start: int) -> api.EnsoWindow:
    return api.enso_window(_series(name, stamp, model), start)


def window(name: str, model: str, start: int) -> api.EnsoWindow:
    """The 12 + 14 month window of ``model`` starting at ``start`` (degC) and its Nino3.4 labels."""
    return _window(name, _stamp(name), model, int(start))


@st.cache_data(max_entries=4, show_spinner=False)
def _damping(name: str, stamp: tuple):
    return api.enso_damping(name)


# ----------------------------------------------------------------------------- forecasters
def baselines() -> list[str]:
    return api.enso_baselines()


def forecasters() -> tuple[list[str], list[str], str | None]:
    """(checkpoint labels, baseline names, one warning line about skipped checkpoints or None)."""
    entries, problems = api.forecast_models("icar-enso")
    warning = None
    if problems:
        details = "; ".join(f"{p.path.name} ({p.folder}): {p.message}" for p in problems)
        warning = f"{len(problems)} model checkpoint(s) could not be offered: {details}"
    return [e.label for e in entries], baselines(), warning


def _weights_stamp(forecaster: str) -> tuple[str, int]:
    """Path and modification time of a checkpoint's weights ('' for a baseline)."""
    if forecaster in baselines():
        return "", 0
    path = Path(api.forecast_model(forecaster, "icar-enso").path)
    files = [path / "model.safetensors", path / "config.json"]
    return str(path.resolve()), max((f.stat().st_mtime_ns for f in files if f.is_file()), default=0)


@st.cache_resource(max_entries=8, show_spinner=False)
def _forecaster(name: str, stamp: tuple, forecaster: str, weights: tuple) -> api.EnsoForecaster:
    """A loaded checkpoint (or a baseline with its fitted damping), shared by every session."""
    damping = _damping(name, stamp) if forecaster == DAMPED else None
    return api.enso_forecaster(forecaster, damping=damping)


@st.cache_data(max_entries=64, show_spinner=False)
def _forecast(name: str, stamp: tuple, model: str, start: int, forecaster: str, weights: tuple) -> api.EnsoForecast:
    return api.enso_forecast(_window(name, stamp, model, start), _forecaster(name, stamp, forecaster, weights))


def forecast(name: str, model: str, start: int, forecaster: str) -> api.EnsoForecast:
    """SST (14, 24, 48) and Nino3.4 (12,) forecast of one window, degC; cached per window and model."""
    return _forecast(name, _stamp(name), model, int(start), forecaster, _weights_stamp(forecaster))


# ----------------------------------------------------------------------------- figures
@st.cache_data(max_entries=32, show_spinner=False)
def _maps_png(name: str, stamp: tuple, model: str, start: int, view: str, forecaster: str, weights: tuple) -> bytes:
    win = _window(name, stamp, model, start)
    if view == "inputs":
        fields, first = win.inputs, start
    elif view == "observed":
        fields, first = win.observed, start + IN_MONTHS
    else:
        fields, first = _forecast(name, stamp, model, start, forecaster, weights).sst, start + IN_MONTHS
    titles = [month_label(first + k) + ("" if view == "inputs" else f" (+{k + 1} mo)") for k in range(fields.shape[0])]
    # One colour scale per window (inputs and observations), so the three views compare at a glance.
    vmax = _figures.symmetric_limit(win.inputs, win.observed)
    fig = _figures.sst_maps_figure(fields, titles, api.ENSO_LATITUDES, api.ENSO_LONGITUDES, vmax=vmax)
    return figure_png(fig, dpi=80)


def maps_png(name: str, model: str, start: int, view: str, forecaster: str) -> bytes:
    """PNG of the 12 input maps (``view`` "inputs"), or the 14 "forecast" / "observed" maps."""
    if view not in ("inputs", "forecast", "observed"):
        raise ValueError(f"view: expected 'inputs', 'forecast' or 'observed', got {view!r}")
    weights = _weights_stamp(forecaster) if view == "forecast" else ("", 0)
    return _maps_png(name, _stamp(name), model, int(start), view, forecaster if view == "forecast" else "", weights)


def plume_figure(name: str, model: str, start: int, forecaster: str) -> go.Figure:
    """Nino3.4 plume: observed input months and what followed, the forecast, and persistence."""
    win = window(name, model, start)
    shown = [forecaster] + ([PERSISTENCE] if forecaster != PERSISTENCE else [])
    series = {f: forecast(name, model, start, f).nino for f in shown}
    return _figures.nino_plume_figure(start, win.nino, series)


# ----------------------------------------------------------------------------- skill
@st.cache_data(max_entries=8, show_spinner=False)
def _skill(name: str, stamp: tuple, forecasters: tuple[str, ...], weights: tuple, _progress=None) -> dict:
    return api.enso_skill(name, list(forecasters), split="test", progress=_progress)


def skill_forecasters(forecaster: str) -> tuple[str, ...]:
    """The chosen forecaster first, then the reference baselines (each once)."""
    return tuple(dict.fromkeys((forecaster, *SKILL_REFERENCES)))


def skill(name: str, forecaster: str, progress=None) -> dict:
    """``api.enso_skill`` of the chosen forecaster and the references over the test split, cached."""
    chosen = skill_forecasters(forecaster)
    return _skill(name, _stamp(name), chosen, tuple(_weights_stamp(f) for f in chosen), progress)


def skill_table(result: dict) -> pd.DataFrame:
    """One row per forecaster; correlations of constant forecasts read "undefined"."""
    return pd.DataFrame(_figures.skill_rows(result["models"]))


def skill_figure(result: dict) -> go.Figure:
    return _figures.skill_by_lead_figure(result["models"])
