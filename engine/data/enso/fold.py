"""Overlapping 36-month windows <-> one continuous monthly series per climate model.

Sample ``i`` of a model holds months ``12 i .. 12 i + 35`` of its run, so ``Y`` samples cover
``12 Y + 24`` months and month ``t`` of the series is month ``t - 12 j`` of sample
``j = min(t // 12, Y - 1)``. Folding reads only every third sample (they tile the run without
overlap) plus the tail of the last one: a third of the file.
"""
from __future__ import annotations

import numpy as np

from .format import WINDOW_MONTHS, WINDOW_STRIDE, months_in_series

_PER_TILE = WINDOW_MONTHS // WINDOW_STRIDE  # 3 samples per non-overlapping tile


def fold_plan(years: int) -> tuple[list[int], int]:
    """Which samples to read to rebuild a model's series.

    Returns
    -------
    (samples, tail) : every sample in ``samples`` contributes all 36 months; then the last
        ``tail`` months (0, 12 or 24) of sample ``years - 1`` complete the series.
    """
    if years < 1:
        raise ValueError(f"years: expected >= 1, got {years}")
    samples = list(range(0, years, _PER_TILE))
    tail = WINDOW_STRIDE * (years - 1 - samples[-1])
    return samples, tail


def fold_windows(windows: np.ndarray) -> np.ndarray:
    """(Y, 36, ...) overlapping windows -> (12 Y + 24, ...) monthly series."""
    if windows.ndim < 2 or windows.shape[1] != WINDOW_MONTHS:
        raise ValueError(f"windows: expected (years, {WINDOW_MONTHS}, ...), got {windows.shape}")
    samples, tail = fold_plan(windows.shape[0])
    parts = [windows[i] for i in samples]
    if tail:
        parts.append(windows[-1, WINDOW_MONTHS - tail:])
    series = np.concatenate(parts, axis=0)
    assert series.shape[0] == months_in_series(windows.shape[0])
    return series


def unfold_series(series: np.ndarray, years: int) -> np.ndarray:
    """(12 Y + 24 + extra, ...) monthly series -> (Y, 36, ...) windows starting every 12 months."""
    need = months_in_series(years)
    if series.shape[0] < need:
        raise ValueError(f"series: expected at least {need} months for {years} windows, got {series.shape[0]}")
    starts = WINDOW_STRIDE * np.arange(years)
    index = starts[:, None] + np.arange(WINDOW_MONTHS)[None, :]  # (Y, 36)
    return series[index]
