"""Forecasts of one event window (or the test split), scored per lead time and threshold.

Each (model, window, resolution[, members, seed]) is computed once and cached: a slider move
never recomputes.
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
MODELS_DIR = Path(__file__).resolve().parents[2] / "assets" / "models"
ENSEMBLE_MODELS: tuple[str, ...] = ("steps",)


def verification_baselines() -> list[str]:
    return api.baseline_names("sevir")


def trained_models(root: Path | None = None) -> list[str]:
    """Checkpoint directories under ``root`` (default assets/models) that hold a config.json."""
    root = MODELS_DIR if root is None else root
    return sorted(str(p.parent) for p in root.glob("*/config.json")) if root.is_dir() else []


def model_label(model: str) -> str:
    return Path(model).name if model not in verification_baselines() else model


def window_starts(n_frames: int) -> list[int]:
    """First frames of every 13 + 12 window inside an event of ``n_frames`` frames."""
    last = n_frames - VERIFY_T_IN - VERIFY_T_OUT
    if last < 0:
        raise ValueError(f"event: expected at least {VERIFY_T_IN + VERIFY_T_OUT} frames, got {n_frames}")
    return list(range(last + 1))


def _window(name: str, stamp: tuple[str, int], event_id: str, start: int, pool: int) -> tuple[np.ndarray, np.ndarray]:
    """(context (13, H', W'), observed (12, H', W')) float32 pixels, max-pooled by ``pool``."""
    vil = _event(name, stamp, event_id).vil
    if start not in window_starts(vil.shape[0]):
        raise ValueError(f"window start: expected a frame in 0..{vil.shape[0] - VERIFY_T_IN - VERIFY_T_OUT}, got {start}")
    t, h, w = vil.shape
    if h % pool or w % pool:
        raise ValueError(f"resolution: expected a pool factor dividing {h} x {w}, got {pool}")
    frames = vil[start:start + VERIFY_T_IN + VERIFY_T_OUT].astype(np.float32)
    frames = frames.reshape(-1, h // pool, pool, w // pool, pool).max(axis=(2, 4))  # (25, H', W')
    return frames[:VERIFY_T_IN], frames[VERIFY_T_IN:]


@st.cache_data(max_entries=32, show_spinner=False)
def _verify_model(name: str, stamp: tuple[str, int], event_id: str, model: str, start: int, pool: int,
                  members: int | None, seed: int) -> dict:
    context, observed = _window(name, stamp, event_id, start, pool)
    if model in verification_baselines():
        forecast = api.run_baseline(model, context, VERIFY_T_OUT, members=members, seed=seed)
    else:  # checkpoints take and return SEVIR's [0, 1] units
        forecast = 255.0 * api.run_learned_baseline(model, context / 255.0, VERIFY_T_OUT)
    forecast = forecast[:, None] if forecast.ndim == 4 else forecast[None]  # (M, 1, T, H, W) or (1, T, H, W)
    return api.score_sevir(forecast, observed[None])


def verify_event(name: str, event_id: str, models: Sequence[str], start: int, pool: int, members: int,
                 seed: int = 0, progress=None) -> dict[str, dict]:
    """Scores (``api.score_sevir``) of each model on one window of an event, keyed by model label.

    ``members`` and ``seed`` only reach ensemble models, so changing them never recomputes the
    others; ``progress(fraction, message)`` is called before each model.
    """
    out = {}
    for i, model in enumerate(models):
        if progress is not None:
            progress(i / len(models), f"Running {model_label(model)} ({i + 1}/{len(models)})…")
        ensemble = model in ENSEMBLE_MODELS
        try:
            out[model_label(model)] = _verify_model(name, _stamp(name), event_id, model, start, pool,
                                                    members if ensemble else None, seed if ensemble else 0)
        except ValueError as error:  # say which model failed: the engine's message names the argument
            raise ValueError(f"{model_label(model)}: {error}") from error
    return out


@st.cache_data(max_entries=8, show_spinner=False)
def _verify_split(name: str, stamp: tuple[str, int], models: tuple[str, ...], limit: int, members: int | None,
                  _progress=None) -> dict:
    return api.evaluate_forecaster(list(models), "sevir", source=name, split="test", limit=limit, members=members,
                                   progress=_progress)


def verify_split(name: str, models: Sequence[str], limit: int, members: int, progress=None) -> dict:
    """``api.evaluate_forecaster`` over the first ``limit`` test windows (native frames), cached."""
    ensemble = any(m in ENSEMBLE_MODELS for m in models)
    return _verify_split(name, _stamp(name), tuple(models), int(limit), members if ensemble else None, progress)


def verification_figures(scores: dict[str, dict]) -> tuple[go.Figure, go.Figure, go.Figure]:
    """(CSI by lead per threshold, CSI-M and MSE by lead, scores per threshold) of ``{label: scores}``."""
    return (_verification_figures.csi_by_lead_figure(scores, VIL_THRESHOLDS),
            _verification_figures.lead_summary_figure(scores),
            _verification_figures.threshold_bars_figure(scores, VIL_THRESHOLDS))


def verification_table(scores: dict[str, dict]) -> pd.DataFrame:
    table = pd.DataFrame(_verification_figures.summary_rows(scores, VIL_THRESHOLDS))
    return table.dropna(axis=1, how="all")  # no CRPS column without an ensemble
