"""MSE, MAE, RMSE and correlation agree with pysteps and stream exactly over any split."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.metrics import ContinuousScores

PAIRS = {"MSE": "MSE", "MAE": "MAE", "RMSE": "RMSE", "corr": "corr_p"}


@pytest.mark.parametrize("reduce, axis", [("all", None), ("lead", (0, 2, 3))])
def test_scores_equal_pysteps_det_cont_fct(pysteps_verification, pair, reduce, axis):
    pred, obs = pair
    ours = ContinuousScores(reduce=reduce, scale=1.0)(pred, obs)
    ref = pysteps_verification.det_cont_fct(pred, obs, scores=list(PAIRS.values()), axis=axis)
    for name, ref_name in PAIRS.items():
        np.testing.assert_allclose(ours[name], ref[ref_name], rtol=1e-6, atol=1e-9, err_msg=name)


def test_pixel_data_is_scored_on_the_papers_zero_one_scale(pair):
    pred, obs = pair
    pixels = ContinuousScores()(pred, obs)
    unit = ContinuousScores(scale=1.0)(pred / 255, obs / 255)
    for name in PAIRS:
        np.testing.assert_allclose(pixels[name], unit[name], rtol=1e-12)
    np.testing.assert_allclose(pixels["MSE"], np.mean((pred / 255 - obs / 255) ** 2), rtol=1e-12)


def test_a_perfect_forecast_has_zero_error_and_unit_correlation(pair):
    _, obs = pair
    out = ContinuousScores(reduce="lead")(obs, obs)
    assert np.all(out["MSE"] == 0) and np.all(out["MAE"] == 0)
    np.testing.assert_allclose(out["corr"], 1.0, atol=1e-12)


@settings(max_examples=25, deadline=None)
@given(cuts=st.lists(st.integers(1, 6), min_size=1, max_size=4, unique=True), seed=st.integers(0, 2**16),
       offset=st.floats(0, 1e4))
def test_streaming_over_any_split_equals_one_shot_in_any_merge_order(cuts, seed, offset):
    rng = np.random.default_rng(seed)
    obs = offset + rng.normal(0, 1, (7, 2, 5, 5))
    pred = obs + rng.normal(0, 0.5, obs.shape)
    metric = ContinuousScores(reduce="lead", scale=1.0)
    edges = [0, *sorted(cuts), 7]
    states = [metric.batch_state(pred[a:b], obs[a:b]) for a, b in zip(edges[:-1], edges[1:])]
    one_shot = metric(pred, obs)
    for order in (states, states[::-1], states[1::2] + states[::2]):
        state = metric.init()
        for s in order:
            state = metric.merge(state, s)
        for name in PAIRS:
            np.testing.assert_allclose(metric.compute(state)[name], one_shot[name], rtol=1e-9, err_msg=name)
    pooled = ContinuousScores(reduce="all", scale=1.0)
    np.testing.assert_allclose(pooled.compute(state)["corr"], np.corrcoef(pred.ravel(), obs.ravel())[0, 1], rtol=1e-9)
