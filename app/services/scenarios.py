"""Scenario lab: PreDiff ensembles of one storm window, with knowledge control, and their figures.

Sets are labels from ``api.scenario_sets`` (the model folders), resolved to directories only here.
Loaded networks are kept with ``st.cache_resource``; every ensemble is computed once per
(set, source, event, start, members, steps, seed, n, mode) with a bounded ``st.cache_data``, so a
threshold or view change never samples again.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import plotly.graph_objects as go
import streamlit as st

from engine import api
from engine.viz import scenario_figures as _figures

from .storms import VIL_THRESHOLDS, _event, _stamp

N_RANGE = (-4.0, 4.0)
MEMBERS_SHOWN = 8  # member panels drawn (more members still count in the mean, probabilities and scores)
MEMORY_BUDGET_BYTES = 512 * 2**20  # what one ensemble may hold on the app's machine
RESULTS_KEPT = 6  # ensembles a session can switch back to at once


@dataclass(frozen=True)
class Scenario:
    """One ensemble and what it is compared with; arrays in [0, 1] VIL units, frames (T, H, W)."""

    request: tuple
    result: object  # api.ScenarioResult
    context: np.ndarray
    observed: np.ndarray
    deterministic: np.ndarray
    deterministic_name: str
    lead_minutes: np.ndarray
    pool: int
    scores: dict  # CRPS and MAE (ensemble mean) of PreDiff, MAE of the deterministic forecast


# ============================================================================= events
def event_choices(table) -> tuple[list[str], dict[str, str]]:
    """(ids in picker order, label per id) of a storm-event table (columns id, split, event_type).

    Test-split events come first (unseen in training) and among them storm reports (Hail,
    Tornado, ...) before random patches, which are mostly weak: a demo of extreme scenarios
    starts on a storm. Labels name the report type and the split, e.g. "S630276 · Hail (test)".
    """
    splits = dict(zip(table["id"], table["split"]))
    types = {i: t for i, t in zip(table["id"], table["event_type"]) if isinstance(t, str) and t}
    ids = sorted(splits, key=lambda i: (splits[i] != "test", i not in types, i))
    labels = {i: f"{i} · {types[i]} ({splits[i]})" if i in types else f"{i} ({splits[i]})" for i in ids}
    return ids, labels


# ============================================================================= sets
@st.cache_data(max_entries=4, show_spinner=False)
def _sets(stamp: tuple) -> tuple[list, list[str]]:
    sets, problems = api.scenario_sets()
    return sets, [f"{p.path.name} ({p.folder}): {p.message}" for p in problems]


def scenario_sets() -> tuple[list, list[str]]:
    """(usable ``api.ScenarioSet`` entries, one line per skipped set); a misconfigured folder list is a line."""
    try:
        return _sets(api.scenario_sets_stamp())
    except ValueError as error:
        return [], [f"the model folders are misconfigured: {error}"]


def scenario_set(label: str):
    for entry in scenario_sets()[0]:
        if entry.label == label:
            return entry
    raise ValueError(f"PreDiff set: expected one of {[s.label for s in scenario_sets()[0]]}, got {label!r}")


def set_weights_key(label: str) -> tuple[str, int]:
    path = Path(scenario_set(label).path)
    return str(path), max(f.stat().st_mtime_ns for f in path.glob("*/model.safetensors"))


@st.cache_resource(max_entries=2, show_spinner=False)
def set_forecaster(directory: str, mtime: int, budget: int):
    """Loaded networks shared by every session (sampling never changes them)."""
    return api.load_scenario_forecaster(directory, budget)


# ============================================================================= windows
def set_pool(label: str, frame: tuple[int, int]) -> int:
    """Max-pool factor from the event's (H, W) frames to the set's; ValueError when none fits."""
    entry = scenario_set(label)
    sh, sw, _ = entry.frame_shape
    h, w = frame
    if h % sh or w % sw or h // sh != w // sw:
        raise ValueError(f"PreDiff set {label} takes {sh} x {sw} frames: expected event frames that max-pooling by "
                         f"one integer factor turns into that, got {h} x {w}")
    return h // sh


def window_starts(label: str, n_frames: int) -> list[int]:
    entry = scenario_set(label)
    last = n_frames - entry.context_frames - entry.target_frames
    if last < 0:
        raise ValueError(f"event: expected at least {entry.context_frames + entry.target_frames} frames for "
                         f"{label}, got {n_frames}")
    return list(range(last + 1))


def earthformer_labels(label: str) -> list[str]:
    """The catalog's SEVIR Earthformers that forecast this set's window (the first is the default)."""
    try:
        return [entry.label for entry in api.scenario_earthformers(scenario_set(label))]
    except ValueError:  # misconfigured model folders: no Earthformer, the page still works
        return []


def _earthformer_dir(label: str, choice: str | None) -> tuple[str, int] | None:
    """(directory, weights mtime) of the chosen fitting Earthformer, else the first; None if none fits."""
    try:
        found = api.scenario_earthformers(scenario_set(label))
    except ValueError:
        return None
    if not found:
        return None
    entry = next((e for e in found if e.label == choice), found[0])
    weights = Path(entry.path) / "model.safetensors"
    return str(entry.path), weights.stat().st_mtime_ns if weights.is_file() else 0


# ============================================================================= running
def scenario_request(label: str, source: str, event_id: str, start: int, members: int, steps: int, seed: int,
                     n_sigma: float | None, mode: str, deterministic: str | None = None) -> tuple:
    """``deterministic``: label of the Earthformer shown beside the ensemble and giving μ in forecast
    mode (``earthformer_labels``); None or an unknown label: the first."""
    return (label, source, event_id, int(start), int(members), int(steps), int(seed),
            None if n_sigma is None else float(n_sigma), mode, deterministic)


@st.cache_data(max_entries=16, show_spinner=False)
def _run(set_key: tuple[str, int], budget: int, source: str, stamp: tuple, event_id: str, start: int, members: int,
         steps: int, seed: int, n_sigma: float | None, mode: str, earthformer: tuple[str, int] | None,
         request: tuple, _progress=None) -> Scenario:
    report = _progress or (lambda fraction, message: None)
    event = _event(source, stamp, event_id)
    forecaster = set_forecaster(*set_key, budget)
    models = forecaster.models
    h, w, _ = models.frame_shape
    pool = event.vil.shape[1] // h
    context, observed = api.scenario_window(event.vil, start, pool, models.context_frames, models.target_frames)
    report(0.02, "Deterministic forecast…")
    deterministic, name = api.anticipated_forecast(context, models.target_frames,
                                                   None if earthformer is None else earthformer[0])
    result = api.run_scenario(forecaster, context, members=members, steps=steps, seed=seed, n_sigma=n_sigma,
                              mode=mode, anticipated=deterministic, observed=observed,
                              progress=lambda f, message: report(0.05 + 0.95 * f, message))
    scores = {"PreDiff": api.scenario_scores(result.frames, observed),
              name: api.scenario_scores(deterministic[None], observed)}
    offsets = np.asarray(event.minute_offsets, dtype=float)
    t_in, t_out = models.context_frames, models.target_frames
    leads = offsets[start + t_in:start + t_in + t_out] - offsets[start + t_in - 1]
    return Scenario(request, result, context, observed, deterministic, name, leads, pool, scores)


def run_scenario(request: tuple, progress=None) -> Scenario:
    """Compute (or fetch from the cache) the ensemble of ``scenario_request(...)``.

    ``progress(fraction, message)`` reports a new computation. Bad n, ensemble sizes, windows or
    sets raise ValueError with one message.
    """
    label, source, event_id, start, members, steps, seed, n_sigma, mode, deterministic = request
    if n_sigma is not None and not N_RANGE[0] <= n_sigma <= N_RANGE[1]:
        raise ValueError(f"n: expected a value in [-4, 4], got {n_sigma:g}")
    if members < 1:
        raise ValueError(f"members: expected an ensemble size of at least 1, got {members}")
    return _run(set_weights_key(label), MEMORY_BUDGET_BYTES, source, _stamp(source), event_id, start, members, steps, seed,
                n_sigma, mode, _earthformer_dir(label, deterministic), request, progress)


# ============================================================================= showing
def _pixels(x: np.ndarray) -> np.ndarray:
    return np.asarray(x, dtype=np.float32) * np.float32(255.0)


@st.cache_data(max_entries=8, show_spinner=False)
def _members_figure(request: tuple, seconds: float, _scenario: Scenario) -> go.Figure:
    """Keyed by the request and its sampling time (unique per computed ensemble): about 0.8 s to build."""
    scenario = _scenario
    frames = scenario.result.frames[:MEMBERS_SHOWN]
    return _figures.member_grid_figure(_pixels(frames), scenario.lead_minutes, observed=_pixels(scenario.observed),
                                       deterministic=_pixels(scenario.deterministic),
                                       deterministic_name=scenario.deterministic_name, title=scenario.request[2],
                                       km_per_pixel=float(scenario.pool))


def members_figure(scenario: Scenario) -> go.Figure:
    """Observed, deterministic and the first MEMBERS_SHOWN members, animated together (cached per ensemble)."""
    return _members_figure(scenario.request, scenario.result.seconds, scenario)


def probability_figure(scenario: Scenario, threshold: int) -> go.Figure:
    """Ensemble mean beside P(VIL >= threshold): numpy on the cached members, no sampling."""
    if threshold not in VIL_THRESHOLDS:
        raise ValueError(f"threshold: expected one of {list(VIL_THRESHOLDS)}, got {threshold}")
    frames = scenario.result.frames
    return _figures.probability_figure(_pixels(frames.mean(axis=0)), api.exceedance_map(frames, threshold),
                                       scenario.lead_minutes, threshold, title=scenario.request[2],
                                       km_per_pixel=float(scenario.pool))


def intensity_figure(scenario: Scenario) -> go.Figure:
    r = scenario.result

    def px(x):
        return None if x is None else 255.0 * x

    return _figures.intensity_figure(255.0 * r.intensity, scenario.lead_minutes, target=px(r.target), sigma=px(r.sigma),
                                     mu=px(r.mu), observed=255.0 * scenario.observed.mean(axis=(1, 2)),
                                     deterministic=255.0 * scenario.deterministic.mean(axis=(1, 2)),
                                     deterministic_name=scenario.deterministic_name)


def summary(scenario: Scenario) -> dict:
    """Headline numbers of an ensemble, in pixel units (0..255) where they are intensities."""
    r = scenario.result
    return {"members": r.frames.shape[0], "target_px": None if r.target is None else 255.0 * r.target,
            "mu_px": None if r.mu is None else 255.0 * r.mu, "sigma_px": 255.0 * r.sigma,
            "achieved_px": 255.0 * r.achieved, "mu_source": r.mu_source, "exceedance": r.exceedance,
            "training_max_px": None if r.training_max is None else 255.0 * r.training_max,
            "seconds": r.seconds, "network_calls": r.network_calls, "scores": scenario.scores}
