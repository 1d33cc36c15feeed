"""Storm figures: the SEVIR VIL colour table, the animated player, frame statistics and the offline map."""
from __future__ import annotations

import base64
import warnings

import numpy as np
import pytest

from engine.viz import maps
from engine.viz.storm_figures import (
    downsample_max,
    frame_max,
    frame_stats_figure,
    threshold_areas,
    vil_player_figure,
)
from engine.viz.vil_colormap import (
    VIL_COLORS,
    VIL_LEVELS,
    VIL_THRESHOLDS,
    matplotlib_cmap,
    plotly_colorscale,
    threshold_ticks,
    vil_band,
    vil_kg_m2,
    vil_rgb,
)

SEVIR_PROJ = "+proj=laea +lat_0=38 +lon_0=-98 +units=m +a=6370997.0 +ellps=sphere"
# The tutorial's colour of the band each threshold opens (RGB 0..255, rounded).
THRESHOLD_COLORS = {
    16: (40, 190, 40),  # light green
    74: (10, 75, 10),  # darkest green
    133: (237, 172, 0),  # orange
    160: (240, 110, 0),  # dark orange
    181: (160, 0, 0),  # red
    219: (231, 0, 255),  # magenta
}
# kg/m² of the thresholds as printed in the SEVIR documentation (reference D.1).
THRESHOLD_KG_M2 = {16: 0.154, 74: 0.775, 133: 3.53, 160: 7.07, 181: 12.14, 219: 32.2}


def _movie(seed: int = 0, t: int = 49, size: int = 64) -> np.ndarray:
    """A moving Gaussian storm over a noisy background: (T, H, W) uint8 reaching 255."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[:size, :size]
    frames = []
    for i in range(t):
        cx, cy = 10 + i * (size - 20) / t, size / 2
        peak = 255 * np.exp(-((xx - cx) ** 2 + (yy - cy) ** 2) / (2 * (size / 8) ** 2))
        frames.append(np.clip(peak + rng.normal(0, 6, (size, size)), 0, 255))
    return np.asarray(frames).round().astype(np.uint8)


def _decode(value) -> np.ndarray:
    if isinstance(value, dict) and "bdata" in value:
        shape = [int(n) for n in str(value.get("shape", "-1")).split(",")]
        return np.frombuffer(base64.b64decode(value["bdata"]), dtype=value["dtype"]).reshape(shape)
    return np.asarray(value)


# ----------------------------------------------------------------------------- colour table
def test_each_threshold_maps_to_the_tutorial_colour_of_the_band_it_opens():
    for threshold, rgb in THRESHOLD_COLORS.items():
        assert tuple(np.round(vil_rgb(threshold) * 255).astype(int)) == rgb
        assert vil_band(threshold) == vil_band(threshold - 1) + 1  # a threshold is a band edge
    assert tuple(np.round(vil_rgb(0) * 255).astype(int)) == (77, 77, 77)  # clear air: grey
    assert vil_band(255) == len(VIL_COLORS) - 1 and len(VIL_COLORS) == len(VIL_LEVELS) - 1


def test_matplotlib_and_plotly_colour_tables_agree_with_the_bands_at_every_pixel_value():
    cmap, norm = matplotlib_cmap()
    pixels = np.arange(256)
    assert np.allclose(cmap(norm(pixels))[:, :3], vil_rgb(pixels))
    scale = plotly_colorscale()
    stops = np.asarray([s for s, _ in scale])
    assert stops[0] == 0 and stops[-1] == 1 and np.all(np.diff(stops) >= 0)
    for value in pixels:
        position = value / 255
        # the colour in force at a value: the last stop at or below it
        color = scale[np.searchsorted(stops, position, side="right") - 1][1]
        expected = "#" + "".join(f"{round(c * 255):02x}" for c in vil_rgb(value))
        assert color == expected or value == 255  # 255 sits on the closing stop of the top band


def test_colour_bar_labels_thresholds_in_kg_per_m2_as_documented():
    ticks, labels = threshold_ticks()
    assert ticks == list(VIL_THRESHOLDS)
    for threshold, label in zip(ticks, labels):
        assert float(label.split(" ")[0]) == pytest.approx(THRESHOLD_KG_M2[threshold], rel=0.01)
    assert vil_kg_m2(5) == 0 and vil_kg_m2(18) == pytest.approx(16 / 90.66)


# ----------------------------------------------------------------------------- player
def test_player_has_one_uint8_frame_per_time_step_play_pause_and_a_slider():
    vil = _movie()
    minutes = np.arange(-120, 125, 5)
    fig = vil_player_figure(vil, minutes, title="S000")
    assert len(fig.frames) == 49
    assert all(frame.data[0].z.dtype == np.uint8 for frame in fig.frames)
    assert np.array_equal(fig.frames[17].data[0].z, vil[17])
    labels = [b.label for b in fig.layout.updatemenus[0].buttons]
    assert any("Play" in label for label in labels) and any("Pause" in label for label in labels)
    play = fig.layout.updatemenus[0].buttons[0].args[1]
    assert play["frame"]["redraw"] is True and play["frame"]["duration"] == 100
    steps = fig.layout.sliders[0].steps
    assert len(steps) == 49 and steps[0].label == "-120 min" and steps[24].label == "+0 min"
    assert fig.data[0].colorbar.title.text == "VIL (kg/m²)" and tuple(fig.data[0].colorbar.tickvals) == VIL_THRESHOLDS
    spec = fig.to_plotly_json()
    z = _decode(spec["frames"][3]["data"][0]["z"])  # serialised as a typed array, not a list of floats
    assert z.dtype == np.uint8 and np.array_equal(z, vil[3])


def test_downsampling_keeps_the_peak_and_shrinks_the_payload_fourfold():
    vil = _movie(size=64)
    small = downsample_max(vil, 2)
    assert small.shape == (49, 32, 32) and small.dtype == np.uint8
    assert np.array_equal(small.max(axis=(1, 2)), vil.max(axis=(1, 2)))
    assert small[5, 3, 4] == vil[5, 6:8, 8:10].max()
    fig = vil_player_figure(vil, range(49), downsample=2)
    assert fig.frames[0].data[0].z.shape == (32, 32)
    with pytest.raises(ValueError, match="divisor"):
        downsample_max(vil, 5)


def test_player_rejects_wrong_dtype_shape_and_offsets_with_one_clear_message():
    with pytest.raises(ValueError, match="uint8"):
        vil_player_figure(_movie().astype(np.float32), range(49))
    with pytest.raises(ValueError, match=r"\(T, H, W\)"):
        vil_player_figure(_movie()[0], range(49))
    with pytest.raises(ValueError, match="expected 49 values"):
        vil_player_figure(_movie(), range(48))


# ----------------------------------------------------------------------------- statistics
def test_threshold_areas_equal_a_brute_force_count():
    vil = _movie(seed=3)
    areas = threshold_areas(vil)
    brute = np.array([[sum(int(v) >= thr for v in frame.reshape(-1)) for thr in VIL_THRESHOLDS] for frame in vil[::8]])
    assert np.array_equal(areas[::8], brute)
    assert areas.shape == (49, 6) and np.all(np.diff(areas, axis=1) <= 0)  # higher thresholds, less area
    assert np.array_equal(frame_max(vil), vil.reshape(49, -1).max(axis=1))


def test_stats_figure_draws_one_line_per_threshold_and_max_vil_in_kg_per_m2():
    vil = _movie(seed=1)
    minutes = np.arange(-120, 125, 5)
    fig = frame_stats_figure(threshold_areas(vil), frame_max(vil), minutes)
    assert len(fig.data) == 7
    assert np.array_equal(fig.data[2].y, threshold_areas(vil)[:, 2])
    assert np.allclose(fig.data[-1].y, vil_kg_m2(frame_max(vil)))
    with pytest.raises(ValueError, match="frame stats"):
        frame_stats_figure(threshold_areas(vil)[:10], frame_max(vil), minutes)


# ----------------------------------------------------------------------------- map
def _square_corners(x0: float, y0: float, side: float = 384e3) -> tuple[float, float, float, float]:
    from pyproj import CRS, Transformer

    crs = CRS.from_user_input(SEVIR_PROJ)
    inverse = Transformer.from_crs(crs, crs.geodetic_crs, always_xy=True)
    lon0, lat0 = inverse.transform(x0, y0)
    lon1, lat1 = inverse.transform(x0 + side, y0 + side)
    return lat0, lon0, lat1, lon1


def test_footprint_outline_passes_through_the_corners_and_is_a_384_km_square():
    from pyproj import Geod

    corners = _square_corners(-600e3, 200e3)
    outline = maps.footprint_lonlat(corners, SEVIR_PROJ, points_per_edge=16)
    assert outline.shape == (65, 2)
    assert np.allclose(outline[0], (corners[1], corners[0]), atol=1e-9)
    assert np.allclose(outline[32], (corners[3], corners[2]), atol=1e-9)
    assert np.allclose(outline[-1], outline[0])
    geod = Geod(a=6370997.0, b=6370997.0)
    south = geod.line_length(outline[:17, 0], outline[:17, 1])
    # an equal-area projection stretches one axis and shrinks the other away from its centre
    assert 370e3 < south < 400e3
    with pytest.raises(ValueError, match="event proj"):
        maps.footprint_lonlat(corners, "+proj=nonsense")
    with pytest.raises(ValueError, match="lower-left"):
        maps.footprint_lonlat((corners[2], corners[3], corners[0], corners[1]), SEVIR_PROJ)


def test_map_draws_offline_from_the_shipped_natural_earth_files():
    import cartopy.io

    corners = _square_corners(100e3, -300e3)
    with warnings.catch_warnings():
        warnings.simplefilter("error", cartopy.io.DownloadWarning)
        fig = maps.footprint_map(corners, SEVIR_PROJ, image=_movie(size=384, t=1)[0], title="S1")
        png = maps.figure_png(fig)
    assert png.startswith(b"\x89PNG") and 20_000 < len(png) < 400_000
    ax = fig.axes[0]
    assert len(ax.collections) >= 3  # coastline, borders, state lines (+ the VIL mesh)
    footprint = [line for line in ax.lines if line.get_label() == "event footprint"][0]
    assert np.allclose(footprint.get_xydata(), maps.footprint_lonlat(corners, SEVIR_PROJ))


def test_missing_natural_earth_files_are_one_clear_error(tmp_path):
    with pytest.raises(ValueError, match="Natural Earth file"):
        maps.use_shipped_natural_earth(tmp_path)


def test_colour_bar_decoding_agrees_with_the_data_layer_at_every_pixel_value():
    from engine import api

    pixels = np.arange(256, dtype=np.uint8)
    assert np.allclose(vil_kg_m2(pixels), api.decode_vil(pixels), rtol=1e-6, atol=1e-9)
    assert tuple(api.VIL_THRESHOLDS) == VIL_THRESHOLDS
