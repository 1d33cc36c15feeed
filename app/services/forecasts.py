"""Forecast panel of the storm explorer: one model forecasts one window of an event.

A model is a trained SEVIR checkpoint of the catalog (``api.forecast_models``, passed here by its
label), a PreDiff set (the mean of an unguided ensemble; the Scenario lab shows its members) or a
baseline (persistence, optical_flow, steps). Checkpoints run at the resolution they
were trained at: the event frames are max-pooled by (frame size / model frame size), 4 for the
demo Earthformer (384 -> 96) and 1 for a converted published SEVIR checkpoint. Baselines run at a
chosen pool, so a baseline and a model compare on the same window at the same resolution.

Each (source, event, model, window start, resolution) is computed once (``st.cache_data``) and
loaded networks are kept with ``st.cache_resource``: coming back to a result never recomputes.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from engine import api
from engine.viz import forecast_figures as _figures
from engine.viz.storm_figures import downsample_max

from . import scenarios as _scenarios
from .storms import MAX_PLAYER_SIDE, VIL_THRESHOLDS, _event, _stamp
from .verification import (ENSEMBLE_MODELS, VERIFY_POOLS, VERIFY_T_IN, VERIFY_T_OUT, checkpoint_entry, checkpoint_key,
                           event_window, model_catalog, trained_models, verification_baselines, window_starts)

STEPS_MEMBERS = 4  # the STEPS forecast shown is the mean of this many members (seed 0)
LR_STEP = 2  # SEVIR-LR checkpoints take every 2nd frame (10 minutes apart; 3 x 3 pooling is the resolution's)
RESULTS_KEPT = 8  # results a session can switch between without pressing Run again
PREDIFF_MEMBERS = 8  # a PreDiff set's forecast here is the mean of this many unguided members (seed 0)


@dataclass(frozen=True)
class ForecastResult:
    """One model's forecast of one event window, at the model's resolution.

    observed, forecast : (T_out, H', W') float32 VIL pixels (0..255; a network may leave that range).
    lead_minutes : (T_out,) minutes after the last context frame.
    pool : max-pool factor from the event's frames (pixels are ``pool`` km wide).
    step : event frames per model frame (2 for SEVIR-LR).
    scores : ``api.score_sevir`` of this window (``"all"`` and ``"lead"``).
    """

    model: str
    event_id: str
    start: int
    t_in: int
    pool: int
    step: int
    observed: np.ndarray
    forecast: np.ndarray
    lead_minutes: np.ndarray
    scores: dict


# ============================================================================= choices
def forecast_choices() -> list[str]:
    """Trained checkpoints (catalog labels, Earthformer first), PreDiff sets, then the baselines."""
    return trained_models() + list(_prediff_sets()) + verification_baselines()


def _prediff_sets() -> dict[str, str]:
    """{choice label: PreDiff set label} of the usable sets in the model folders."""
    return {f"{entry.label} (PreDiff, mean of {PREDIFF_MEMBERS})": entry.label
            for entry in _scenarios.scenario_sets()[0]}


def is_prediff(model: str) -> bool:
    return model in _prediff_sets()


def catalog_problems() -> list[str]:
    """One line per skipped checkpoint (or misconfigured model folder list)."""
    return model_catalog()[1]


def is_baseline(model: str) -> bool:
    return model in verification_baselines()


def model_window(model: str) -> tuple[int, int]:
    """(T_in, T_out) of a model: the checkpoint's own, 13 and 12 for the baselines."""
    if is_baseline(model):
        return VERIFY_T_IN, VERIFY_T_OUT
    if is_prediff(model):
        entry = _scenarios.scenario_set(_prediff_sets()[model])
        return entry.context_frames, entry.target_frames
    entry = checkpoint_entry(model)
    return int(entry.input_shape[0]), int(entry.target_shape[0])


def model_step(model: str) -> int:
    """Event frames per model frame: 2 for SEVIR-LR checkpoints (trained or converted), else 1."""
    if is_baseline(model) or is_prediff(model):
        return 1
    metadata = checkpoint_entry(model).metadata
    data = metadata.get("data") if isinstance(metadata.get("data"), dict) else {}
    return LR_STEP if data.get("downsampling") == "lr" or metadata.get("preset") == "sevir_lr" else 1


def model_starts(model: str, n_frames: int) -> list[int]:
    """First frames of every window of ``model`` in an event of ``n_frames``; ValueError if too short."""
    return window_starts(n_frames, *model_window(model), model_step(model))


def model_note(model: str) -> str | None:
    """One sentence on how a checkpoint forecasts when it is not on its own (a base forecast), else None."""
    if is_baseline(model) or is_prediff(model):
        return None
    if checkpoint_entry(model).base_forecast == "optical_flow":
        return ("It corrects the optical-flow extrapolation of the same frames (a gain and an offset per pixel), "
                "a variant of the published Earthformer.")
    return None


def checkpoint_pool(model: str, frame: tuple[int, int]) -> int:
    """Max-pool factor taking ``frame`` (H, W) to the checkpoint's frames; ValueError if none does."""
    if is_prediff(model):
        return _scenarios.set_pool(_prediff_sets()[model], frame)
    entry = checkpoint_entry(model)
    _, mh, mw, channels = entry.input_shape
    h, w = frame
    if channels != 1:
        raise ValueError(f"model {model}: expected a VIL model with 1 channel, got {channels} channels")
    if h % mh or w % mw or h // mh != w // mw:
        raise ValueError(f"model {model} takes {mh} x {mw} frames: expected event frames that max-pooling by one "
                         f"integer factor turns into that, got {h} x {w}")
    return h // mh


def baseline_pools(frame: tuple[int, int]) -> list[int]:
    """Pools offered to baselines: the trained models' first (so results compare), then 4 and native."""
    h, w = frame
    pools = []
    for model in trained_models():
        try:
            pools.append(checkpoint_pool(model, frame))
        except ValueError:  # a model for other frames: no resolution to match
            continue
    pools += [p for p in VERIFY_POOLS if h % p == 0 and w % p == 0]
    return list(dict.fromkeys(pools)) or [1]


def resolution_text(frame: tuple[int, int], pool: int) -> str:
    h, w = frame
    how = "native frames" if pool == 1 else f"frames max-pooled by {pool}"
    return f"{h // pool} x {w // pool} px of {pool} km ({how})"


# ============================================================================= running
def forecast_request(name: str, event_id: str, model: str, start: int, pool: int) -> tuple:
    """The hashable identity of one forecast (a checkpoint's weights' mtime included)."""
    weights = 0 if is_baseline(model) else _model_key(model)[1]
    return name, event_id, model, weights, int(start), int(pool)


@st.cache_resource(max_entries=4, show_spinner=False)
def _forecaster(directory: str, mtime: int):
    """A loaded network, shared by every session (read-only: ``predict`` never changes it)."""
    return api.load_forecaster(directory, "auto")


@st.cache_data(max_entries=16, show_spinner=False)
def _run(name: str, stamp: tuple[str, int], event_id: str, model: str, key: str | tuple[str, int], start: int,
         pool: int, t_in: int, t_out: int, step: int, _progress=None) -> ForecastResult:
    report = _progress or (lambda fraction, message: None)
    report(0.05, "Reading the window…")
    context, observed = event_window(name, stamp, event_id, start, pool, t_in, t_out, step)  # float32 pixels
    if isinstance(key, str):
        report(0.2, f"Running {model}…")
        members = STEPS_MEMBERS if model in ENSEMBLE_MODELS else None
        forecast = np.asarray(api.run_baseline(model, context, t_out, members=members, seed=0), dtype=np.float32)
        forecast = forecast.mean(axis=0) if forecast.ndim == 4 else forecast  # STEPS: the ensemble mean
    elif len(key) == 3:  # a PreDiff set (directory, weights mtime, "prediff"): the mean of its members
        report(0.1, f"Loading {model}…")
        sampler = _scenarios.set_forecaster(key[0], key[1], _scenarios.MEMORY_BUDGET_BYTES)
        result = api.run_scenario(sampler, context / np.float32(255.0), members=PREDIFF_MEMBERS, seed=0,
                                  progress=lambda fraction, message: report(0.1 + 0.8 * fraction, message))
        forecast = np.float32(255.0) * result.frames.mean(axis=0)
    else:  # checkpoints take and return SEVIR's [0, 1] units, (N, T, H, W, C)
        report(0.1, f"Loading {model}…")
        forecaster = _forecaster(*key)
        report(0.3, f"Forecasting with {model}…")
        inputs = (context / np.float32(255.0))[None, ..., None]
        forecast = np.float32(255.0) * forecaster.predict(inputs)[0, ..., 0]
    report(0.9, "Scoring…")
    scores = api.score_sevir(forecast[None], observed[None])
    offsets = np.asarray(_event(name, stamp, event_id).minute_offsets, dtype=float)
    frames = start + step * np.arange(t_in + t_out)  # the event frames the window took
    leads = offsets[frames[t_in:]] - offsets[frames[t_in - 1]]
    return ForecastResult(model, event_id, start, t_in, pool, step, observed, forecast, leads,
                          {"all": scores["all"], "lead": scores["lead"]})


def run_forecast(request: tuple, progress=None) -> ForecastResult:
    """Compute (or fetch from the cache) the forecast of ``forecast_request(...)``.

    ``progress(fraction, message)`` reports the stages of a new computation. ValueError (bad window,
    resolution or model) names the model.
    """
    name, event_id, model, _, start, pool = request
    try:
        key = model if is_baseline(model) else _model_key(model)
        return _run(name, _stamp(name), event_id, model, key, start, pool, *model_window(model), model_step(model),
                    progress)
    except ValueError as error:  # say which model failed: the engine's message names the argument
        raise ValueError(f"{model}: {error}") from error


def _model_key(model: str) -> tuple:
    """What identifies a model's weights: (directory, mtime) of a checkpoint, plus "prediff" for a set."""
    if is_prediff(model):
        return (*_scenarios.set_weights_key(_prediff_sets()[model]), "prediff")
    return checkpoint_key(model)


# ============================================================================= showing
def result_caption(result: ForecastResult) -> str:
    t_out = result.forecast.shape[0]
    frame = (result.observed.shape[1] * result.pool, result.observed.shape[2] * result.pool)
    what = f"mean of {STEPS_MEMBERS} STEPS members" if result.model in ENSEMBLE_MODELS else result.model
    shown = display_pool(result)
    lighter = f" The animation max-pools them by {shown} more; the scores use every pixel." if shown > 1 else ""
    every = f" (one frame in {result.step}: {5 * result.step}-minute steps)" if result.step > 1 else ""
    return (f"{what} on {result.event_id}: {result.t_in} context frames from frame {result.start}{every}, "
            f"{t_out} forecast frames ({result.lead_minutes[0]:.0f} to {result.lead_minutes[-1]:.0f} min ahead), "
            f"at {resolution_text(frame, result.pool)}.{lighter}")


def display_pool(result: ForecastResult) -> int:
    """2 when the frames are larger than the player shows comfortably (a 4x lighter animation)."""
    h, w = result.observed.shape[1:]
    return 2 if max(h, w) > MAX_PLAYER_SIDE and h % 2 == 0 and w % 2 == 0 else 1


def forecast_figures(result: ForecastResult) -> tuple[go.Figure, go.Figure, pd.DataFrame]:
    """(observed | forecast | difference player, per-lead scores figure, per-lead score table)."""
    shown = display_pool(result)
    observed, forecast = (downsample_max(_figures.to_pixels(a), shown) for a in (result.observed, result.forecast))
    player = _figures.forecast_player_figure(observed, forecast, result.lead_minutes, title=result.event_id,
                                             forecast_name=result.model, km_per_pixel=float(result.pool * shown))
    lead = result.scores["lead"]
    scores = _figures.lead_scores_figure(lead, result.lead_minutes, VIL_THRESHOLDS)
    return player, scores, pd.DataFrame(_figures.lead_score_rows(lead, result.lead_minutes, VIL_THRESHOLDS))
