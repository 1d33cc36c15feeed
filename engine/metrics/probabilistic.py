"""Exceedance probabilities and the Brier score of an ensemble, per threshold and lead time.

The forecast probability of ``x >= thr`` is the fraction of members at or above it (thresholds on
the 0-255 pixel scale, like the categorical scores); the Brier score is the mean of
(p - [obs >= thr])^2 over pixels and samples.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._arrays import Reduce, Streaming, check_pair, check_reduce, lead_sum, max_pool, reduce_leads, require_state, to_pixel_scale
from .categorical import THRESHOLDS


def exceedance_probability(ens: np.ndarray, thresholds: tuple[float, ...] = THRESHOLDS, scale: float = 255.0) -> np.ndarray:
    """Fraction of members ``>= thr``: ``ens`` (M, ...) -> (K, ...) in [0, 1], for K thresholds."""
    ens = to_pixel_scale(np.asarray(ens, dtype=np.float64), scale)
    return np.stack([(ens >= thr).mean(axis=0) for thr in thresholds])


@dataclass(frozen=True)
class BrierSums:
    total: np.ndarray  # (K, T) sum of squared probability errors
    n: np.ndarray  # (T,)


@dataclass(frozen=True)
class BrierScore(Streaming):
    """Brier score of ensemble exceedance probabilities.

    Parameters
    ----------
    thresholds : on the 0-255 pixel scale, ">=".
    reduce : ``"lead"`` -> ``BS`` (K, T); ``"all"`` -> (K,).
    pool : max-pool kernel = stride applied to members and observation first.
    scale : the data scale.
    """

    thresholds: tuple[float, ...] = THRESHOLDS
    reduce: Reduce = "all"
    pool: int = 1
    scale: float = 255.0

    def __post_init__(self) -> None:
        check_reduce(self.reduce)

    def batch_state(self, pred, obs) -> BrierSums:
        pred, obs = check_pair(pred, obs, ensemble=True)
        pred = max_pool(to_pixel_scale(pred, self.scale), self.pool)
        obs = max_pool(to_pixel_scale(obs, self.scale), self.pool)
        prob = exceedance_probability(pred, self.thresholds, scale=255.0)  # (K, N, T, H, W)
        total = np.stack([lead_sum((p - (obs >= thr)) ** 2) for p, thr in zip(prob, self.thresholds)])
        return BrierSums(total=total, n=lead_sum(np.ones_like(obs)))

    def compute(self, state: BrierSums | None) -> dict[str, np.ndarray]:
        require_state(state, "brier")
        return {"thresholds": np.asarray(self.thresholds),
                "BS": reduce_leads(state.total, self.reduce) / reduce_leads(state.n, self.reduce)}
