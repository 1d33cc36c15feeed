"""Plotly figures of forecast verification: scores by lead time and by threshold, models side by side.

Inputs are the dictionaries of ``engine.metrics.suites.sevir_scores`` (and of ``engine.evaluation``,
whose ``models[label]`` share the layout): ``scores[model]["lead"]["CSI"]`` is (n_thresholds, T),
``scores[model]["lead"]["CSI-M"]`` is (T,), ``scores[model]["all"]["CSI"]`` is (n_thresholds,).
The layout follows the Earthformer (Gao et al., NeurIPS 2022) and PreDiff (Gao et al., NeurIPS
2023) SEVIR tables: CSI at the VIL thresholds 16, 74, 133, 160, 181, 219 and CSI-M, their mean.

:func:`score_by_lead_figure` is data-agnostic (one line per model against any lead axis), so the
ENSO page can plot the Nino3.4 correlation per lead month with it.
"""
from __future__ import annotations

import math
from typing import Mapping, Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

# One colour per model, the same in every panel (plotly's default qualitative cycle).
MODEL_COLOURS: tuple[str, ...] = ("#636EFA", "#EF553B", "#00CC96", "#AB63FA", "#FFA15A", "#19D3F3", "#FF6692",
                                  "#B6E880")
SEVIR_MINUTES_PER_STEP = 5
BAR_SCORES: tuple[str, ...] = ("CSI", "POD", "SUCR", "BIAS")
LEAD_SCORES: tuple[str, ...] = ("CSI-M", "MSE")
TOP_LEGEND = {"orientation": "h", "yanchor": "bottom", "y": 1.12, "x": 0}  # half-width panels keep their width

Scores = Mapping[str, Mapping[str, Mapping[str, object]]]  # model -> "all" / "lead" -> score name -> value


def colour(index: int) -> str:
    return MODEL_COLOURS[index % len(MODEL_COLOURS)]


def lead_minutes(n_leads: int, minutes_per_step: float = SEVIR_MINUTES_PER_STEP) -> np.ndarray:
    """Lead times (minutes) of the ``n_leads`` forecast frames: 5, 10, ..., 60 for SEVIR's 12."""
    return minutes_per_step * np.arange(1, n_leads + 1)


def threshold_label(threshold: float) -> str:
    return f"VIL ≥ {threshold:g}"


def _values(x: object) -> list[float | None]:
    """Array -> list with NaN as None (a gap in plotly: CSI is undefined with no event at all)."""
    return [None if not math.isfinite(v) else float(v) for v in np.asarray(x, dtype=float).ravel()]


def score_by_lead_figure(series: Mapping[str, Sequence[float]], leads: Sequence[float], *, y_title: str,
                         x_title: str = "Lead time (min)", title: str = "", y_range: Sequence[float] | None = None,
                         height: int = 340) -> go.Figure:
    """One line per model of a score against lead time.

    Parameters
    ----------
    series : model name -> (L,) score per lead (NaN draws a gap).
    leads : (L,) lead times, in the unit ``x_title`` names (minutes for SEVIR, months for ENSO).
    """
    fig = go.Figure()
    for i, (model, values) in enumerate(series.items()):
        if len(values) != len(leads):
            raise ValueError(f"series {model!r}: expected {len(leads)} values (one per lead), got {len(values)}")
        fig.add_trace(go.Scatter(x=list(leads), y=_values(values), name=model, mode="lines+markers",
                                 line={"color": colour(i)}))
    fig.update_layout(title=title or None, height=height, xaxis_title=x_title, yaxis_title=y_title,
                      legend_title="Model", margin={"l": 60, "r": 20, "t": 50 if title else 20, "b": 50})
    if y_range is not None:
        fig.update_yaxes(range=list(y_range))
    return fig


def _grid(n: int, cols: int) -> tuple[int, int]:
    cols = max(1, min(cols, n))
    return math.ceil(n / cols), cols


def csi_by_lead_figure(scores: Scores, thresholds: Sequence[float], *, score: str = "CSI",
                       minutes_per_step: float = SEVIR_MINUTES_PER_STEP, cols: int = 3,
                       height_per_row: int = 240) -> go.Figure:
    """Small multiples: ``score`` per lead time, one panel per threshold, one line per model.

    Traces are ordered threshold by threshold, then model by model: trace ``k * n_models + m``
    is model ``m`` at threshold ``k`` (legend entries from the first panel, grouped by model).
    """
    rows, cols = _grid(len(thresholds), cols)
    fig = make_subplots(rows=rows, cols=cols, subplot_titles=[threshold_label(t) for t in thresholds],
                        shared_yaxes=True, vertical_spacing=0.14, horizontal_spacing=0.04)
    for k in range(len(thresholds)):
        for m, (model, result) in enumerate(scores.items()):
            per_lead = np.asarray(result["lead"][score], dtype=float)[k]  # (T,)
            fig.add_trace(go.Scatter(x=lead_minutes(len(per_lead), minutes_per_step).tolist(), y=_values(per_lead),
                                     name=model, legendgroup=model, showlegend=k == 0, mode="lines+markers",
                                     line={"color": colour(m)}, marker={"size": 5}),
                          row=k // cols + 1, col=k % cols + 1)
    fig.update_yaxes(range=[0, 1.02] if score in ("CSI", "POD", "SUCR", "HSS") else None)
    fig.update_xaxes(title_text="Lead (min)", row=rows)
    fig.update_yaxes(title_text=score, col=1)
    fig.update_layout(height=rows * height_per_row + 60, legend_title="Model", margin={"l": 60, "r": 20, "t": 40, "b": 40})
    return fig


def lead_summary_figure(scores: Scores, metrics: Sequence[str] = LEAD_SCORES, *,
                        minutes_per_step: float = SEVIR_MINUTES_PER_STEP, height: int = 320) -> go.Figure:
    """Threshold-free scores per lead time (CSI-M and MSE by default), one panel each, one line per model.

    Trace ``j * n_models + m`` is model ``m`` for metric ``j``; MSE is on the [0, 1] scale.
    """
    fig = make_subplots(rows=1, cols=len(metrics), subplot_titles=list(metrics), horizontal_spacing=0.1)
    for j, metric in enumerate(metrics):
        for m, (model, result) in enumerate(scores.items()):
            per_lead = np.asarray(result["lead"][metric], dtype=float)  # (T,)
            fig.add_trace(go.Scatter(x=lead_minutes(len(per_lead), minutes_per_step).tolist(), y=_values(per_lead),
                                     name=model, legendgroup=model, showlegend=j == 0, mode="lines+markers",
                                     line={"color": colour(m)}),
                          row=1, col=j + 1)
        fig.update_xaxes(title_text="Lead (min)", row=1, col=j + 1)
    fig.update_layout(height=height, legend=TOP_LEGEND, margin={"l": 50, "r": 20, "t": 70, "b": 50})
    return fig


def threshold_bars_figure(scores: Scores, thresholds: Sequence[float], metrics: Sequence[str] = BAR_SCORES, *,
                          cols: int = 2, height_per_row: int = 260) -> go.Figure:
    """Scores pooled over every lead, per threshold: one panel per metric, one bar per model.

    Trace ``j * n_models + m`` is model ``m`` for metric ``j``; BIAS panels get a dashed line at 1
    (no bias), the other scores range over [0, 1].
    """
    rows, cols = _grid(len(metrics), cols)
    fig = make_subplots(rows=rows, cols=cols, subplot_titles=list(metrics), vertical_spacing=0.18,
                        horizontal_spacing=0.08)
    labels = [f"{t:g}" for t in thresholds]  # categories, so bars group evenly
    for j, metric in enumerate(metrics):
        row, col = j // cols + 1, j % cols + 1
        for m, (model, result) in enumerate(scores.items()):
            fig.add_trace(go.Bar(x=labels, y=_values(result["all"][metric]), name=model, legendgroup=model,
                                 showlegend=j == 0, marker_color=colour(m)), row=row, col=col)
        if metric == "BIAS":
            fig.add_hline(y=1.0, line_dash="dash", line_color="grey", row=row, col=col)
    fig.update_xaxes(type="category")  # "16", "74", ... would otherwise become a linear axis
    fig.update_xaxes(title_text="VIL threshold (≥ pixel value)", row=rows)
    fig.update_layout(barmode="group", height=rows * height_per_row + 80, legend=TOP_LEGEND,
                      margin={"l": 50, "r": 20, "t": 70, "b": 40})
    return fig


def summary_rows(scores: Scores, thresholds: Sequence[float]) -> list[dict[str, float | str | None]]:
    """One row per model for a compact table: CSI-M, CSI per threshold, MSE (x 1e-3), MAE, CRPS.

    Pooled over every lead (``"all"``); MSE and MAE on the [0, 1] scale, MSE in units of 1e-3 as
    in the Earthformer table; CRPS (on [0, 1]) only for ensembles, None otherwise.
    """
    rows = []
    for model, result in scores.items():
        pooled = result["all"]
        csi = _values(pooled["CSI"])
        row: dict[str, float | str | None] = {"Model": model, "CSI-M": _values(pooled["CSI-M"])[0]}
        row.update({f"CSI ≥ {t:g}": c for t, c in zip(thresholds, csi)})
        mse = _values(pooled["MSE"])[0]
        row["MSE (1e-3)"] = None if mse is None else mse * 1e3
        row["MAE"] = _values(pooled["MAE"])[0]
        row["CRPS"] = _values(pooled["CRPS"])[0] if "CRPS" in pooled else None
        rows.append(row)
    return rows
