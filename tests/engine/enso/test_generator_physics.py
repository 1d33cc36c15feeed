"""The synthetic climate models behave like ENSO: a 2-7 year spectral peak, winter phase locking."""
from __future__ import annotations

import numpy as np
import pytest
from scipy.signal import welch

from engine.data.synthetic_enso import DEMO_SPEC, SODA_LIKE, ClimateModel, labels_of, run_model
from engine.data.synthetic_enso.oscillator import growth_rate
from engine.data.synthetic_enso.patterns import enso_sst_pattern

MODELS = DEMO_SPEC.climate_models() + [SODA_LIKE]
YEARS = 200  # long runs so spectra and monthly variances are stable (0.3 s per model)


@pytest.fixture(scope="module")
def indices():
    """Nino3.4 index (months - 2,) of a 200-year run of every demo climate model (and SODA_LIKE)."""
    return [labels_of(run_model(m, 12 * YEARS, np.random.default_rng([5, k]))).astype(np.float64)
            for k, m in enumerate(MODELS)]


def test_free_oscillator_has_the_requested_period_and_damping():
    for model in MODELS:
        jacobian = np.array([[model.mean_growth, model.coupling_t], [-model.coupling_h, -model.thermocline_damping]])
        eig = np.linalg.eigvals(jacobian)
        np.testing.assert_allclose(sorted(eig.imag), [-model.angular_frequency, model.angular_frequency], rtol=1e-9)
        np.testing.assert_allclose(eig.real, -model.damping_rate, rtol=1e-9)


@pytest.mark.parametrize("k", range(len(MODELS)))
def test_index_spectrum_peaks_at_an_enso_period_of_2_to_7_years(indices, k):
    freq, power = welch(indices[k] - indices[k].mean(), fs=12.0, nperseg=12 * 25)  # cycles per year
    peak = np.argmax(power[1:]) + 1
    assert 2.0 <= 1.0 / freq[peak] <= 7.0
    # a real peak, not red noise: well above the longest resolved period and the annual band
    assert power[peak] > 1.5 * power[1]
    assert power[peak] > 5 * power[np.argmin(np.abs(freq - 1.0))]


@pytest.mark.parametrize("k", range(len(MODELS)))
def test_index_variance_peaks_in_boreal_winter_not_spring(indices, k):
    month = np.arange(len(indices[k])) % 12  # index at month m averages m, m+1, m+2; 0 = January
    winter = indices[k][np.isin(month, [10, 11, 0])].var()  # NDJ, DJF, JFM
    spring = indices[k][np.isin(month, [2, 3, 4])].var()  # MAM, AMJ, MJJ
    assert winter > 1.1 * spring


def test_index_amplitude_is_enso_like(indices):
    stds = [x.std() for x in indices]
    assert all(0.5 < s < 1.2 for s in stds), stds


def test_growth_rate_is_largest_in_early_autumn_and_smallest_in_spring():
    model = ClimateModel()
    rates = growth_rate(model, np.arange(12))
    assert np.argmax(rates) in (8, 9) and np.argmin(rates) in (2, 3)
    assert rates.mean() == pytest.approx(model.mean_growth)


def test_sst_pattern_is_an_equatorial_pacific_tongue_with_a_weaker_negative_horseshoe():
    pattern = enso_sst_pattern(0.3)  # (24, 72): lat -55..60, lon 0..355
    lat_eq, lon_peak = np.unravel_index(np.argmax(pattern), pattern.shape)
    assert lat_eq in (10, 11, 12) and 220 <= 5 * lon_peak <= 250
    assert -0.35 < pattern.min() < -0.2  # the horseshoe, weaker than the tongue
    assert abs(pattern[:, 0]).max() < 1e-3  # nothing at the prime meridian (Atlantic, Africa)
