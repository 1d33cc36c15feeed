"""CRPS, spread-skill, rank histogram and Brier score: pysteps cross-checks, identities, brute force."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.metrics import BrierScore, Crps, RankHistogram, SpreadSkill, crps_map, exceedance_probability


def ensemble(seed: int = 1, m: int = 5, shape=(2, 3, 10, 10)) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    obs = rng.uniform(0, 255, shape)
    return np.clip(obs + rng.normal(0, 40, (m, *shape)), 0, 255), obs


@pytest.mark.parametrize("m", [1, 2, 7])
def test_crps_equals_pysteps_probscores_crps(pysteps_verification, m):
    ens, obs = ensemble(m=m)
    np.testing.assert_allclose(Crps(scale=1.0)(ens, obs)["CRPS"], pysteps_verification.CRPS(ens, obs), atol=1e-6)
    for t in range(obs.shape[1]):
        np.testing.assert_allclose(Crps(reduce="lead", scale=1.0)(ens, obs)["CRPS"][t],
                                   pysteps_verification.CRPS(ens[:, :, t], obs[:, t]), atol=1e-6)


def test_crps_map_equals_the_quadratic_pair_sum():
    ens, obs = ensemble(m=6, shape=(1, 1, 4, 4))
    brute = np.abs(ens - obs).mean(0) - np.abs(ens[:, None] - ens[None]).sum((0, 1)) / (2 * 6**2)
    np.testing.assert_allclose(crps_map(ens, obs), brute, atol=1e-10)


def test_a_one_member_ensembles_crps_is_its_mae_and_a_perfect_one_scores_zero():
    ens, obs = ensemble(m=1)
    np.testing.assert_allclose(Crps()(ens, obs)["CRPS"], np.abs(ens[0] - obs).mean() / 255, rtol=1e-12)
    assert Crps()(np.stack([obs, obs, obs]), obs)["CRPS"] == 0.0


def test_pooled_crps_scores_max_pooled_members(pysteps_verification):
    ens, obs = ensemble(m=3, shape=(1, 2, 8, 8))
    pooled_ens = ens.reshape(3, 1, 2, 2, 4, 2, 4).max(axis=(4, 6))
    pooled_obs = obs.reshape(1, 2, 2, 4, 2, 4).max(axis=(3, 5))
    np.testing.assert_allclose(Crps(pool=4, scale=1.0)(ens, obs)["CRPS"],
                               pysteps_verification.CRPS(pooled_ens, pooled_obs), atol=1e-6)


@pytest.mark.parametrize("structured", [False, True])
def test_member_and_pair_rmse_equal_pysteps_ensemble_skill_and_spread(pysteps_verification, structured):
    ens, obs = ensemble(m=4, shape=(1, 1, 16, 16))
    if structured:  # members that are shifted copies of the observation
        ens = np.stack([np.roll(obs, k, axis=-1) for k in range(4)])
    out = SpreadSkill(scale=1.0)(ens, obs)
    np.testing.assert_allclose(out["member_rmse"], pysteps_verification.ensemble_skill(ens[:, 0, 0], obs[0, 0], "RMSE"),
                               atol=1e-6)
    np.testing.assert_allclose(out["pair_rmse"], pysteps_verification.ensemble_spread(ens[:, 0, 0], "RMSE"), atol=1e-6)


def test_spread_skill_ratio_is_one_for_exchangeable_members_and_observation():
    rng = np.random.default_rng(4)
    centre = rng.normal(0, 1, (50, 2, 16, 16))
    draws = centre + rng.normal(0, 0.3, (9, *centre.shape))  # 8 members + the observation, exchangeable
    out = SpreadSkill(scale=1.0)(draws[:8], draws[8])
    assert abs(out["ratio"] - 1.0) < 0.03  # 25,600 pixels: the standard error of the ratio is ~0.005
    assert abs(out["spread"] - 0.3) < 0.01


def test_spread_needs_two_members():
    ens, obs = ensemble(m=1)
    with pytest.raises(ValueError, match="at least 2 members"):
        SpreadSkill()(ens, obs)


def test_rank_histogram_equals_pysteps_rankhist_without_ties(pysteps_verification):
    ens, obs = ensemble(m=5)
    ens, obs = ens + 1e-3 * np.arange(5).reshape(5, 1, 1, 1, 1), obs + 1e-4  # break clipping ties
    ours = RankHistogram()(ens, obs)
    np.testing.assert_allclose(ours["frequency"], pysteps_verification.rankhist(ens, obs), atol=1e-12)
    assert ours["counts"].sum() == obs.size


def test_rank_histogram_spreads_ties_over_the_tied_ranks():
    obs = np.zeros((4, 1, 50, 50))
    freq = RankHistogram()(np.zeros((3, *obs.shape)), obs)["frequency"]
    np.testing.assert_allclose(freq, 0.25, atol=0.02)  # 10,000 ties over 4 ranks


def test_brier_score_equals_a_brute_force_mean():
    ens, obs = ensemble(m=4)
    out = BrierScore(thresholds=(74.0, 181.0), reduce="lead")(ens, obs)["BS"]
    for k, thr in enumerate((74.0, 181.0)):
        prob = (ens >= thr).mean(axis=0)
        np.testing.assert_allclose(out[k], ((prob - (obs >= thr)) ** 2).mean(axis=(0, 2, 3)), rtol=1e-12)
    assert np.all(BrierScore()(np.stack([obs, obs]), obs)["BS"] == 0)


def test_exceedance_probability_counts_members_at_or_above_the_threshold():
    ens = np.array([10.0, 74.0, 100.0, 200.0]).reshape(4, 1)
    np.testing.assert_allclose(exceedance_probability(ens, (74.0, 181.0)), [[0.75], [0.25]])
    np.testing.assert_allclose(exceedance_probability(ens / 255, (74.0,), scale=1.0), [[0.75]])


@settings(max_examples=20, deadline=None)
@given(cut=st.integers(1, 3), seed=st.integers(0, 2**16))
def test_ensemble_scores_stream_exactly_over_any_split(cut, seed):
    ens, obs = ensemble(seed=seed, m=3, shape=(4, 2, 6, 6))
    for metric in (Crps(reduce="lead"), SpreadSkill(reduce="lead"), BrierScore(reduce="lead")):
        a, b = metric.batch_state(ens[:, :cut], obs[:cut]), metric.batch_state(ens[:, cut:], obs[cut:])
        one_shot = metric(ens, obs)
        for state in (metric.merge(a, b), metric.merge(b, a)):
            for key, value in metric.compute(state).items():
                np.testing.assert_allclose(value, one_shot[key], rtol=1e-10, err_msg=key)


def test_an_ensemble_metric_rejects_a_deterministic_forecast():
    ens, obs = ensemble(m=2)
    with pytest.raises(ValueError, match=r"forecast: expected 5 dimensions \(M, N, T, H, W\)"):
        Crps()(ens[0], obs)
