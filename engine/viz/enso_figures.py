"""Figures of the ENSO outlook (ICAR-ENSO, Earthformer: Gao et al., NeurIPS 2022).

- :func:`sst_maps_figure`: small multiples of monthly SST anomaly on the cropped 5 degree grid
  (cartopy, Pacific-centred PlateCarree, diverging colours symmetric about 0, the Nino3.4 box).
  The coastline is a clipped Natural Earth file shipped in ``assets/cartopy/enso`` and read with
  ``shapereader``: nothing is downloaded (see its PROVENANCE.md).
- :func:`nino_plume_figure`: Nino3.4 of the input months and what followed, with forecasts of
  leads 1..12 and the +-0.5 degC El Nino / La Nina thresholds (plotly).
- :func:`skill_by_lead_figure` and :func:`skill_rows`: Nino3.4 correlation per lead month with
  C-Nino3.4-M / -WM; a correlation that does not exist (constant forecast) is "undefined".
"""
from __future__ import annotations

import math
from functools import lru_cache
from pathlib import Path
from typing import Mapping, Sequence

import numpy as np
import plotly.graph_objects as go

from .verification_figures import colour

COASTLINE = Path(__file__).resolve().parents[2] / "assets" / "cartopy" / "enso" / "pacific_coastline.shp"
CENTRAL_LONGITUDE = 180.0  # the Pacific in the middle; the map runs 95E..330E across the dateline
GRID_STEP = 5.0  # degrees between cell centres
NINO34_BOX = (190.0, 240.0, -5.0, 5.0)  # lon_min, lon_max (degrees east: 170W, 120W), lat_min, lat_max
NINO_THRESHOLD = 0.5  # degC: El Nino above, La Nina below (NOAA's ONI convention)
UNDEFINED = "undefined"
MONTH_NAMES = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
OBSERVED_COLOUR = "#222222"


def month_label(month: int) -> str:
    """Series month ``month`` (0 = January of year 1, as every ICAR-ENSO run starts) as 'Mar y3'."""
    return f"{MONTH_NAMES[month % 12]} y{month // 12 + 1}"


def nino34_box_lonlat() -> tuple[np.ndarray, np.ndarray]:
    """The closed outline of the Nino3.4 box: lon (5,) degrees east, lat (5,) degrees north."""
    lon0, lon1, lat0, lat1 = NINO34_BOX
    return np.array([lon0, lon1, lon1, lon0, lon0]), np.array([lat0, lat0, lat1, lat1, lat0])


def _edges(centres: np.ndarray) -> np.ndarray:
    return np.concatenate([centres - GRID_STEP / 2, [centres[-1] + GRID_STEP / 2]])


@lru_cache(maxsize=1)
def _coastline() -> tuple:
    from cartopy.io import shapereader

    if not COASTLINE.is_file():
        raise ValueError(f"map data: expected the coastline file {COASTLINE}, got nothing there")
    return tuple(shapereader.Reader(str(COASTLINE)).geometries())


def symmetric_limit(*fields: np.ndarray) -> float:
    """Colour limit v for a range [-v, v] covering every finite value (at least 0.5 degC)."""
    values = np.concatenate([np.abs(np.asarray(f, dtype=float)).ravel() for f in fields])
    values = values[np.isfinite(values)]
    return float(max(0.5, np.ceil(values.max() * 2) / 2 if values.size else 0.5))


def sst_maps_figure(fields: np.ndarray, titles: Sequence[str], latitudes: np.ndarray, longitudes: np.ndarray, *,
                    vmax: float | None = None, ncols: int = 4, title: str = "", panel_in: float = 3.0):
    """Small multiples of SST anomaly maps, one panel per month, with the Nino3.4 box.

    Parameters
    ----------
    fields : (T, H, W) degC anomaly; row 0 is the southernmost latitude (ICAR-ENSO order).
    titles : (T,) panel titles (e.g. month labels).
    latitudes, longitudes : (H,) and (W,) cell centres in degrees (north, east: 95..330).
    vmax : colour limit; the range is [-vmax, vmax] (default :func:`symmetric_limit`).

    Returns a matplotlib Figure with T cartopy GeoAxes and one shared colour bar.
    """
    import cartopy.crs as ccrs
    from matplotlib.figure import Figure

    fields = np.asarray(fields, dtype=float)
    lat, lon = np.asarray(latitudes, dtype=float), np.asarray(longitudes, dtype=float)
    if fields.ndim != 3 or fields.shape[1:] != (lat.size, lon.size):
        raise ValueError(f"fields: expected (T, {lat.size}, {lon.size}) maps, got {fields.shape}")
    if len(titles) != fields.shape[0]:
        raise ValueError(f"titles: expected {fields.shape[0]} (one per map), got {len(titles)}")
    vmax = symmetric_limit(fields) if vmax is None else float(vmax)
    n, ncols = fields.shape[0], min(ncols, fields.shape[0])
    nrows = math.ceil(n / ncols)
    proj = ccrs.PlateCarree(central_longitude=CENTRAL_LONGITUDE)
    # Work in the map's own x (lon - 180): the grid runs across the dateline without wrapping.
    x_edges, y_edges = _edges(lon) - CENTRAL_LONGITUDE, _edges(lat)
    aspect = (y_edges[-1] - y_edges[0]) / (x_edges[-1] - x_edges[0])
    # A fixed grid, not constrained layout: that measures every GeoAxes' projected contents and
    # took about 2 s of a 3 s draw. Heights in inches: title, panel rows (+ their titles), colour bar.
    top_in, row_in, bar_in = (0.45 if title else 0.1), panel_in * aspect + 0.3, 0.9
    height_in = top_in + nrows * row_in + bar_in
    fig = Figure(figsize=(ncols * panel_in, height_in), dpi=100)
    fig.subplots_adjust(left=0.01, right=0.99, top=1 - (top_in + 0.25) / height_in, bottom=bar_in / height_in,
                        wspace=0.04, hspace=0.3 / (panel_in * aspect))
    box_lon, box_lat = nino34_box_lonlat()
    geometries = _coastline()
    mesh = None
    for k in range(n):
        ax = fig.add_subplot(nrows, ncols, k + 1, projection=proj)
        ax.set_extent([x_edges[0], x_edges[-1], y_edges[0], y_edges[-1]], crs=proj)
        mesh = ax.pcolormesh(x_edges, y_edges, fields[k], cmap="RdBu_r", vmin=-vmax, vmax=vmax, transform=proj,
                             rasterized=True)
        ax.add_geometries(geometries, ccrs.PlateCarree(), facecolor="none", edgecolor="#333333", linewidth=0.4)
        ax.plot(box_lon - CENTRAL_LONGITUDE, box_lat, color="black", linewidth=1.0, transform=proj,
                gid="nino34_box")
        ax.set_title(titles[k], fontsize=9)
    bar = fig.add_axes((0.3, 0.45 / height_in, 0.4, 0.12 / height_in))
    fig.colorbar(mesh, cax=bar, orientation="horizontal", label="SST anomaly (°C)")
    if title:
        fig.suptitle(title, fontsize=11, y=1 - 0.1 / height_in, va="top")
    return fig


def _values(series: Sequence[float]) -> list[float | None]:
    return [None if not math.isfinite(v) else float(v) for v in np.asarray(series, dtype=float).ravel()]


def nino_plume_figure(start: int, observed: Sequence[float], forecasts: Mapping[str, Sequence[float]], *,
                      title: str = "", height: int = 380) -> go.Figure:
    """Nino3.4 of a window: observed input months, observed future, and forecasts by lead.

    Parameters
    ----------
    start : first input month of the window (series month; sets the month labels).
    observed : (T_in + L,) degC, the labelled index of the input months then leads 1..L.
    forecasts : name -> (L,) degC forecast of leads 1..L (e.g. the model and persistence).
    """
    observed = np.asarray(observed, dtype=float)
    leads = {len(np.ravel(f)) for f in forecasts.values()}
    if len(leads) > 1:
        raise ValueError(f"forecasts: expected the same number of leads each, got {sorted(leads)}")
    n_leads = leads.pop() if leads else 0
    t_in = observed.size - n_leads
    if t_in < 1:
        raise ValueError(f"observed: expected input months plus {n_leads} leads, got {observed.size} values")
    months = start + np.arange(observed.size)
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=months[:t_in].tolist(), y=_values(observed[:t_in]), name="observed (input months)",
                             mode="lines+markers", line={"color": OBSERVED_COLOUR, "width": 2}))
    fig.add_trace(go.Scatter(x=months[t_in - 1:].tolist(), y=_values(observed[t_in - 1:]),  # joined to the inputs
                             name="observed (what followed)", mode="lines+markers",
                             line={"color": OBSERVED_COLOUR, "width": 2, "dash": "dot"}))
    for i, (name, series) in enumerate(forecasts.items()):
        fig.add_trace(go.Scatter(x=months[t_in:].tolist(), y=_values(series), name=name, mode="lines+markers",
                                 line={"color": colour(i), "width": 2.5 if i == 0 else 1.5}))
    for level, text in ((NINO_THRESHOLD, "El Niño"), (-NINO_THRESHOLD, "La Niña")):
        fig.add_hline(y=level, line={"color": "#888888", "dash": "dash", "width": 1},
                      annotation_text=f"{text} ({level:+.1f} °C)", annotation_position="top left"
                      if level > 0 else "bottom left")
    fig.add_vline(x=months[t_in] - 0.5, line={"color": "#888888", "width": 1})
    ticks = months[::3]
    fig.update_layout(title=title or None, height=height, margin={"l": 50, "r": 20, "t": 40 if title else 20, "b": 40},
                      xaxis={"title": "month (first forecast month right of the vertical line)",
                             "tickvals": ticks.tolist(), "ticktext": [month_label(int(m)) for m in ticks]},
                      yaxis={"title": "Niño3.4 index (°C)", "zeroline": True},
                      legend={"orientation": "h", "yanchor": "bottom", "y": 1.02, "x": 0})
    return fig


def format_score(value: float, digits: int = 3) -> str:
    """A score as text; NaN (a correlation of a constant forecast) is 'undefined', never 0."""
    return UNDEFINED if not math.isfinite(float(value)) else f"{float(value):.{digits}f}"


def skill_by_lead_figure(skill: Mapping[str, Mapping[str, object]], *, height: int = 380) -> go.Figure:
    """Nino3.4 correlation per lead month, one line per model; C-Nino3.4-M / -WM in the legend.

    ``skill[name]`` holds ``corr`` (L,), ``C-Nino3.4-M`` and ``C-Nino3.4-WM``. A model whose
    correlation is undefined (NaN) draws no line and says so in the legend.
    """
    fig = go.Figure()
    for i, (name, row) in enumerate(skill.items()):
        corr = np.asarray(row["corr"], dtype=float)
        legend = f"{name}: M {format_score(row['C-Nino3.4-M'])}, WM {format_score(row['C-Nino3.4-WM'])}"
        if not np.isfinite(corr).any():
            legend = f"{name}: correlation {UNDEFINED} (constant forecast)"
        fig.add_trace(go.Scatter(x=list(range(1, corr.size + 1)), y=_values(corr), name=legend, mode="lines+markers",
                                 line={"color": colour(i)}, showlegend=True))
    fig.add_hline(y=0.5, line={"color": "#888888", "dash": "dash", "width": 1},
                  annotation_text="0.5: a common bar for useful skill", annotation_position="bottom left")
    fig.update_layout(height=height, margin={"l": 50, "r": 20, "t": 20, "b": 40},
                      xaxis={"title": "lead (months)", "dtick": 1},
                      yaxis={"title": "Niño3.4 correlation", "range": [-1.0, 1.0]},
                      legend={"orientation": "h", "yanchor": "bottom", "y": 1.02, "x": 0})
    return fig


def skill_rows(skill: Mapping[str, Mapping[str, object]]) -> list[dict[str, str]]:
    """Table rows: model, C-Nino3.4-M, C-Nino3.4-WM, Nino3.4 RMSE (degC), SST MSE (1e-4, scaled)."""
    return [{"Model": name, "C-Nino3.4-M": format_score(row["C-Nino3.4-M"]),
             "C-Nino3.4-WM": format_score(row["C-Nino3.4-WM"]), "Nino3.4 RMSE (°C)": format_score(row["Nino3.4 RMSE"]),
             "SST MSE (1e-4)": format_score(float(row["SST MSE"]) * 1e4)} for name, row in skill.items()]
