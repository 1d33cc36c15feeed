"""Fractions skill score agrees with pysteps frame by frame and pools its sums over a stream."""
from __future__ import annotations

import numpy as np
import pytest

from engine.metrics import FractionsSkillScore


@pytest.mark.parametrize("scale", [1, 3, 8])
@pytest.mark.parametrize("thr", [16.0, 133.0])
def test_fss_of_one_frame_equals_pysteps(pysteps_verification, pair, scale, thr):
    pred, obs = pair
    ours = FractionsSkillScore(thresholds=(thr,), scales=(scale,), reduce="lead")
    for n in range(pred.shape[0]):
        for t in range(pred.shape[1]):
            got = ours(pred[n:n + 1, t:t + 1], obs[n:n + 1, t:t + 1])["FSS"][0, 0, 0]
            ref = pysteps_verification.fss(pred[n, t], obs[n, t], thr, scale)
            np.testing.assert_allclose(got, ref, atol=1e-6, equal_nan=True)


def test_pooled_fss_equals_pysteps_accumulating_every_frame(pysteps_verification, pair):
    from pysteps.verification.spatialscores import fss_accum, fss_compute, fss_init

    pred, obs = pair
    ref = fss_init(74.0, 5)
    for n in range(pred.shape[0]):
        for t in range(pred.shape[1]):
            fss_accum(ref, pred[n, t], obs[n, t])
    ours = FractionsSkillScore(thresholds=(74.0,), scales=(5,))
    state = ours.merge(ours.accumulate(None, pred[:1], obs[:1]), ours.accumulate(None, pred[1:], obs[1:]))
    np.testing.assert_allclose(ours.compute(state)["FSS"][0, 0], fss_compute(ref), atol=1e-9)


def test_a_perfect_forecast_has_fss_one_and_fss_grows_with_scale(pair):
    pred, obs = pair
    assert np.allclose(FractionsSkillScore(thresholds=(16.0, 74.0))(obs, obs)["FSS"], 1.0)
    fss = FractionsSkillScore(thresholds=(74.0,), scales=(1, 5, 11))(pred, obs)["FSS"][0]
    assert fss[0] <= fss[1] <= fss[2]


def test_fss_is_nan_without_any_event():
    zeros = np.zeros((1, 1, 8, 8))
    assert np.isnan(FractionsSkillScore(thresholds=(16.0,), scales=(3,))(zeros, zeros)["FSS"][0, 0])
