"""Nino3.4 skill: Tianchi weights, a hand-computed C-Nino3.4-WM, streaming, the index from SST."""
from __future__ import annotations

import numpy as np
import pytest

from engine.metrics import Nino34Scores, nino34_index, tianchi_weights


def test_tianchi_weights_match_the_published_table():
    expected = [0, 1.040, 1.648, 2.079, 3.219, 3.584, 3.892, 4.159, 4.394, 4.605, 4.796, 7.455]
    np.testing.assert_allclose(tianchi_weights(12), expected, atol=1e-3)
    assert round(float(tianchi_weights(12).mean()), 3) == 3.406  # the best attainable WM
    assert tianchi_weights(24)[-1] == pytest.approx(4 * np.log(24))


def test_c_nino34_wm_on_a_hand_computed_example():
    # Three samples, three leads. Lead 1: perfect (corr 1); lead 2: reversed (corr -1);
    # lead 3: pred (1, 2, 3) against obs (1, 3, 2): deviations (-1, 0, 1) and (-1, 1, 0), corr 1/2.
    obs = np.array([[1.0, 3.0, 1.0], [2.0, 2.0, 3.0], [3.0, 1.0, 2.0]])
    pred = np.array([[1.0, 1.0, 1.0], [2.0, 2.0, 2.0], [3.0, 3.0, 3.0]])
    out = Nino34Scores(eps=0.0)(pred, obs)
    np.testing.assert_allclose(out["corr"], [1.0, -1.0, 0.5], atol=1e-12)
    # weights 1.5 ln 1 = 0, 1.5 ln 2, 1.5 ln 3
    wm = (0 * 1.0 + 1.5 * np.log(2) * -1.0 + 1.5 * np.log(3) * 0.5) / 3
    assert out["C-Nino3.4-WM"] == pytest.approx(wm, abs=1e-12)
    assert out["C-Nino3.4-M"] == pytest.approx(0.5 / 3, abs=1e-12)
    rmse = [0.0, np.sqrt(8 / 3), np.sqrt(2 / 3)]
    assert out["Nino3.4 RMSE"] == pytest.approx(np.mean(rmse), abs=1e-12)


def test_the_papers_eps_barely_moves_the_correlation():
    rng = np.random.default_rng(0)
    obs = rng.normal(size=(100, 12))
    pred = obs + rng.normal(0, 0.5, obs.shape)
    np.testing.assert_allclose(Nino34Scores()(pred, obs)["corr"], Nino34Scores(eps=0.0)(pred, obs)["corr"], atol=1e-7)


def test_streamed_nino34_scores_equal_one_shot():
    rng = np.random.default_rng(1)
    obs = rng.normal(size=(40, 12))
    pred = 0.7 * obs + rng.normal(0, 0.5, obs.shape)
    metric = Nino34Scores()
    state = metric.merge(metric.batch_state(pred[25:], obs[25:]), metric.batch_state(pred[:25], obs[:25]))
    for key, value in metric(pred, obs).items():
        np.testing.assert_allclose(metric.compute(state)[key], value, rtol=1e-10)


def test_nino34_index_is_the_box_mean_then_a_forward_three_month_mean():
    sst = np.zeros((1, 5, 24, 48))
    sst[0, :, 10:13, 19:30] = np.arange(5).reshape(5, 1, 1)  # box mean = month index
    sst[0, :, 0, 0] = 99.0  # outside the box: ignored
    np.testing.assert_allclose(nino34_index(sst), [[1.0, 2.0, 3.0]])
    with pytest.raises(ValueError, match=r"expected \(N, T >= 3, 24, 48\)"):
        nino34_index(np.zeros((1, 5, 24, 72)))


def test_mismatched_nino34_shapes_are_one_clear_error():
    with pytest.raises(ValueError, match=r"forecast: expected shape \(4, 12\) \(N, L\) to match observed, got \(4, 11\)"):
        Nino34Scores()(np.zeros((4, 11)), np.zeros((4, 12)))


def test_sst_mse_is_the_mean_squared_error_of_scaled_sst():
    from engine.metrics import SstScores

    rng = np.random.default_rng(3)
    obs = rng.uniform(0.3, 0.7, (4, 14, 24, 48))
    pred = obs + rng.normal(0, 0.02, obs.shape)
    assert SstScores()(pred, obs)["MSE"] == pytest.approx(np.mean((pred - obs) ** 2), rel=1e-12)
