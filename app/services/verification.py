"""Forecasts of one event window (or the test split), scored per lead time and threshold; the
catalog of trained SEVIR checkpoints and the event windows that the forecast service shares.

Each (model, window, resolution[, members, seed]) is computed once and cached: a slider move
never recomputes. Pages pass model *labels* (``api.forecast_models``); they are resolved to
checkpoint directories only here.
"""
from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from engine import api
from engine.viz import verification_figures as _verification_figures

from .storms import VIL_THRESHOLDS, _event, _stamp

VERIFY_T_IN, VERIFY_T_OUT = 13, 12  # Earthformer's SEVIR windows: 65 min of context, 60 min ahead
VERIFY_POOLS: tuple[int, ...] = (4, 1)  # 384 -> 96 (the demo models' resolution) and native
ENSEMBLE_MODELS: tuple[str, ...] = ("steps",)
FIRST_FAMILY = "earthformer"  # listed first: the model the app is about


def verification_baselines() -> list[str]:
    return api.baseline_names("sevir")


# ============================================================================= model catalog
def _catalog_stamp() -> tuple:
    """Folder list + checkpoint files' sizes and mtimes: a changed folder is rescanned at once."""
    return api.model_folder_stamp()


@st.cache_data(max_entries=4, show_spinner=False)
def _catalog(stamp: tuple) -> tuple[list, list[str]]:
    entries, problems = api.forecast_models("sevir")
    entries = sorted(entries, key=lambda e: e.family != FIRST_FAMILY)  # stable: folder order otherwise
    return entries, [f"{p.path.name} ({p.folder}): {p.message}" for p in problems]


def model_catalog() -> tuple[list, list[str]]:
    """(SEVIR catalog entries, Earthformer first; one line per skipped checkpoint).

    A misconfigured folder list (``EFS_MODEL_DIRS``, ``[[models]]``) is one problem line and an
    empty list, so the pages keep working with the baselines.
    """
    try:
        return _catalog(_catalog_stamp())
    except ValueError as error:
        return [], [f"the model folders are misconfigured: {error}"]


def trained_models() -> list[str]:
    """Labels of the usable SEVIR checkpoints in the model folders (Earthformer first)."""
    return [entry.label for entry in model_catalog()[0]]


def checkpoint_entry(label: str):
    """The catalog entry (``api.CatalogEntry``) of ``label``; ValueError listing the labels otherwise."""
    entries = model_catalog()[0]
    for entry in entries:
        if entry.label == label:
            return entry
    raise ValueError(f"model: expected one of {[e.label for e in entries] or 'no checkpoint'}, got {label!r}")


def checkpoint_key(label: str) -> tuple[str, int]:
    """(directory, weights mtime) of a checkpoint label: the cache key of its results (paths stay here)."""
    path = Path(checkpoint_entry(label).path)
    weights = path / "model.safetensors"
    return str(path), weights.stat().st_mtime_ns if weights.is_file() else 0


# ============================================================================= event windows
def window_starts(n_frames: int, t_in: int = VERIFY_T_IN, t_out: int = VERIFY_T_OUT, step: int = 1) -> list[int]:
    """First frames of every window of ``t_in + t_out`` frames (13 + 12 by default), one every ``step``
    frames (2 for SEVIR-LR's 10-minute frames), inside an event of ``n_frames``."""
    span = (t_in + t_out - 1) * step + 1
    if n_frames < span:
        raise ValueError(f"event: expected at least {span} frames, got {n_frames}")
    return list(range(n_frames - span + 1))


def event_window(name: str, stamp: tuple[str, int], event_id: str, start: int, pool: int, t_in: int = VERIFY_T_IN,
                 t_out: int = VERIFY_T_OUT, step: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """(context (t_in, H', W'), observed (t_out, H', W')) float32 pixels 0..255, max-pooled by ``pool``,
    every ``step``-th frame from ``start``."""
    vil = _event(name, stamp, event_id).vil
    starts = window_starts(vil.shape[0], t_in, t_out, step)
    if start not in starts:
        raise ValueError(f"window start: expected a frame in 0..{starts[-1]}, got {start}")
    t, h, w = vil.shape
    if pool < 1 or h % pool or w % pool:
        raise ValueError(f"resolution: expected a pool factor dividing {h} x {w}, got {pool}")
    frames = vil[start:start + (t_in + t_out - 1) * step + 1:step].astype(np.float32)
    frames = frames.reshape(-1, h // pool, pool, w // pool, pool).max(axis=(2, 4))  # (t_in + t_out, H', W')
    return frames[:t_in], frames[t_in:]


@st.cache_data(max_entries=32, show_spinner=False)
def _verify_model(name: str, stamp: tuple[str, int], event_id: str, model: str | tuple[str, int], start: int,
                  pool: int, members: int | None, seed: int) -> dict:
    """``model``: a baseline name, or a checkpoint's (directory, weights mtime)."""
    context, observed = event_window(name, stamp, event_id, start, pool)
    if isinstance(model, str):
        forecast = api.run_baseline(model, context, VERIFY_T_OUT, members=members, seed=seed)
    else:  # checkpoints take and return SEVIR's [0, 1] units
        forecast = 255.0 * api.run_learned_baseline(model[0], context / 255.0, VERIFY_T_OUT)
    forecast = forecast[:, None] if forecast.ndim == 4 else forecast[None]  # (M, 1, T, H, W) or (1, T, H, W)
    return api.score_sevir(forecast, observed[None])


def verify_event(name: str, event_id: str, models: Sequence[str], start: int, pool: int, members: int,
                 seed: int = 0, progress=None) -> dict[str, dict]:
    """Scores (``api.score_sevir``) of each model (a baseline name or a catalog label) on one window
    of an event, keyed by that name.

    ``members`` and ``seed`` only reach ensemble models, so changing them never recomputes the
    others; ``progress(fraction, message)`` is called before each model.
    """
    out = {}
    for i, model in enumerate(models):
        if progress is not None:
            progress(i / len(models), f"Running {model} ({i + 1}/{len(models)})…")
        ensemble = model in ENSEMBLE_MODELS
        try:
            key = model if model in verification_baselines() else checkpoint_key(model)
            out[model] = _verify_model(name, _stamp(name), event_id, key, start, pool,
                                       members if ensemble else None, seed if ensemble else 0)
        except ValueError as error:  # say which model failed: the engine's message names the argument
            raise ValueError(f"{model}: {error}") from error
    return out


@st.cache_data(max_entries=8, show_spinner=False)
def _verify_split(name: str, stamp: tuple[str, int], specs: tuple[str | tuple[str, int], ...], limit: int,
                  members: int | None, _progress=None) -> dict:
    """``specs``: baseline names and checkpoints' (directory, weights mtime)."""
    return api.evaluate_forecaster([s if isinstance(s, str) else s[0] for s in specs], "sevir", source=name,
                                   split="test", limit=limit, members=members, progress=_progress)


def verify_split(name: str, models: Sequence[str], limit: int, members: int, progress=None) -> dict:
    """``api.evaluate_forecaster`` over the first ``limit`` test windows (native frames), cached;
    ``report["models"]`` is keyed by the names in ``models`` (baselines and catalog labels)."""
    ensemble = any(m in ENSEMBLE_MODELS for m in models)
    specs = tuple(m if m in verification_baselines() else checkpoint_key(m) for m in models)
    report = _verify_split(name, _stamp(name), specs, int(limit), members if ensemble else None, progress)
    return {**report, "models": dict(zip(models, report["models"].values()))}  # the engine keeps the order


def verification_figures(scores: dict[str, dict]) -> tuple[go.Figure, go.Figure, go.Figure]:
    """(CSI by lead per threshold, CSI-M and MSE by lead, scores per threshold) of ``{label: scores}``."""
    return (_verification_figures.csi_by_lead_figure(scores, VIL_THRESHOLDS),
            _verification_figures.lead_summary_figure(scores),
            _verification_figures.threshold_bars_figure(scores, VIL_THRESHOLDS))


def verification_table(scores: dict[str, dict]) -> pd.DataFrame:
    table = pd.DataFrame(_verification_figures.summary_rows(scores, VIL_THRESHOLDS))
    return table.dropna(axis=1, how="all")  # no CRPS column without an ensemble
