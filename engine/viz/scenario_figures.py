"""Scenario figures (plotly) for PreDiff ensembles: a grid of member animations, the ensemble mean
beside the probability of exceeding a threshold, and each member's average intensity against the
knowledge-control target band.

Movies are SEVIR VIL on the pixel scale (0..255, sent as uint8) or probabilities (0..1); every panel
of a grid is updated by one animation frame, so one slider and one Play button move them together.
"""
from __future__ import annotations

import math
from typing import Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from .forecast_figures import lead_label, to_pixels
from .vil_colormap import VIL_THRESHOLDS, plotly_colorscale, vil_kg_m2

SCENARIO_FRAME_MS = 250
PROBABILITY_COLORSCALE = "Blues"
MEMBER_COLOUR = "rgba(70, 110, 180, 0.55)"
TARGET_BAND_SIGMA = 0.5  # the band drawn around F0: the tolerance for the achieved mean


def _panel_player(panels: Sequence[tuple[str, np.ndarray, str]], lead_minutes: Sequence[float], *, columns: int,
                  title: str, km_per_pixel: float, frame_ms: int, panel_height: int) -> go.Figure:
    """Panels of (title, (T, H, W) movie, "vil" | "probability") in a grid, animated together by lead."""
    t = panels[0][1].shape[0]
    if any(movie.shape != panels[0][1].shape for _, movie, _ in panels) or len(lead_minutes) != t:
        raise ValueError(f"panels: expected movies of one shape (T, H, W) and {t} lead times, got shapes "
                         f"{[m.shape for _, m, _ in panels]} and {len(lead_minutes)} leads")
    cols = min(columns, len(panels))
    rows = math.ceil(len(panels) / cols)
    fig = make_subplots(rows=rows, cols=cols, subplot_titles=[p[0] for p in panels], horizontal_spacing=0.03,
                        vertical_spacing=0.25 / rows)
    h, w = panels[0][1].shape[1:]
    x, y = np.arange(w) * km_per_pixel, np.arange(h) * km_per_pixel
    ticks = {"tickvals": list(VIL_THRESHOLDS), "ticktext": [f"{v:.2g}" for v in vil_kg_m2(np.asarray(VIL_THRESHOLDS))]}
    # One full-height colour bar per kind, side by side: stacked half-height bars crowded the VIL
    # ticks 133 / 160 / 181 into each other on a one-row figure.
    kinds = list(dict.fromkeys(kind for _, _, kind in panels))
    bar_x = {kind: 1.01 + 0.08 * k for k, kind in enumerate(kinds)}
    shown_bars: set[str] = set()
    for i, (name, movie, kind) in enumerate(panels):
        style = ({"zmin": 0, "zmax": 255, "colorscale": plotly_colorscale(),
                  "colorbar": {"title": {"text": "kg/m²"}, "x": bar_x[kind], **ticks},
                  "hovertemplate": "x %{x} km, y %{y} km<br>VIL %{z}<extra></extra>"} if kind == "vil" else
                 {"zmin": 0.0, "zmax": 1.0, "colorscale": PROBABILITY_COLORSCALE,
                  "colorbar": {"title": {"text": "P"}, "x": bar_x[kind]},
                  "hovertemplate": "x %{x} km, y %{y} km<br>probability %{z:.2f}<extra></extra>"})
        style["showscale"] = kind not in shown_bars
        shown_bars.add(kind)
        fig.add_trace(go.Heatmap(z=movie[0], x=x, y=y, zsmooth=False, name=name, **style),
                      row=i // cols + 1, col=i % cols + 1)
    labels = [lead_label(m) for m in lead_minutes]
    fig.frames = [go.Frame(data=[go.Heatmap(z=movie[k]) for _, movie, _ in panels], traces=list(range(len(panels))),
                           name=str(k), layout={"title": {"text": f"{title} · lead {labels[k]}".strip(" ·")}})
                  for k in range(t)]
    still = {"frame": {"duration": 0, "redraw": True}, "mode": "immediate", "transition": {"duration": 0}}
    play = {"frame": {"duration": frame_ms, "redraw": True}, "fromcurrent": True, "transition": {"duration": 0},
            "mode": "immediate"}
    pause = {"frame": {"duration": 0, "redraw": False}, "mode": "immediate", "transition": {"duration": 0}}
    fig.update_layout(
        title={"text": f"{title} · lead {labels[0]}".strip(" ·")}, height=80 + panel_height * rows,
        margin={"l": 40, "r": 20 + 60 * (len(kinds) - 1), "t": 70, "b": 20},
        updatemenus=[{"type": "buttons", "direction": "left", "x": 0.0, "y": 0, "xanchor": "left", "yanchor": "top",
                      "pad": {"t": 50, "r": 10}, "showactive": False,
                      "buttons": [{"label": "▶ Play", "method": "animate", "args": [None, play]},
                                  {"label": "❚❚ Pause", "method": "animate", "args": [[None], pause]}]}],
        sliders=[{"active": 0, "x": 0.2, "len": 0.8, "y": 0, "pad": {"t": 45}, "currentvalue": {"prefix": "Lead "},
                  "steps": [{"label": labels[k], "method": "animate", "args": [[str(k)], still]} for k in range(t)]}],
    )
    for i in range(len(panels)):  # north up, square pixels
        axis = "" if i == 0 else str(i + 1)
        fig.update_xaxes(showticklabels=False, constrain="domain", row=i // cols + 1, col=i % cols + 1)
        fig.update_yaxes(showticklabels=False, autorange="reversed", scaleanchor=f"x{axis}",
                         row=i // cols + 1, col=i % cols + 1)
    return fig


def member_grid_figure(members: np.ndarray, lead_minutes: Sequence[float], *, observed: np.ndarray | None = None,
                       deterministic: np.ndarray | None = None, deterministic_name: str = "Deterministic",
                       columns: int = 4, title: str = "", km_per_pixel: float = 1.0,
                       frame_ms: int = SCENARIO_FRAME_MS) -> go.Figure:
    """Observed, the deterministic forecast and every member, each (T, H, W) VIL pixels, animated together.

    members : (M, T, H, W) pixels 0..255 (any real dtype; shown rounded and clipped).
    """
    members = np.asarray(members)
    if members.ndim != 4:
        raise ValueError(f"members: expected (M, T, H, W), got shape {members.shape}")
    panels = [] if observed is None else [("Observed", to_pixels(observed), "vil")]
    if deterministic is not None:
        panels.append((deterministic_name, to_pixels(deterministic), "vil"))
    panels += [(f"Member {m + 1}", to_pixels(member), "vil") for m, member in enumerate(members)]
    return _panel_player(panels, lead_minutes, columns=columns, title=title, km_per_pixel=km_per_pixel,
                         frame_ms=frame_ms, panel_height=230)


def probability_figure(mean: np.ndarray, probability: np.ndarray, lead_minutes: Sequence[float], threshold: float, *,
                       title: str = "", km_per_pixel: float = 1.0, frame_ms: int = SCENARIO_FRAME_MS) -> go.Figure:
    """Ensemble mean (T, H, W) pixels beside P(VIL >= threshold) (T, H, W) in [0, 1], animated together."""
    probability = np.asarray(probability, dtype=np.float32)
    if probability.min(initial=0.0) < 0 or probability.max(initial=0.0) > 1:
        raise ValueError("probability: expected values in [0, 1], got values outside")
    panels = [("Ensemble mean", to_pixels(mean), "vil"),
              (f"P(VIL ≥ {threshold:g}) = share of members", np.round(probability, 3), "probability")]
    return _panel_player(panels, lead_minutes, columns=2, title=title, km_per_pixel=km_per_pixel, frame_ms=frame_ms,
                         panel_height=380)


def intensity_figure(intensity: np.ndarray, lead_minutes: Sequence[float], *, target: float | None = None,
                     sigma: float | None = None, mu: float | None = None, observed: np.ndarray | None = None,
                     deterministic: np.ndarray | None = None, deterministic_name: str = "Deterministic") -> go.Figure:
    """Each member's average intensity by lead (pixel units 0..255) against the target band.

    intensity : (M, T) per-member frame means; observed, deterministic : (T,) the same for the
    observed future and the deterministic forecast. target, mu, sigma : F0 = mu + n sigma, drawn as
    a line with a band of +-0.5 sigma (the tolerance on the achieved mean); all in pixel units.
    """
    intensity = np.asarray(intensity, dtype=float)
    if intensity.ndim != 2 or intensity.shape[1] != len(lead_minutes):
        raise ValueError(f"intensity: expected (M, {len(lead_minutes)}), got shape {intensity.shape}")
    leads = np.asarray(lead_minutes, dtype=float)
    fig = go.Figure()
    if target is not None and sigma is not None:
        low, high = target - TARGET_BAND_SIGMA * sigma, target + TARGET_BAND_SIGMA * sigma
        fig.add_hrect(y0=low, y1=high, fillcolor="orange", opacity=0.2, line_width=0,
                      annotation_text=f"target F0 ± {TARGET_BAND_SIGMA:g}σ", annotation_position="top left")
        fig.add_hline(y=target, line={"color": "darkorange", "width": 2})
    if mu is not None:
        fig.add_hline(y=mu, line={"color": "grey", "dash": "dash"}, annotation_text="μ (anticipated)",
                      annotation_position="bottom right")
    for m, row in enumerate(intensity):
        fig.add_trace(go.Scatter(x=leads, y=row, mode="lines", line={"color": MEMBER_COLOUR, "width": 1.5},
                                 name="members" if m == 0 else f"member {m + 1}", legendgroup="members",
                                 showlegend=m == 0, hovertemplate=f"member {m + 1}: %{{y:.1f}}<extra></extra>"))
    fig.add_trace(go.Scatter(x=leads, y=intensity.mean(axis=0), mode="lines", name="ensemble mean",
                             line={"color": "navy", "width": 3}))
    for name, series, style in (("observed", observed, {"color": "black", "width": 2, "dash": "dot"}),
                                (deterministic_name, deterministic, {"color": "firebrick", "width": 2})):
        if series is not None:
            fig.add_trace(go.Scatter(x=leads, y=np.asarray(series, dtype=float), mode="lines", name=name, line=style))
    fig.update_layout(height=380, margin={"l": 50, "r": 20, "t": 30, "b": 40}, xaxis_title="lead (min)",
                      yaxis_title="average VIL (pixel value)", legend={"orientation": "h", "y": -0.2})
    return fig
