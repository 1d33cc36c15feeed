"""ENSO figures: the Nino3.4 box where the index is computed, one map per month, plume and skill data."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

from engine.data.enso.format import CROPPED_LONGITUDES, LATITUDES
from engine.data.enso.nino import NINO_COLS, NINO_ROWS
from engine.viz import enso_figures as ef


@pytest.fixture(scope="module")
def maps():
    """(fields, figure) of 14 random months, drawn with downloads turned into errors."""
    import cartopy.io

    fields = np.random.default_rng(0).normal(0.0, 1.0, (14, 24, 48))
    with warnings.catch_warnings():
        warnings.simplefilter("error", cartopy.io.DownloadWarning)  # offline: a missing file must fail loudly
        fig = ef.sst_maps_figure(fields, [ef.month_label(k) for k in range(14)], LATITUDES, CROPPED_LONGITUDES,
                                 vmax=3.0)
        fig.canvas.draw()
    return fields, fig


def _geo_axes(fig):
    from cartopy.mpl.geoaxes import GeoAxes

    return [ax for ax in fig.axes if isinstance(ax, GeoAxes)]


def test_the_nino34_box_is_drawn_at_5s_5n_170w_120w_on_every_panel(maps):
    import cartopy.crs as ccrs

    _, fig = maps
    for ax in _geo_axes(fig):
        (box,) = [line for line in ax.lines if line.get_gid() == "nino34_box"]
        lonlat = ccrs.PlateCarree().transform_points(ax.projection, np.asarray(box.get_xdata()),
                                                     np.asarray(box.get_ydata()))
        lon = np.round((lonlat[:, 0] + 360) % 360, 6)  # degrees east
        assert set(lon) == {190.0, 240.0}  # 170W and 120W
        assert set(np.round(lonlat[:, 1], 6)) == {-5.0, 5.0}
        assert np.allclose(lonlat[0], lonlat[-1])  # closed


def test_the_box_spans_exactly_the_cells_the_index_averages():
    lon, lat = ef.nino34_box_lonlat()
    assert (lat.min(), lat.max()) == (LATITUDES[NINO_ROWS][0], LATITUDES[NINO_ROWS][-1])
    assert (lon.min(), lon.max()) == (CROPPED_LONGITUDES[NINO_COLS][0], CROPPED_LONGITUDES[NINO_COLS][-1])


@pytest.mark.parametrize("months", [12, 14])
def test_one_map_panel_per_month(months):
    fields = np.zeros((months, 24, 48))
    fig = ef.sst_maps_figure(fields, [str(k) for k in range(months)], LATITUDES, CROPPED_LONGITUDES)
    panels = _geo_axes(fig)
    assert len(panels) == months
    assert [ax.get_title() for ax in panels] == [str(k) for k in range(months)]


def test_maps_show_the_data_with_south_at_the_bottom_and_colours_symmetric_about_zero(maps):
    fields, fig = maps
    for k, ax in enumerate(_geo_axes(fig)):
        (mesh,) = ax.collections[:1]
        np.testing.assert_array_equal(np.asarray(mesh.get_array()).reshape(24, 48), fields[k])
        assert (mesh.norm.vmin, mesh.norm.vmax) == (-3.0, 3.0)
        coords = mesh.get_coordinates()  # (25, 49, 2) cell corners in the map's frame (lon - 180)
        assert coords[0, 0, 1] == pytest.approx(-57.5) and coords[-1, 0, 1] == pytest.approx(62.5)
        assert coords[0, 0, 0] + 180 == pytest.approx(92.5) and coords[0, -1, 0] + 180 == pytest.approx(332.5)
        assert mesh.get_cmap().name == "RdBu_r"


def test_the_colour_limit_covers_every_value_and_is_at_least_half_a_degree():
    assert ef.symmetric_limit(np.array([0.1, -0.2])) == 0.5
    assert ef.symmetric_limit(np.array([1.2, -2.3]), np.array([np.nan])) == 2.5


def test_wrong_map_shapes_are_rejected():
    with pytest.raises(ValueError, match=r"fields: expected \(T, 24, 48\) maps, got \(2, 24, 72\)"):
        ef.sst_maps_figure(np.zeros((2, 24, 72)), ["a", "b"], LATITUDES, CROPPED_LONGITUDES)


def test_the_plume_places_observations_and_forecasts_on_their_months():
    observed = np.arange(24, dtype=float) / 10
    fig = ef.nino_plume_figure(30, observed, {"model": np.full(12, 1.0), "persistence": np.full(12, 1.1)})
    traces = {t.name: t for t in fig.data}
    assert list(traces["observed (input months)"].x) == list(range(30, 42))
    assert list(traces["observed (what followed)"].x) == list(range(41, 54))  # joined at the last input month
    assert list(traces["model"].x) == list(range(42, 54)) and list(traces["persistence"].y) == [1.1] * 12
    levels = sorted(shape.y0 for shape in fig.layout.shapes if shape.y0 == shape.y1)
    assert levels == [-0.5, 0.5]  # La Nina and El Nino thresholds
    assert ef.month_label(30) == "Jul y3"


def test_the_skill_figure_and_table_say_undefined_for_a_constant_forecast():
    skill = {"Earthformer": {"corr": np.linspace(0.9, 0.4, 12), "C-Nino3.4-M": 0.65, "C-Nino3.4-WM": 1.9,
                             "Nino3.4 RMSE": 0.5, "SST MSE": 2.5e-4},
             "climatology": {"corr": np.full(12, np.nan), "C-Nino3.4-M": np.nan, "C-Nino3.4-WM": np.nan,
                             "Nino3.4 RMSE": 0.9, "SST MSE": 3e-4}}
    fig = ef.skill_by_lead_figure(skill)
    assert fig.data[0].name == "Earthformer: M 0.650, WM 1.900" and list(fig.data[0].x) == list(range(1, 13))
    assert "undefined" in fig.data[1].name and all(v is None for v in fig.data[1].y)
    rows = {row["Model"]: row for row in ef.skill_rows(skill)}
    assert rows["climatology"]["C-Nino3.4-M"] == rows["climatology"]["C-Nino3.4-WM"] == "undefined"
    assert rows["Earthformer"]["SST MSE (1e-4)"] == "2.500" and rows["climatology"]["Nino3.4 RMSE (°C)"] == "0.900"
