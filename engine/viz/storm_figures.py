"""Storm figures from SEVIR VIL arrays (plotly): an animated player and frame statistics.

Inputs are encoded VIL movies ``(T, H, W)`` uint8 (SEVIR stores ``(H, W, T)`` per event; the
data layer hands them over time-first) and the event's minute offsets relative to ``time_utc``.
One SEVIR VIL pixel is 1 km x 1 km, so a pixel count is an area in km².
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from .vil_colormap import VIL_COLORS, VIL_THRESHOLDS, plotly_colorscale, threshold_ticks, vil_band, vil_kg_m2

FRAME_MS = 100  # about 10 frames per second: a 49-frame event plays in 5 s
PIXEL_KM = 1.0  # SEVIR VIL grid spacing


def _check_movie(vil: np.ndarray, minute_offsets: Sequence[float] | None = None) -> np.ndarray:
    vil = np.asarray(vil)
    if vil.ndim != 3:
        raise ValueError(f"vil: expected a (T, H, W) movie, got shape {vil.shape}")
    if vil.dtype != np.uint8:
        raise ValueError(f"vil: expected encoded uint8 pixels (0..255), got dtype {vil.dtype}")
    if minute_offsets is not None and len(minute_offsets) != vil.shape[0]:
        raise ValueError(f"minute_offsets: expected {vil.shape[0]} values (one per frame), got {len(minute_offsets)}")
    return vil


def downsample_max(vil: np.ndarray, factor: int) -> np.ndarray:
    """Max-pool each frame by ``factor`` (storm cores stay visible): (T, H, W) -> (T, H/f, W/f)."""
    vil = _check_movie(vil)
    if factor == 1:
        return vil
    t, h, w = vil.shape
    if factor < 1 or h % factor or w % factor:
        raise ValueError(f"downsample factor: expected a positive divisor of {h} and {w}, got {factor}")
    return vil.reshape(t, h // factor, factor, w // factor, factor).max(axis=(2, 4))


def _time_label(minutes: float) -> str:
    return f"{minutes:+.0f} min"


def vil_player_figure(
    vil: np.ndarray,
    minute_offsets: Sequence[float],
    *,
    title: str = "",
    downsample: int = 1,
    frame_ms: int = FRAME_MS,
    height: int = 620,
) -> go.Figure:
    """An animated heatmap of an encoded VIL movie with play/pause buttons and a frame slider.

    Parameters
    ----------
    vil : (T, H, W) uint8
        Encoded VIL (0..255); row 0 is the northern edge of the patch.
    minute_offsets : (T,) minutes relative to the event's ``time_utc``
        Shown as the slider labels and in the title of each frame.
    downsample : int
        Max-pool factor applied before plotting (2 cuts the payload 4x: about 1.8 MB for 49 frames).

    Frames stay uint8 (plotly serialises them as typed arrays), so the figure is about
    ``T * H * W / downsample**2`` bytes; the colour bar is labelled in kg/m² at the thresholds.
    """
    vil = downsample_max(_check_movie(vil, minute_offsets), downsample)
    km = np.arange(vil.shape[2]) * PIXEL_KM * downsample
    rows = np.arange(vil.shape[1]) * PIXEL_KM * downsample
    tickvals, ticktext = threshold_ticks()
    labels = [_time_label(m) for m in minute_offsets]
    heatmap = go.Heatmap(
        z=vil[0], x=km, y=rows, zmin=0, zmax=255, colorscale=plotly_colorscale(), zsmooth=False,
        colorbar={"title": {"text": "VIL (kg/m²)"}, "tickvals": tickvals, "ticktext": ticktext},
        hovertemplate="x %{x} km, y %{y} km<br>VIL %{z}<extra></extra>",
    )
    frames = [
        go.Frame(data=[go.Heatmap(z=frame)], traces=[0], name=str(i),
                 layout={"title": {"text": f"{title} · {labels[i]}".strip(" ·")}})
        for i, frame in enumerate(vil)
    ]
    play = {"frame": {"duration": frame_ms, "redraw": True}, "fromcurrent": True,
            "transition": {"duration": 0}, "mode": "immediate"}
    pause = {"frame": {"duration": 0, "redraw": False}, "mode": "immediate", "transition": {"duration": 0}}
    slider = {
        "active": 0, "x": 0.2, "len": 0.8, "y": 0, "pad": {"t": 40},
        "currentvalue": {"prefix": "t = ", "suffix": " from time_utc"},
        "steps": [
            {"label": labels[i], "method": "animate",
             "args": [[str(i)], {"frame": {"duration": 0, "redraw": True}, "mode": "immediate",
                                 "transition": {"duration": 0}}]}
            for i in range(len(frames))
        ],
    }
    fig = go.Figure(data=[heatmap], frames=frames)
    fig.update_layout(
        title={"text": f"{title} · {labels[0]}".strip(" ·")}, height=height,
        margin={"l": 50, "r": 20, "t": 50, "b": 20},
        xaxis={"title": "x (km)", "constrain": "domain"},
        yaxis={"title": "y (km)", "autorange": "reversed", "scaleanchor": "x"},
        updatemenus=[{
            "type": "buttons", "direction": "left", "x": 0.0, "y": 0, "xanchor": "left", "yanchor": "top",
            "pad": {"t": 45, "r": 10}, "showactive": False,
            "buttons": [
                {"label": "▶ Play", "method": "animate", "args": [None, play]},
                {"label": "❚❚ Pause", "method": "animate", "args": [[None], pause]},
            ],
        }],
        sliders=[slider],
    )
    return fig


def threshold_areas(vil: np.ndarray, thresholds: Sequence[int] = VIL_THRESHOLDS) -> np.ndarray:
    """Area (km²) at or above each threshold in each frame: (T, H, W) uint8 -> (T, K) float.

    "At or above" (``x >= threshold``) is the convention of the SEVIR skill scores (reference E.1).
    Counting through a 256-bin histogram per frame keeps this a single pass over the movie.
    """
    vil = _check_movie(vil)
    counts = np.stack([np.bincount(frame.reshape(-1), minlength=256) for frame in vil])  # (T, 256)
    at_or_above = counts[:, ::-1].cumsum(axis=1)[:, ::-1]  # [t, v] = pixels >= v
    return at_or_above[:, list(thresholds)] * PIXEL_KM**2


def frame_max(vil: np.ndarray) -> np.ndarray:
    """Largest encoded VIL in each frame: (T, H, W) -> (T,) uint8."""
    return _check_movie(vil).max(axis=(1, 2))


def frame_stats_figure(
    areas: np.ndarray,
    max_vil: np.ndarray,
    minute_offsets: Sequence[float],
    thresholds: Sequence[int] = VIL_THRESHOLDS,
    *,
    height: int = 460,
) -> go.Figure:
    """Area above each threshold over time (top) and the frame maximum in kg/m² (bottom).

    ``areas`` is (T, K) from :func:`threshold_areas`; ``max_vil`` is (T,) encoded from :func:`frame_max`.
    """
    areas, max_vil = np.asarray(areas), np.asarray(max_vil)
    if areas.shape != (len(minute_offsets), len(thresholds)) or max_vil.shape != (len(minute_offsets),):
        raise ValueError(
            f"frame stats: expected areas (T={len(minute_offsets)}, K={len(thresholds)}) and max_vil "
            f"({len(minute_offsets)},), got {areas.shape} and {max_vil.shape}"
        )
    minutes = np.asarray(minute_offsets, dtype=float)
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, row_heights=[0.65, 0.35], vertical_spacing=0.08)
    for k, threshold in enumerate(thresholds):
        r, g, b = (round(c * 255) for c in VIL_COLORS[int(vil_band(threshold))])
        fig.add_trace(go.Scatter(
            x=minutes, y=areas[:, k], mode="lines", name=f"≥ {vil_kg_m2(threshold):.3g} kg/m² ({threshold})",
            line={"color": f"rgb({r},{g},{b})", "width": 2},
            hovertemplate="%{x:+.0f} min: %{y:,.0f} km²<extra>%{fullData.name}</extra>",
        ), row=1, col=1)
    fig.add_trace(go.Scatter(
        x=minutes, y=vil_kg_m2(max_vil), mode="lines+markers", name="max VIL", marker={"size": 4},
        line={"color": "black"}, customdata=max_vil,
        hovertemplate="%{x:+.0f} min: %{y:.3g} kg/m² (pixel %{customdata})<extra>max VIL</extra>",
    ), row=2, col=1)
    fig.update_yaxes(title_text="area ≥ threshold (km²)", row=1, col=1)
    fig.update_yaxes(title_text="max VIL (kg/m²)", row=2, col=1)
    fig.update_xaxes(title_text="minutes from time_utc", row=2, col=1)
    fig.update_layout(height=height, margin={"l": 60, "r": 20, "t": 30, "b": 40},
                      legend={"title": {"text": "VIL threshold"}})
    return fig
