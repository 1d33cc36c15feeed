"""ICAR-ENSO scores of Earthformer (Gao et al., NeurIPS 2022): Nino3.4 skill per lead month.

For lead l = 1..L, corr_l is the Pearson correlation across the N test samples of predicted and
true Nino3.4 (sample means subtracted, denominator + 1e-6; NaN, "undefined", for a forecast that
is constant across samples, such as climatology); C-Nino3.4-M = mean_l corr_l and
C-Nino3.4-WM = (1/L) sum_l a_l ln(l) corr_l with the Tianchi weights a_l = 1.5 (l <= 4),
2 (5..11), 3 (12..18), 4 (19..24). Nino3.4 RMSE = (1/L) sum_l sqrt(mean_n (y_hat - y)^2).
SST MSE is ``SstScores`` (continuous scores with scale 1) on min-max scaled SST, over every sample,
month and grid point, reported in units of 1e-4 (Earthformer 2.546e-4; x 26.748^2 for °C^2).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._arrays import Streaming, require_state
from .continuous import ContinuousScores, Moments, merge_moments, moments, pearson

# Nino3.4 box on Earthformer's cropped 24 x 48 grid (reference D.2): lat -5..5, lon 190..240 E.
NINO34_LAT = slice(10, 13)
NINO34_LON = slice(19, 30)


def tianchi_weights(n_leads: int) -> np.ndarray:
    """Weights a_l ln(l) for leads 1..``n_leads`` (at most 24): ``(L,)``; lead 1 weighs 0."""
    if not 1 <= n_leads <= 24:
        raise ValueError(f"n_leads: expected 1..24 lead months, got {n_leads}")
    lead = np.arange(1, n_leads + 1)
    a = np.select([lead <= 4, lead <= 11, lead <= 18], [1.5, 2.0, 3.0], 4.0)
    return a * np.log(lead)


def nino34_index(sst: np.ndarray, window: int = 3) -> np.ndarray:
    """Nino3.4 from SST anomalies (°C) on the cropped grid: (N, T, 24, 48) -> (N, T - window + 1).

    Box mean (lat rows 10-12, lon columns 19-29), then a forward ``window``-month running mean,
    as Earthformer derives it from the 14 predicted months (12 leads). Un-scale min-max scaled
    SST first.
    """
    sst = np.asarray(sst, dtype=np.float64)
    if sst.ndim != 4 or sst.shape[-2:] != (24, 48) or sst.shape[1] < window:
        raise ValueError(f"sst: expected (N, T >= {window}, 24, 48) on the cropped ICAR-ENSO grid, got {sst.shape}")
    box = sst[:, :, NINO34_LAT, NINO34_LON].mean(axis=(2, 3))  # (N, T)
    kernel = np.ones(window) / window
    return np.stack([np.convolve(row, kernel, mode="valid") for row in box])


@dataclass(frozen=True)
class SstScores(ContinuousScores):
    """MSE, MAE, RMSE and correlation of scaled SST fields (N, T, H, W): ``scale`` defaults to 1."""

    scale: float = 1.0


def check_series(pred, obs) -> tuple[np.ndarray, np.ndarray]:
    """Validate Nino3.4 forecasts and observations, both (N, L)."""
    pred, obs = np.asarray(pred, dtype=np.float64), np.asarray(obs, dtype=np.float64)
    if obs.ndim != 2:
        raise ValueError(f"observed: expected Nino3.4 of shape (N, L), got {obs.shape}")
    if pred.shape != obs.shape:
        raise ValueError(f"forecast: expected shape {obs.shape} (N, L) to match observed, got {pred.shape}")
    for name, arr in (("forecast", pred), ("observed", obs)):
        if not np.all(np.isfinite(arr)):
            raise ValueError(f"{name}: expected finite values, got {int(np.sum(~np.isfinite(arr)))} NaN/inf")
    return pred, obs


@dataclass(frozen=True)
class Nino34Scores(Streaming):
    """Nino3.4 correlation skill and RMSE of (N, L) forecasts, L lead months (1..24).

    ``compute`` returns ``corr`` (L,), ``rmse`` (L,), ``weights`` (L,), ``C-Nino3.4-M``,
    ``C-Nino3.4-WM`` and ``Nino3.4 RMSE``. ``eps`` is the papers' 1e-6 in the correlation's
    denominator. A lead whose forecast (or observation) is constant across samples has no
    correlation: ``corr`` is NaN there and so are the means (climatology is "undefined", not 0).
    Per-lead moments merge exactly, so the scores of a stream equal one-shot scores.
    """

    eps: float = 1e-6

    def batch_state(self, pred, obs) -> Moments:
        pred, obs = check_series(pred, obs)
        return moments(pred, obs, axes=(0,))

    def merge(self, a, b):
        return merge_moments(a, b)

    def compute(self, state: Moments | None) -> dict[str, np.ndarray | float]:
        require_state(state, "nino34")
        corr = pearson(state, self.eps)  # NaN (undefined) for a constant forecast, e.g. climatology
        rmse = np.sqrt(state.sse / state.n)
        weights = tianchi_weights(corr.shape[0])
        return {"corr": corr, "rmse": rmse, "weights": weights, "C-Nino3.4-M": float(corr.mean()),
                "C-Nino3.4-WM": float((weights * corr).mean()), "Nino3.4 RMSE": float(rmse.mean())}
