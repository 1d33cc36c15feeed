"""Contingency scores agree with pysteps, stream exactly, pool like a brute-force loop."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.metrics import THRESHOLDS, CategoricalScores
from engine.metrics._arrays import max_pool

SCORES = {"CSI": "CSI", "POD": "POD", "FAR": "FAR", "BIAS": "BIAS", "HSS": "HSS"}


def pysteps_ge(verification, pred, obs, thr, axis):
    """pysteps thresholds with ">"; the largest float below ``thr`` turns that into ">= thr"."""
    return verification.det_cat_fct(pred, obs, np.nextafter(thr, -np.inf), scores=list(SCORES), axis=axis)


@pytest.mark.filterwarnings("ignore:invalid value:RuntimeWarning")  # pysteps' own 0/0
@pytest.mark.parametrize("reduce, axis", [("all", None), ("lead", (0, 2, 3))])
def test_scores_equal_pysteps_det_cat_fct(pysteps_verification, pair, reduce, axis):
    pred, obs = pair
    ours = CategoricalScores(reduce=reduce, eps=0.0)(pred, obs)
    for k, thr in enumerate(THRESHOLDS):
        ref = pysteps_ge(pysteps_verification, pred, obs, thr, axis)
        for name in SCORES:
            np.testing.assert_allclose(ours[name][k], ref[name], atol=1e-6, rtol=0, equal_nan=True, err_msg=f"{name}@{thr}")
    np.testing.assert_allclose(ours["SUCR"], 1 - ours["FAR"], atol=1e-12, equal_nan=True)
    np.testing.assert_allclose(ours["CSI-M"], ours["CSI"].mean(axis=0), equal_nan=True)


def test_ge_counts_a_value_equal_to_the_threshold_as_an_event():
    field = np.full((1, 1, 2, 2), 74.0)
    out = CategoricalScores(thresholds=(74.0,))(field, field)
    assert out["hits"][0] == 4 and out["misses"][0] == 0


def test_a_perfect_forecast_has_csi_pod_one_and_far_zero(pair):
    _, obs = pair
    out = CategoricalScores(thresholds=(16.0, 74.0, 133.0))(obs, obs)
    assert np.all(out["CSI"] > 1 - 1e-6) and np.all(out["POD"] > 1 - 1e-6) and np.all(out["FAR"] == 0)
    assert np.all(out["misses"] == 0) and np.all(out["false_alarms"] == 0)


def test_the_papers_eps_makes_an_empty_category_score_zero():
    zeros = np.zeros((1, 2, 4, 4))
    assert CategoricalScores()(zeros, zeros)["CSI"][-1] == 0.0
    assert np.isnan(CategoricalScores(eps=0.0)(zeros, zeros)["CSI"][-1])


def test_scale_one_data_scores_like_the_same_data_in_pixels(pair):
    pred, obs = pair
    a = CategoricalScores(reduce="lead")(pred, obs)
    b = CategoricalScores(reduce="lead", scale=1.0)(pred / 255, obs / 255)
    for k in ("hits", "misses", "false_alarms"):
        np.testing.assert_array_equal(a[k], b[k])


@pytest.mark.parametrize("pool", [4, 16])
def test_max_pooled_scores_equal_a_brute_force_loop(pool):
    rng = np.random.default_rng(3)
    pred, obs = rng.uniform(0, 255, (2, 2, 35, 33)), rng.uniform(0, 255, (2, 2, 35, 33))
    ours = CategoricalScores(pool=pool, reduce="lead")(pred, obs)
    h, w = 35 // pool, 33 // pool
    for t in range(2):
        for k, thr in enumerate(THRESHOLDS):
            hits = misses = fa = 0
            for n in range(2):
                for i in range(h):
                    for j in range(w):
                        p = pred[n, t, i * pool:(i + 1) * pool, j * pool:(j + 1) * pool].max() >= thr
                        o = obs[n, t, i * pool:(i + 1) * pool, j * pool:(j + 1) * pool].max() >= thr
                        hits, misses, fa = hits + (p and o), misses + (o and not p), fa + (p and not o)
            assert (ours["hits"][k, t], ours["misses"][k, t], ours["false_alarms"][k, t]) == (hits, misses, fa)


def test_max_pool_rejects_a_window_larger_than_the_field():
    with pytest.raises(ValueError, match="pool"):
        max_pool(np.zeros((1, 1, 8, 8)), 16)


@settings(max_examples=25, deadline=None)
@given(cuts=st.lists(st.integers(1, 5), min_size=1, max_size=4, unique=True), seed=st.integers(0, 2**16))
def test_streaming_over_any_split_equals_one_shot_and_merge_order_does_not_matter(cuts, seed):
    rng = np.random.default_rng(seed)
    pred, obs = rng.uniform(0, 255, (6, 2, 8, 8)), rng.uniform(0, 255, (6, 2, 8, 8))
    metric = CategoricalScores(reduce="lead", pool=4)
    edges = [0, *sorted(cuts), 6]
    states = [metric.accumulate(metric.init(), pred[a:b], obs[a:b]) for a, b in zip(edges[:-1], edges[1:]) if b > a]
    forward, backward = metric.init(), metric.init()
    for s in states:
        forward = metric.merge(forward, s)
    for s in reversed(states):
        backward = metric.merge(s, backward)
    one_shot = metric(pred, obs)
    for out in (metric.compute(forward), metric.compute(backward)):
        for key in ("hits", "misses", "false_alarms", "correct_negatives", "CSI", "HSS", "CSI-M"):
            np.testing.assert_array_equal(out[key], one_shot[key])


def test_mismatched_shapes_and_nans_are_one_clear_error():
    with pytest.raises(ValueError, match=r"forecast: expected \(N, T, H, W\) = \(1, 2, 4, 4\).*got \(1, 2, 4, 5\)"):
        CategoricalScores()(np.zeros((1, 2, 4, 5)), np.zeros((1, 2, 4, 4)))
    with pytest.raises(ValueError, match="forecast: expected finite values, got 1 NaN"):
        CategoricalScores()(np.where(np.eye(4) > 0, np.nan, 0)[None, None][:, :, :1], np.zeros((1, 1, 1, 4)))
    with pytest.raises(ValueError, match="reduce: expected one of lead, all"):
        CategoricalScores(reduce="per_lead")
