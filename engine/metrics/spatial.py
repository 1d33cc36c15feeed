"""Fractions skill score (Roberts and Lean 2008), streamed, per threshold, scale and lead time.

Binary fields ``x >= thr`` are smoothed by a ``scale x scale`` moving average (zero outside the
domain, as in ``pysteps.verification.spatialscores.fss``); FSS = 1 - sum (S_f - S_o)^2 /
(sum S_f^2 + sum S_o^2) with every sum pooled over the accumulated frames.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.ndimage import uniform_filter

from ._arrays import Reduce, Streaming, check_pair, check_reduce, lead_sum, reduce_leads, require_state, to_pixel_scale
from .categorical import THRESHOLDS


@dataclass(frozen=True)
class FssSums:
    """Sums of S_f^2, S_f S_o and S_o^2, each ``(K, S, T)`` (thresholds, scales, leads)."""

    fct_sq: np.ndarray
    fct_obs: np.ndarray
    obs_sq: np.ndarray


def fractions(binary: np.ndarray, scale: int) -> np.ndarray:
    """Neighbourhood fractions of a (..., H, W) binary field over a ``scale``-pixel square window."""
    if scale == 1:
        return binary
    size = (1,) * (binary.ndim - 2) + (scale, scale)  # smooth only the two spatial axes
    return uniform_filter(binary, size=size, mode="constant", cval=0.0)


@dataclass(frozen=True)
class FractionsSkillScore(Streaming):
    """FSS of (N, T, H, W) fields.

    Parameters
    ----------
    thresholds : on the 0-255 pixel scale, compared with ">=".
    scales : window sizes in pixels (odd sizes centre the window exactly).
    reduce : ``"lead"`` -> ``FSS`` of shape (K, S, T); ``"all"`` -> (K, S).
    scale : the data scale (values are multiplied by ``255 / scale`` before thresholding).

    ``compute`` returns ``thresholds``, ``scales`` and ``FSS`` (NaN where neither field has an event).
    """

    thresholds: tuple[float, ...] = THRESHOLDS
    scales: tuple[int, ...] = (1, 5, 17)
    reduce: Reduce = "all"
    scale: float = 255.0

    def __post_init__(self) -> None:
        check_reduce(self.reduce)
        if not self.scales or any(int(s) != s or s < 1 for s in self.scales):
            raise ValueError(f"scales: expected positive integer window sizes, got {self.scales}")

    def batch_state(self, pred, obs) -> FssSums:
        pred, obs = check_pair(pred, obs, ensemble=False)
        pred, obs = to_pixel_scale(pred, self.scale), to_pixel_scale(obs, self.scale)
        sums = {"fct_sq": [], "fct_obs": [], "obs_sq": []}
        for thr in self.thresholds:
            bf, bo = (pred >= thr).astype(np.float64), (obs >= thr).astype(np.float64)
            rows = {k: [] for k in sums}
            for s in self.scales:
                sf, so = fractions(bf, int(s)), fractions(bo, int(s))
                rows["fct_sq"].append(lead_sum(sf * sf))
                rows["fct_obs"].append(lead_sum(sf * so))
                rows["obs_sq"].append(lead_sum(so * so))
            for k in sums:
                sums[k].append(np.stack(rows[k]))
        return FssSums(**{k: np.stack(v) for k, v in sums.items()})

    def compute(self, state: FssSums | None) -> dict[str, np.ndarray]:
        require_state(state, "fss")
        ff, fo, oo = (reduce_leads(getattr(state, k), self.reduce) for k in ("fct_sq", "fct_obs", "obs_sq"))
        with np.errstate(invalid="ignore", divide="ignore"):
            fss = 1.0 - (ff - 2.0 * fo + oo) / (ff + oo)
        return {"thresholds": np.asarray(self.thresholds), "scales": np.asarray(self.scales), "FSS": fss}
