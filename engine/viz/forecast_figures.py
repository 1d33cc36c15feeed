"""Forecast figures (plotly): observed, forecast and their difference as ONE synchronized animation,
and one forecast's scores per lead time.

Frames are SEVIR VIL on the pixel scale (0..255, Veillette et al., NeurIPS 2020). The player's
three heatmaps are updated together by every animation frame, so one slider or one Play button
moves observed, forecast and difference at once; each frame is named by its lead time. Pixels are
sent as uint8 (VIL panels) and int16 (difference), so 12 leads at 96 x 96 are about 0.4 MB.
"""
from __future__ import annotations

import math
from typing import Mapping, Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from .vil_colormap import VIL_THRESHOLDS, plotly_colorscale, vil_kg_m2, vil_rgb

FORECAST_FRAME_MS = 250  # 12 leads play in 3 s: slow enough to follow a storm across the panels
PANEL_TITLES = ("Observed", "Forecast", "Forecast − observed")
DIFF_COLORSCALE = "RdBu_r"  # red: forecast too high, blue: too low, white: right
MIN_DIFF_RANGE = 16  # pixels: a near-perfect forecast keeps a readable colour bar


def to_pixels(frames: np.ndarray) -> np.ndarray:
    """VIL on the 0..255 scale (any real dtype) -> uint8, rounded and clipped (what is displayed)."""
    frames = np.asarray(frames)
    if not np.issubdtype(frames.dtype, np.number) or not np.isfinite(frames).all():
        bad = "non-numbers" if not np.issubdtype(frames.dtype, np.number) else "NaN/inf"
        raise ValueError(f"frames: expected finite VIL pixel values, got {bad} (dtype {frames.dtype})")
    return np.clip(np.rint(frames), 0, 255).astype(np.uint8)


def difference(forecast: np.ndarray, observed: np.ndarray) -> np.ndarray:
    """Forecast minus observed of the displayed pixels: (T, H, W) int16 in -255..255."""
    return to_pixels(forecast).astype(np.int16) - to_pixels(observed).astype(np.int16)


def lead_label(minutes: float) -> str:
    return f"+{minutes:.0f} min"


def _check(observed: np.ndarray, forecast: np.ndarray, lead_minutes: Sequence[float]) -> None:
    if np.ndim(observed) != 3 or np.shape(observed) != np.shape(forecast):
        raise ValueError(f"observed, forecast: expected two (T, H, W) movies of one shape, got "
                         f"{np.shape(observed)} and {np.shape(forecast)}")
    if len(lead_minutes) != np.shape(observed)[0]:
        raise ValueError(f"lead_minutes: expected {np.shape(observed)[0]} values (one per lead), "
                         f"got {len(lead_minutes)}")


def forecast_player_figure(observed: np.ndarray, forecast: np.ndarray, lead_minutes: Sequence[float], *,
                           title: str = "", forecast_name: str = "Forecast", km_per_pixel: float = 1.0,
                           frame_ms: int = FORECAST_FRAME_MS, height: int = 500) -> go.Figure:
    """Observed | forecast | forecast − observed, side by side, animated together by lead time.

    Parameters
    ----------
    observed, forecast : (T, H, W) VIL pixels (0..255, any real dtype; shown rounded and clipped).
    lead_minutes : (T,) lead time of each frame after the last context frame (5, 10, ... for SEVIR).
    forecast_name : title of the middle panel (the model's label).
    km_per_pixel : grid spacing of the frames (1 km native SEVIR, 4 km when max-pooled by 4).

    Traces 0, 1 and 2 are the three heatmaps; every animation frame (named ``str(lead index)``)
    replaces all three, so they never disagree on the lead shown. The difference colour bar is
    symmetric about 0 and shared by every lead (its extreme is the largest |difference|).
    """
    _check(observed, forecast, lead_minutes)
    obs, fc = to_pixels(observed), to_pixels(forecast)
    diff = difference(fc, obs)  # (T, H, W) int16
    extreme = max(MIN_DIFF_RANGE, int(np.abs(diff).max()))
    t, h, w = obs.shape
    x, y = np.arange(w) * km_per_pixel, np.arange(h) * km_per_pixel
    labels = [lead_label(m) for m in lead_minutes]
    fig = make_subplots(rows=1, cols=3, horizontal_spacing=0.1,
                        subplot_titles=(PANEL_TITLES[0], forecast_name or PANEL_TITLES[1], PANEL_TITLES[2]))
    tickvals = list(VIL_THRESHOLDS)  # short labels: the bar sits in the gap between two panels
    ticktext = [f"{v:.2g}" for v in vil_kg_m2(np.asarray(VIL_THRESHOLDS))]
    vil = {"x": x, "y": y, "zmin": 0, "zmax": 255, "colorscale": plotly_colorscale(), "zsmooth": False,
           "hovertemplate": "x %{x} km, y %{y} km<br>VIL %{z}<extra></extra>"}
    right_of_forecast = fig.layout.xaxis2.domain[1] + 0.005
    fig.add_trace(go.Heatmap(z=obs[0], showscale=False, name=PANEL_TITLES[0], **vil), row=1, col=1)
    fig.add_trace(go.Heatmap(z=fc[0], name=forecast_name, colorbar={
        "title": {"text": "kg/m²", "side": "top"}, "tickvals": tickvals, "ticktext": ticktext,
        "x": right_of_forecast, "len": 0.8, "thickness": 12}, **vil), row=1, col=2)
    fig.add_trace(go.Heatmap(z=diff[0], x=x, y=y, zmin=-extreme, zmax=extreme, zmid=0, colorscale=DIFF_COLORSCALE,
                             zsmooth=False, name=PANEL_TITLES[2], colorbar={"title": {"text": "Δ px", "side": "top"},
                                                                            "len": 0.8, "thickness": 12},
                             hovertemplate="x %{x} km, y %{y} km<br>forecast − observed %{z}<extra></extra>"),
                  row=1, col=3)
    frames = [go.Frame(data=[go.Heatmap(z=obs[i]), go.Heatmap(z=fc[i]), go.Heatmap(z=diff[i])], traces=[0, 1, 2],
                       name=str(i), layout={"title": {"text": f"{title} · lead {labels[i]}".strip(" ·")}})
              for i in range(t)]
    fig.frames = frames
    still = {"frame": {"duration": 0, "redraw": True}, "mode": "immediate", "transition": {"duration": 0}}
    play = {"frame": {"duration": frame_ms, "redraw": True}, "fromcurrent": True, "transition": {"duration": 0},
            "mode": "immediate"}
    pause = {"frame": {"duration": 0, "redraw": False}, "mode": "immediate", "transition": {"duration": 0}}
    fig.update_layout(
        title={"text": f"{title} · lead {labels[0]}".strip(" ·")}, height=height,
        margin={"l": 50, "r": 20, "t": 70, "b": 20},
        updatemenus=[{"type": "buttons", "direction": "left", "x": 0.0, "y": 0, "xanchor": "left", "yanchor": "top",
                      "pad": {"t": 70, "r": 10}, "showactive": False,
                      "buttons": [{"label": "▶ Play", "method": "animate", "args": [None, play]},
                                  {"label": "❚❚ Pause", "method": "animate", "args": [[None], pause]}]}],
        sliders=[{"active": 0, "x": 0.2, "len": 0.8, "y": 0, "pad": {"t": 65},
                  "currentvalue": {"prefix": "Lead "},
                  "steps": [{"label": labels[i], "method": "animate", "args": [[str(i)], still]} for i in range(t)]}],
    )
    for col in (1, 2, 3):  # north up, square pixels, each panel zooms on its own
        fig.update_xaxes(title_text="x (km)", constrain="domain", row=1, col=col)
        fig.update_yaxes(autorange="reversed", scaleanchor=f"x{'' if col == 1 else col}", row=1, col=col)
    return fig


def _values(x: object) -> list[float | None]:
    return [None if not math.isfinite(v) else float(v) for v in np.asarray(x, dtype=float).ravel()]


def _threshold_colour(threshold: float) -> str:
    r, g, b = (int(round(255 * c)) for c in vil_rgb(np.asarray(threshold))[:3])
    return f"rgb({r},{g},{b})"


def lead_scores_figure(lead: Mapping[str, object], lead_minutes: Sequence[float],
                       thresholds: Sequence[float] = VIL_THRESHOLDS, *, title: str = "",
                       height: int = 330) -> go.Figure:
    """CSI per threshold (left) and MSE (right) of one forecast against lead time.

    Parameters
    ----------
    lead : the ``"lead"`` scores of ``engine.metrics.suites.sevir_scores``: ``CSI`` (K, T), ``CSI-M`` (T,),
        ``MSE`` (T,) on the [0, 1] scale. NaN (no event at a threshold) draws a gap.
    lead_minutes : (T,) lead times in minutes.
    """
    csi, mse = np.asarray(lead["CSI"], dtype=float), np.asarray(lead["MSE"], dtype=float)
    if csi.shape != (len(thresholds), len(lead_minutes)) or mse.shape != (len(lead_minutes),):
        raise ValueError(f"lead scores: expected CSI ({len(thresholds)}, {len(lead_minutes)}) and MSE "
                         f"({len(lead_minutes)},), got {csi.shape} and {mse.shape}")
    leads = [float(m) for m in lead_minutes]
    fig = make_subplots(rows=1, cols=2, subplot_titles=("CSI per VIL threshold", "MSE ([0, 1] scale)"),
                        horizontal_spacing=0.12)
    for k, threshold in enumerate(thresholds):
        fig.add_trace(go.Scatter(x=leads, y=_values(csi[k]), name=f"CSI ≥ {threshold:g}", mode="lines+markers",
                                 line={"color": _threshold_colour(threshold)}), row=1, col=1)
    fig.add_trace(go.Scatter(x=leads, y=_values(lead["CSI-M"]), name="CSI-M", mode="lines",
                             line={"color": "black", "dash": "dash"}), row=1, col=1)
    fig.add_trace(go.Scatter(x=leads, y=_values(mse), name="MSE", mode="lines+markers", line={"color": "#636EFA"},
                             showlegend=False), row=1, col=2)
    fig.update_xaxes(title_text="Lead time (min)")
    fig.update_yaxes(range=[0, 1.02], row=1, col=1)
    fig.update_yaxes(rangemode="tozero", row=1, col=2)
    fig.update_layout(title=title or None, height=height, margin={"l": 50, "r": 20, "t": 60 if title else 40, "b": 50},
                      legend={"orientation": "v", "x": 0.44, "y": 1})
    return fig


def lead_score_rows(lead: Mapping[str, object], lead_minutes: Sequence[float],
                    thresholds: Sequence[float] = VIL_THRESHOLDS) -> list[dict]:
    """One row per lead: ``{"Lead (min)", "CSI ≥ t" per threshold, "CSI-M", "MSE"}`` (floats, NaN kept)."""
    csi = np.asarray(lead["CSI"], dtype=float)
    rows = []
    for i, minutes in enumerate(lead_minutes):
        row: dict = {"Lead (min)": int(round(float(minutes)))}
        row.update({f"CSI ≥ {t:g}": float(csi[k, i]) for k, t in enumerate(thresholds)})
        row["CSI-M"] = float(np.asarray(lead["CSI-M"], dtype=float)[i])
        row["MSE"] = float(np.asarray(lead["MSE"], dtype=float)[i])
        rows.append(row)
    return rows
