"""The Nino3.4 index and grid constants match their definitions (brute force, published values)."""
from __future__ import annotations

import numpy as np
import pytest

from engine.data.enso.format import (CROPPED_LONGITUDES, LATITUDES, LONGITUDES, SST_MAX, SST_MIN, crop_longitudes,
                                     months_in_series, scale_sst, unscale_sst)
from engine.data.enso.nino import NINO_COLS, NINO_ROWS, nino34_index, nino_box_mean, running_mean3


def test_grid_is_the_released_5_degree_grid_cropped_to_95E_330E():
    assert LATITUDES.tolist() == list(range(-55, 61, 5)) and len(LONGITUDES) == 72
    assert CROPPED_LONGITUDES[0] == 95 and CROPPED_LONGITUDES[-1] == 330 and len(CROPPED_LONGITUDES) == 48
    field = np.arange(24 * 72, dtype=np.float32).reshape(24, 72)
    assert np.array_equal(crop_longitudes(field), field[:, 19:67])


def test_nino_box_is_5S_5N_170W_120W():
    assert LATITUDES[NINO_ROWS].tolist() == [-5, 0, 5]
    assert CROPPED_LONGITUDES[NINO_COLS].tolist() == list(range(190, 241, 5))


def test_index_is_the_forward_3_month_mean_of_the_box_mean_brute_force():
    rng = np.random.default_rng(0)
    sst = rng.normal(size=(2, 9, 24, 48)).astype(np.float32)
    index = nino34_index(sst)
    assert index.shape == (2, 7) and index.dtype == np.float32
    for b in range(2):
        box = [np.mean([float(sst[b, t, i, j]) for i in range(10, 13) for j in range(19, 30)]) for t in range(9)]
        expect = [(box[m] + box[m + 1] + box[m + 2]) / 3 for m in range(7)]
        np.testing.assert_allclose(index[b], expect, rtol=0, atol=1e-6)


def test_box_mean_does_not_depend_on_memory_layout():
    sst = np.random.default_rng(1).normal(size=(30, 24, 72)).astype(np.float32)
    cropped_view, cropped_copy = crop_longitudes(sst), np.ascontiguousarray(crop_longitudes(sst))
    assert np.array_equal(nino_box_mean(cropped_view), nino_box_mean(cropped_copy))


def test_running_mean_shortens_by_two_and_needs_three_months():
    assert running_mean3(np.array([1.0, 2.0, 6.0, 1.0])).tolist() == [3.0, 3.0]
    with pytest.raises(ValueError, match="expected at least 3 months"):
        running_mean3(np.zeros(2))


def test_scaling_maps_the_published_extremes_to_0_and_1_and_inverts():
    assert scale_sst(np.float64(SST_MIN)) == 0 and scale_sst(np.float64(SST_MAX)) == 1
    assert SST_MAX - SST_MIN == pytest.approx(26.748, abs=1e-3)
    x = np.linspace(-5, 5, 11)
    np.testing.assert_allclose(unscale_sst(scale_sst(x)), x, atol=1e-12)


def test_published_series_lengths():
    assert months_in_series(151) == 1836 and months_in_series(140) == 1704


def test_wrong_grid_is_rejected_with_the_expected_shape():
    with pytest.raises(ValueError, match=r"expected a cropped \(\.\.\., 24, 48\) grid, got \(5, 24, 72\)"):
        nino_box_mean(np.zeros((5, 24, 72)))
