"""Forecast figures: one animation moves observed, forecast and difference together; per-lead scores."""
from __future__ import annotations

import base64
import json

import numpy as np
import pytest

from engine.metrics.suites import sevir_scores
from engine.viz.forecast_figures import (
    MIN_DIFF_RANGE,
    difference,
    forecast_player_figure,
    lead_score_rows,
    lead_scores_figure,
    to_pixels,
)

THRESHOLDS = (16, 74, 133, 160, 181, 219)
LEADS = [5.0 * k for k in range(1, 5)]


def _array(value) -> np.ndarray:
    """An array from plotly's JSON: a typed array {dtype, bdata[, shape]} (what the browser gets) or a list."""
    if isinstance(value, dict):
        flat = np.frombuffer(base64.b64decode(value["bdata"]), dtype=np.dtype(value["dtype"]))
        return flat.reshape(tuple(int(s) for s in str(value["shape"]).split(","))) if "shape" in value else flat
    return np.asarray(value)


def _z(trace: dict) -> np.ndarray:
    return _array(trace["z"])


@pytest.fixture
def movies() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    observed = rng.integers(0, 256, (4, 6, 8)).astype(np.float32)
    forecast = rng.normal(120, 90, (4, 6, 8)).astype(np.float32)  # leaves 0..255 on purpose
    return observed, forecast


def test_pixels_are_rounded_and_clipped_to_uint8():
    got = to_pixels(np.array([-3.0, 0.4, 0.6, 127.5, 254.6, 300.0]))
    assert got.dtype == np.uint8 and got.tolist() == [0, 0, 1, 128, 255, 255]
    with pytest.raises(ValueError, match="finite"):
        to_pixels(np.array([1.0, np.nan]))


def test_difference_is_forecast_minus_observed_pixel_by_pixel(movies):
    observed, forecast = movies
    diff = difference(forecast, observed)
    assert diff.dtype == np.int16
    for index in [(0, 0, 0), (1, 2, 3), (3, 5, 7)]:
        assert diff[index] == int(to_pixels(forecast[index])) - int(to_pixels(observed[index]))


def test_one_animation_drives_three_panels_with_the_frames_given(movies):
    observed, forecast = movies
    fig = forecast_player_figure(observed, forecast, LEADS, title="S1", forecast_name="earthformer", km_per_pixel=4)
    spec = json.loads(fig.to_json())
    assert [t["type"] for t in spec["data"]] == ["heatmap"] * 3
    assert [t.get("xaxis", "x") for t in spec["data"]] == ["x", "x2", "x3"]
    assert [a["text"] for a in spec["layout"]["annotations"]] == ["Observed", "earthformer", "Forecast − observed"]
    assert len(spec["frames"]) == 4 and all(f["traces"] == [0, 1, 2] for f in spec["frames"])
    assert [s["label"] for s in spec["layout"]["sliders"][0]["steps"]] == ["+5 min", "+10 min", "+15 min", "+20 min"]
    assert [s["args"][0] for s in spec["layout"]["sliders"][0]["steps"]] == [[f["name"]] for f in spec["frames"]]
    for k, frame in enumerate(spec["frames"]):
        np.testing.assert_array_equal(_z(frame["data"][0]), to_pixels(observed[k]))
        np.testing.assert_array_equal(_z(frame["data"][1]), to_pixels(forecast[k]))
        np.testing.assert_array_equal(_z(frame["data"][2]), difference(forecast[k], observed[k]))
        assert frame["layout"]["title"]["text"] == f"S1 · lead +{5 * (k + 1)} min"
    assert _z(spec["frames"][0]["data"][0]).dtype == np.uint8  # 1 byte per pixel to the browser
    assert _z(spec["frames"][0]["data"][2]).dtype == np.int16
    np.testing.assert_array_equal(_array(spec["data"][0]["x"]), np.arange(8) * 4)  # km axes at 4 km pixels


def test_the_difference_scale_is_symmetric_and_shared_by_every_lead(movies):
    observed, forecast = movies
    diff = forecast_player_figure(observed, forecast, LEADS).data[2]
    extreme = int(np.abs(difference(forecast, observed)).max())
    assert (diff.zmin, diff.zmid, diff.zmax) == (-extreme, 0, extreme)
    perfect = forecast_player_figure(observed, observed, LEADS).data[2]
    assert (perfect.zmin, perfect.zmax) == (-MIN_DIFF_RANGE, MIN_DIFF_RANGE)  # a readable bar for a perfect forecast


def test_bad_shapes_are_one_clear_error(movies):
    observed, forecast = movies
    shapes = r"expected two \(T, H, W\) movies of one shape, got \(4, 6, 8\) and \(4, 6, 7\)"
    with pytest.raises(ValueError, match=shapes):
        forecast_player_figure(observed, forecast[..., :7], LEADS)
    with pytest.raises(ValueError, match="lead_minutes: expected 4 values"):
        forecast_player_figure(observed, forecast, LEADS[:3])


def test_lead_scores_plot_and_tabulate_the_scores_given(movies):
    observed, forecast = movies
    lead = sevir_scores(forecast[None], observed[None])["lead"]
    fig = lead_scores_figure(lead, LEADS, THRESHOLDS)
    assert len(fig.data) == len(THRESHOLDS) + 2  # CSI per threshold, CSI-M, MSE
    for k in range(len(THRESHOLDS)):  # an undefined CSI (no event) is a gap (None -> NaN here)
        np.testing.assert_allclose(np.array(fig.data[k].y, dtype=float), lead["CSI"][k], equal_nan=True)
    np.testing.assert_allclose(fig.data[-1].y, lead["MSE"])
    rows = lead_score_rows(lead, LEADS, THRESHOLDS)
    assert [r["Lead (min)"] for r in rows] == [5, 10, 15, 20]
    brute = [np.mean((forecast[i] / 255.0 - observed[i] / 255.0) ** 2) for i in range(4)]
    np.testing.assert_allclose([r["MSE"] for r in rows], brute, rtol=1e-6)
    np.testing.assert_allclose([r["CSI ≥ 74"] for r in rows], lead["CSI"][1])
    with pytest.raises(ValueError, match="lead scores: expected CSI"):
        lead_scores_figure(lead, LEADS[:3], THRESHOLDS)
