"""Persistence, climatology and damped persistence: identities and an AR(1) fit."""
from __future__ import annotations

import numpy as np
import pytest

from engine.baselines import climatology, damped_persistence, fit_damping, persistence


@pytest.mark.parametrize("shape", [(5,), (5, 8, 9)])
def test_persistence_repeats_the_last_frame_for_every_lead(shape):
    context = np.random.default_rng(0).normal(size=shape)
    out = persistence(context, 7)
    assert out.shape == (7, *shape[1:])
    assert all(np.array_equal(frame, context[-1]) for frame in out)


def test_climatology_is_zero_anomaly_or_the_given_climate():
    context = np.ones((12, 4, 6))
    assert np.all(climatology(context, 14) == 0) and climatology(context, 14).shape == (14, 4, 6)
    assert np.all(climatology(np.ones(12), 3, climate=0.5) == 0.5)


def ar1(phi: float, n: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    x = np.zeros(n)
    noise = rng.normal(size=n)
    for t in range(1, n):
        x[t] = phi * x[t - 1] + noise[t]
    return x


def test_damping_fit_is_the_lag_correlation_and_recovers_an_ar1_coefficient():
    phi, n = 0.8, 40_000
    x = ar1(phi, n)
    r = fit_damping(x, 4)
    assert r[0] == pytest.approx(np.corrcoef(x[:-1], x[1:])[0, 1], abs=1e-12)
    # sampling standard error of r_l is about sqrt((1 + phi^2) / (1 - phi^2) / n) < 0.012 here
    np.testing.assert_allclose(r, phi ** np.arange(1, 5), atol=0.03)


def test_damping_pools_lag_pairs_over_several_series_and_grid_points():
    series = [ar1(0.6, 5000, seed=s) for s in range(3)]
    pooled = fit_damping(series, 2)
    a = np.concatenate([s[:-1] for s in series])
    b = np.concatenate([s[1:] for s in series])
    assert pooled[0] == pytest.approx(np.corrcoef(a, b)[0, 1], abs=1e-12)
    fields = np.stack([ar1(0.3, 3000, 1), ar1(0.9, 3000, 2)], axis=1)  # (time, 2 grid points)
    np.testing.assert_allclose(fit_damping(fields, 1)[0], [0.3, 0.9], atol=0.05)


def test_damped_persistence_scales_the_last_anomaly_by_the_lag_correlation():
    context = np.array([0.0, 1.0, 2.0])
    out = damped_persistence(context, 3, damping=np.array([0.9, 0.81, 0.729, 0.6]))
    np.testing.assert_allclose(out, [1.8, 1.62, 1.458])
    with pytest.raises(ValueError, match="damping: expected at least n_steps=3 lag coefficients"):
        damped_persistence(context, 3, damping=np.array([0.9]))


def test_bad_contexts_are_one_clear_error():
    with pytest.raises(ValueError, match="context: expected finite values, got 1 NaN"):
        persistence(np.array([1.0, np.nan]), 2)
    with pytest.raises(ValueError, match="n_steps: expected a positive integer, got 0"):
        persistence(np.ones(3), 0)
    with pytest.raises(ValueError, match="series: expected each series longer than max_lag=5"):
        fit_damping(np.ones(4), 5)
