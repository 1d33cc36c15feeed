"""Storm explorer: configured SEVIR sources, the event table, footprint map, VIL player and stats.

Sources are names from the run-time configuration (never paths typed in the browser). Every
cached function takes the catalog's modification stamp, so regenerated data is never stale.
"""
from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from engine import api
from engine.viz import maps as _maps
from engine.viz import storm_figures as _storm_figures

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
