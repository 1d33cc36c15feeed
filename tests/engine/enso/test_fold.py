"""Folding overlapping 36-month windows recovers the continuous series (brute force)."""
from __future__ import annotations

import numpy as np
import pytest

from engine.data.enso.fold import fold_plan, fold_windows, unfold_series
from engine.data.enso.format import months_in_series


def _brute_force_series(windows: np.ndarray) -> np.ndarray:
    years = windows.shape[0]
    return np.stack([windows[min(t // 12, years - 1), t - 12 * min(t // 12, years - 1)]
                     for t in range(months_in_series(years))])


@pytest.mark.parametrize("years", [1, 2, 3, 4, 5, 6, 7, 151, 140])
def test_fold_matches_the_month_by_month_definition(years):
    series = np.random.default_rng(years).normal(size=(months_in_series(years), 2))
    windows = unfold_series(series, years)
    assert windows.shape == (years, 36, 2)
    for i in range(years):  # consecutive samples overlap by 24 months
        assert np.array_equal(windows[i], series[12 * i:12 * i + 36])
    assert np.array_equal(fold_windows(windows), series)
    assert np.array_equal(fold_windows(windows), _brute_force_series(windows))


def test_fold_reads_every_third_sample_and_the_last_tail():
    assert fold_plan(151) == (list(range(0, 151, 3)), 0)
    assert fold_plan(140) == (list(range(0, 140, 3)), 12)
    assert fold_plan(6) == ([0, 3], 24)


def test_too_short_series_and_bad_windows_are_rejected():
    with pytest.raises(ValueError, match="expected at least 60 months for 3 windows, got 59"):
        unfold_series(np.zeros(59), 3)
    with pytest.raises(ValueError, match=r"expected \(years, 36, \.\.\.\)"):
        fold_windows(np.zeros((3, 12)))
