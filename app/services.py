"""The app's one door into the engine: pages call these functions, never ``engine`` directly.

Everything a page shows is computed here from ``engine.api`` (the facade) and drawn with
``engine.viz`` (pure plotly figures). Results that cost more than a dictionary lookup are
cached with bounded ``st.cache_data`` so a rerun after a widget change stays instant.
"""
from __future__ import annotations

from typing import NamedTuple, Sequence

import numpy as np
import plotly.graph_objects as go
import streamlit as st

from engine import api
from engine.viz import cuboid_figures

Triple = tuple[int, int, int]

ATTENTION_COST_FORMULA: str = api.ATTENTION_COST_FORMULA
STRATEGIES: tuple[str, ...] = tuple(api.STRATEGIES)
# 'nearest' padding behaves like 'zeros' for what a query sees; the two that differ are offered.
PADDING_TYPES: tuple[str, ...] = tuple(p for p in api.PADDING_TYPES if p in ("zeros", "ignore"))
MAX_ELEMENTS = 4096  # largest T*H*W drawn in 3D: beyond it the view is slow and unreadable
PAPER_SHAPE: Triple = (6, 4, 4)  # Earthformer paper, Fig. 2
PAPER_CUBOID: Triple = (3, 2, 2)


class Layer(NamedTuple):
    """One cuboid self-attention layer as plain tuples (hashable, so cacheable)."""

    label: str
    cuboid_size: Triple
    strategy: tuple[str, str, str]
    shift_size: Triple


class LayerStats(NamedTuple):
    """What one query sees in one layer (``attended``/``padded_keys`` are None without a query)."""

    cuboid_size: Triple  # after clipping to the shape
    shift_size: Triple  # after clipping (dilated axes and short axes are never shifted)
    volume: int
    num_cuboids: int
    attended: int | None
    padded_keys: int | None


def _spec(layer: Layer) -> api.SelfAttentionSpec:
    return api.custom_layer(layer.cuboid_size, layer.strategy, layer.shift_size)


def _describe(cuboid: Sequence[int], strategy: Sequence[str], shift: Sequence[int]) -> str:
    kinds = set(strategy)
    kind = kinds.pop() if len(kinds) == 1 else "/".join(s[0].upper() for s in strategy)
    text = f"cuboid {tuple(cuboid)}, {kind}"
    return text + (f", shift {tuple(shift)}" if any(shift) else "")


# ----------------------------------------------------------------------------- layer choices
def paper_layers() -> list[Layer]:
    """The three decompositions of the Earthformer paper's Fig. 2 on a (6, 4, 4) tensor."""
    local, dilated = ("local",) * 3, ("dilated",) * 3
    return [
        Layer(f"Local {PAPER_CUBOID}", PAPER_CUBOID, local, (0, 0, 0)),
        Layer(f"Dilated {PAPER_CUBOID}", PAPER_CUBOID, dilated, (0, 0, 0)),
        Layer("Shifted (1, 1, 1), local", PAPER_CUBOID, local, (1, 1, 1)),
    ]


def pattern_names() -> list[str]:
    return api.self_pattern_names()


def pattern_layers(name: str, shape: Triple) -> list[Layer]:
    """The layers of one block of the named pattern on ``shape``; ``ValueError`` if unknown."""
    specs = api.pattern_layers(name, shape)
    return [
        Layer(f"Layer {i + 1}: {_describe(s.cuboid_size, s.strategy, s.shift_size)}", s.cuboid_size, s.strategy, s.shift_size)
        for i, s in enumerate(specs)
    ]


def custom_layer(cuboid_size: Sequence[int], strategy: Sequence[str], shift_size: Sequence[int]) -> Layer:
    cuboid, shift = tuple(int(v) for v in cuboid_size), tuple(int(v) for v in shift_size)
    return Layer(f"Custom: {_describe(cuboid, strategy, shift)}", cuboid, tuple(strategy), shift)  # type: ignore[arg-type]


def validate(shape: Triple, layers: Sequence[Layer], padding_type: str) -> None:
    """Raise the engine's ``ValueError`` (a readable message) if any layer is invalid on ``shape``."""
    for layer in layers:
        api.cuboid_layout(shape, _spec(layer), padding_type)


# ----------------------------------------------------------------------------- 3D views
@st.cache_data(max_entries=64, show_spinner=False)
def layer_view(
    shape: Triple,
    layer: Layer,
    padding_type: str,
    query: Triple | None,
    num_global_vectors: int,
    height: int = 420,
) -> tuple[go.Figure, LayerStats]:
    """3D figure of one layer's cuboids (optionally following ``query``) and its numbers."""
    layout = api.cuboid_layout(shape, _spec(layer), padding_type)
    decomp = layout.decomposition
    attended = padded = padded_keys = None
    if query is not None:
        attended_mask = api.attended_elements(layout, query)
        attended, padded = int(attended_mask.sum()), api.padded_keys_seen(layout, query)
        padded_keys = api.padded_keys(layout, query)
    else:
        attended_mask = None
        if decomp.is_padded:
            padded_keys = np.zeros(layout.padded_cuboid_id.shape, dtype=bool)
    fig = cuboid_figures.cuboid_figure(
        layout.cuboid_id, layout.position, attended=attended_mask, query=query, padded_keys=padded_keys,
        num_global_vectors=num_global_vectors, title=layer.label, height=height,
    )
    stats = LayerStats(decomp.cuboid_size, decomp.shift_size, decomp.volume, decomp.num_cuboids, attended, padded)
    return fig, stats


# ----------------------------------------------------------------------------- cost panel
@st.cache_data(max_entries=32, show_spinner=False)
def attention_costs(layers: tuple[Layer, ...], pattern: str | None, label: str) -> list[dict]:
    """Rows (level, method, gflops, score_mib, ratio_to_full) at the published Earthformer levels.

    A named ``pattern`` is re-resolved per level shape; otherwise ``layers`` are used as given.
    """
    specs = None if pattern else [_spec(layer) for layer in layers]
    rows = api.compare_attention_costs(specs, pattern)
    return [
        {
            "level": r.level,
            "method": f"chosen ({label})" if r.method.startswith("chosen") else r.method,
            "gflops": r.gflops,
            "score_mib": r.score_mib,
            "ratio_to_full": r.ratio_to_full,
        }
        for r in rows
    ]


def cost_figure(rows: Sequence[dict]) -> go.Figure:
    return cuboid_figures.attention_cost_figure(rows)


def earthformer_levels() -> list[dict]:
    """The level shapes the cost panel uses (published SEVIR and ICAR-ENSO configurations)."""
    return [
        {"level": lv.label, "T, H, W": str(lv.thw), "channels": lv.channels, "heads": lv.num_heads,
         "global vectors": lv.num_global_vectors}
        for lv in api.EARTHFORMER_LEVELS
    ]


# ============================================================================= storm explorer
# Sources are names from the run-time configuration (never paths typed in the browser). Every
# cached function takes the catalog's modification stamp, so regenerated data is never stale.
from datetime import date  # noqa: E402  (storm section kept together)

import pandas as pd  # noqa: E402

from engine.viz import maps as _maps  # noqa: E402
from engine.viz import storm_figures as _storm_figures  # noqa: E402

StormDataError = api.StormDataError
VIL_THRESHOLDS: tuple[int, ...] = tuple(api.VIL_THRESHOLDS)
STORM_SPLITS: tuple[str, ...] = ("train", "val", "test")
NAMED_REGIONS: tuple[str, ...] = tuple(_maps.NAMED_REGIONS)
US_STATES: tuple[str, ...] = tuple(_maps.US_STATES)
MAX_PLAYER_SIDE = 192  # larger frames are max-pooled 2x when downsampling is on (SEVIR: 384 -> 192)


def storm_source_names() -> list[str]:
    """Configured SEVIR sources, the embedded demo first; ValueError on a bad configuration."""
    return [s.name for s in api.storm_sources()]


def _source(name: str):
    for source in api.storm_sources():
        if source.name == name:
            return source
    raise StormDataError(f"storm data source: expected one of {storm_source_names()}, got {name!r}")


def demo_needs_generating(name: str) -> bool:
    source = _source(name)
    return source.is_demo and not (source.root / "CATALOG.csv").is_file()


def generate_demo(progress) -> None:
    """Write the embedded demo dataset; ``progress(fraction, message)`` reports along the way."""
    api.ensure_demo(progress=progress)


def _stamp(name: str) -> tuple[str, int]:
    catalog = _source(name).root / "CATALOG.csv"
    return str(catalog.resolve()), catalog.stat().st_mtime_ns if catalog.is_file() else 0


@st.cache_data(max_entries=16, show_spinner=False)
def _all_events(name: str, stamp: tuple[str, int]) -> pd.DataFrame:
    return api.storm_events(name)


@st.cache_data(max_entries=64, show_spinner=False)
def _filtered_events(name: str, stamp: tuple[str, int], event_type: str | None, start: date | None, end: date | None,
                     region: str | None, split: str | None) -> pd.DataFrame:
    bbox = _maps.region_bbox(region) if region else None
    table = api.storm_events(name, event_type=event_type, start=start, end=end, bbox=bbox)
    return table[table["split"] == split].reset_index(drop=True) if split else table


def storm_overview(name: str) -> dict:
    """Event types, date span and count of a source (for the filter widgets)."""
    table = _all_events(name, _stamp(name))
    times = pd.to_datetime(table["time_utc"])
    return {
        "event_types": sorted(t for t in table["event_type"].dropna().unique() if str(t).strip()),
        "first": times.min().date() if len(table) else None,
        "last": times.max().date() if len(table) else None,
        "count": len(table),
    }


def storm_events(name: str, event_type: str | None = None, start: date | None = None, end: date | None = None,
                 region: str | None = None, split: str | None = None) -> pd.DataFrame:
    """The filtered event table (``region``: a name from NAMED_REGIONS or US_STATES)."""
    return _filtered_events(name, _stamp(name), event_type, start, end, region, split)


@st.cache_data(max_entries=8, show_spinner=False)
def _event(name: str, stamp: tuple[str, int], event_id: str):
    return api.storm_event(name, event_id)


def storm_event(name: str, event_id: str):
    """One event (``StormEvent``: vil uint8 (T, H, W), minute_offsets, corners, proj, ...)."""
    return _event(name, _stamp(name), event_id)


@st.cache_data(max_entries=8, show_spinner=False)
def _footprint_png(name: str, stamp: tuple[str, int], event_id: str) -> bytes:
    event = _event(name, stamp, event_id)
    fig = _maps.footprint_map(event.corners, event.proj, image=event.vil.max(axis=0),
                              title=f"{event_id}: footprint and maximum VIL over the event")
    return _maps.figure_png(fig)


def footprint_png(name: str, event_id: str) -> bytes:
    """PNG of the event's footprint on CONUS (coastlines, borders, states; offline)."""
    return _footprint_png(name, _stamp(name), event_id)


@st.cache_data(max_entries=4, show_spinner=False)
def _player(name: str, stamp: tuple[str, int], event_id: str, downsample: bool) -> go.Figure:
    event = _event(name, stamp, event_id)
    h, w = event.vil.shape[1:]
    factor = 2 if downsample and max(h, w) > MAX_PLAYER_SIDE and h % 2 == 0 and w % 2 == 0 else 1
    return _storm_figures.vil_player_figure(event.vil, event.minute_offsets, title=event_id, downsample=factor)


def vil_player(name: str, event_id: str, downsample: bool = True) -> go.Figure:
    """The animated VIL player (2x max-pooled when ``downsample``: 4x smaller in the browser)."""
    return _player(name, _stamp(name), event_id, downsample)


@st.cache_data(max_entries=8, show_spinner=False)
def _stats(name: str, stamp: tuple[str, int], event_id: str) -> tuple[go.Figure, dict]:
    event = _event(name, stamp, event_id)
    areas, peak = _storm_figures.threshold_areas(event.vil, VIL_THRESHOLDS), _storm_figures.frame_max(event.vil)
    fig = _storm_figures.frame_stats_figure(areas, peak, event.minute_offsets, VIL_THRESHOLDS)
    top = int(np.argmax(peak))
    summary = {
        "max_vil_kg_m2": float(api.decode_vil(np.asarray(peak[top]))), "max_vil_minute": int(event.minute_offsets[top]),
        "max_area_km2": {t: float(a) for t, a in zip(VIL_THRESHOLDS, areas.max(axis=0))},
    }
    return fig, summary


def frame_stats(name: str, event_id: str) -> tuple[go.Figure, dict]:
    """Area above each threshold over time + max VIL (figure) and a few headline numbers."""
    return _stats(name, _stamp(name), event_id)


def threshold_kg_m2() -> dict[int, float]:
    return {t: float(api.decode_vil(np.asarray(t))) for t in VIL_THRESHOLDS}


# ============================================================================= verification
# Forecasts of one event window, scored per lead time and threshold. Each (model, window,
# resolution[, members, seed]) is computed once and cached: a slider move never recomputes.
from pathlib import Path  # noqa: E402

from engine.viz import verification_figures as _verification_figures  # noqa: E402

VERIFY_T_IN, VERIFY_T_OUT = 13, 12  # Earthformer's SEVIR windows: 65 min of context, 60 min ahead
VERIFY_POOLS: tuple[int, ...] = (4, 1)  # 384 -> 96 (the demo models' resolution) and native
MODELS_DIR = Path(__file__).resolve().parents[1] / "assets" / "models"
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
