"""Eulerian persistence, ENSO damped persistence and climatology: the baselines every forecast beats.

All take a context window (T_in, ...) whose first axis is time, so one function serves SEVIR
frames (T_in, H, W), SST anomaly fields and Nino3.4 series (T_in,). ENSO data are anomalies,
so climatology is zero anomaly and damped persistence shrinks the last anomaly toward zero by
the lag-l autocorrelation r_l fitted on training data (the classic benchmark of ENSO skill).
"""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from ._checks import check_context


def persistence(context: Any, n_steps: int) -> np.ndarray:
    """Repeat the last frame: (T_in, ...) -> (n_steps, ...)."""
    context = check_context(context, n_steps)
    return np.repeat(context[-1:], n_steps, axis=0)


def climatology(context: Any, n_steps: int, *, climate: float | np.ndarray = 0.0) -> np.ndarray:
    """The climatological value (zero anomaly by default): (T_in, ...) -> (n_steps, ...)."""
    context = check_context(context, n_steps)
    return np.broadcast_to(np.asarray(climate, dtype=np.float64), (n_steps, *context.shape[1:])).copy()


def damped_persistence(context: Any, n_steps: int, *, damping: np.ndarray) -> np.ndarray:
    """Last anomaly times r_l for leads l = 1..n_steps: (T_in, ...) -> (n_steps, ...).

    ``damping`` is ``fit_damping(...)``'s (max_lag, ...) lag autocorrelations (max_lag >= n_steps),
    one set per grid point, or (max_lag,) shared by every grid point.
    """
    context = check_context(context, n_steps)
    damping = np.asarray(damping, dtype=np.float64)
    if damping.ndim < 1 or damping.shape[0] < n_steps:
        raise ValueError(f"damping: expected at least n_steps={n_steps} lag coefficients, got shape {damping.shape}")
    damping = damping[:n_steps]
    if damping.ndim == 1:  # one coefficient per lead for every grid point
        damping = damping.reshape(-1, *([1] * (context.ndim - 1)))
    elif damping.shape[1:] != context.shape[1:]:
        raise ValueError(f"damping: expected shape (n_lags, {', '.join(map(str, context.shape[1:]))}) per grid point, "
                         f"got {damping.shape}")
    return damping * context[-1]


def fit_damping(series: np.ndarray | Sequence[np.ndarray], max_lag: int) -> np.ndarray:
    """Lag-l autocorrelations r_1..r_max_lag of training anomalies, pooled over series.

    Parameters
    ----------
    series : (n_time, ...) with time first (a Nino3.4 series, or SST fields (n_time, H, W)), or a
        list of such series (e.g. one per climate model) whose lag pairs are pooled.
    max_lag : the longest lead to forecast.

    Returns
    -------
    (max_lag, ...) Pearson correlations between x_t and x_{t+l} over every pair in every series.
    For an AR(1) process x_t = phi x_{t-1} + noise, r_l -> phi^l.
    """
    parts = [np.asarray(s, dtype=np.float64) for s in (series if isinstance(series, (list, tuple)) else [series])]
    if not parts or any(p.shape[0] <= max_lag for p in parts) or max_lag < 1:
        raise ValueError(f"series: expected each series longer than max_lag={max_lag} steps, "
                         f"got lengths {[p.shape[0] for p in parts]}")
    out = []
    for lag in range(1, max_lag + 1):
        a = np.concatenate([p[:-lag] for p in parts])
        b = np.concatenate([p[lag:] for p in parts])
        a, b = a - a.mean(axis=0), b - b.mean(axis=0)
        out.append((a * b).sum(axis=0) / np.sqrt((a * a).sum(axis=0) * (b * b).sum(axis=0)))
    return np.stack(out)
