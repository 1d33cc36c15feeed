"""Continuous scores: MSE, MAE, RMSE and Pearson correlation per lead time, streamed.

Units follow the papers: Earthformer and PreDiff compute SEVIR MSE / MAE on the [0, 1] scale
(pixel / 255) and report MSE in units of 1e-3 (Earthformer 3.6957e-3); ICAR-ENSO MSE is on the
min-max scaled SST, reported in units of 1e-4. ``ContinuousScores(scale=...)`` divides by
``scale`` so results are always on the [0, 1] scale; pass ``scale=1`` for data already there.
Moments are merged with Chan's parallel formulas, so the correlation of a long stream does not
suffer the cancellation of raw sums of squares.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._arrays import Reduce, Streaming, check_pair, check_reduce, require_state


@dataclass(frozen=True)
class Moments:
    """Per-lead running moments, each ``(T,)`` float64: count, error sums, means, co-moments."""

    n: np.ndarray
    sse: np.ndarray  # sum of squared errors
    sae: np.ndarray  # sum of absolute errors
    mean_p: np.ndarray
    mean_o: np.ndarray
    m2_p: np.ndarray  # sum of squared deviations from the mean
    m2_o: np.ndarray
    c_po: np.ndarray  # sum of products of deviations


def moments(pred: np.ndarray, obs: np.ndarray, axes: tuple[int, ...]) -> Moments:
    """Moments of ``pred`` and ``obs`` summed over ``axes`` (the remaining axes are kept)."""
    n = np.full(np.delete(np.array(pred.shape), axes), float(np.prod([pred.shape[a] for a in axes])))
    err = pred - obs
    mp, mo = pred.mean(axis=axes, keepdims=True), obs.mean(axis=axes, keepdims=True)
    dp, do = pred - mp, obs - mo
    return Moments(n=n, sse=(err**2).sum(axis=axes), sae=np.abs(err).sum(axis=axes), mean_p=mp.squeeze(axes),
                   mean_o=mo.squeeze(axes), m2_p=(dp**2).sum(axis=axes), m2_o=(do**2).sum(axis=axes),
                   c_po=(dp * do).sum(axis=axes))


def merge_moments(a: Moments | None, b: Moments | None) -> Moments | None:
    """Chan et al.'s pairwise update: exact for any split, order-independent up to rounding."""
    if a is None or b is None:
        return b if a is None else a
    if a.n.shape != b.n.shape:
        raise ValueError(f"merge: expected states of equal shape, got {a.n.shape} and {b.n.shape}")
    n = a.n + b.n
    dp, do = b.mean_p - a.mean_p, b.mean_o - a.mean_o
    w = a.n * b.n / n
    return Moments(n=n, sse=a.sse + b.sse, sae=a.sae + b.sae, mean_p=a.mean_p + dp * b.n / n,
                   mean_o=a.mean_o + do * b.n / n, m2_p=a.m2_p + b.m2_p + dp**2 * w,
                   m2_o=a.m2_o + b.m2_o + do**2 * w, c_po=a.c_po + b.c_po + dp * do * w)


def pool_leads(s: Moments) -> Moments:
    """Merge the per-lead moments ``(T,)`` into one set (scalars)."""
    out = None
    for t in range(s.n.shape[-1]):
        out = merge_moments(out, Moments(*(getattr(s, f)[..., t] for f in Moments.__dataclass_fields__)))
    return out


def moment_scores(s: Moments, eps: float = 0.0) -> dict[str, np.ndarray]:
    """MSE, MAE, RMSE and Pearson correlation (``eps`` added to its denominator)."""
    mse = s.sse / s.n
    return {"MSE": mse, "MAE": s.sae / s.n, "RMSE": np.sqrt(mse),
            "corr": s.c_po / (np.sqrt(s.m2_p * s.m2_o) + eps)}


@dataclass(frozen=True)
class ContinuousScores(Streaming):
    """MSE, MAE, RMSE and correlation of (N, T, H, W) fields, on the [0, 1] scale.

    Parameters
    ----------
    reduce : ``"lead"`` -> ``(T,)`` per score; ``"all"`` -> scalars over every lead.
    scale : the data scale (255 for SEVIR pixels, 1 for [0, 1] data); values are divided by it.

    ``compute`` returns ``MSE``, ``MAE``, ``RMSE`` (in [0, 1] units; multiply MSE by 1e3 for the
    SEVIR tables' column) and ``corr`` (Pearson over pixels and samples; NaN for a constant field).
    """

    reduce: Reduce = "all"
    scale: float = 255.0

    def __post_init__(self) -> None:
        check_reduce(self.reduce)
        if self.scale <= 0:
            raise ValueError(f"scale: expected a positive number, got {self.scale}")

    def batch_state(self, pred, obs) -> Moments:
        pred, obs = check_pair(pred, obs, ensemble=False)
        return moments(pred / self.scale, obs / self.scale, axes=(0, 2, 3))

    def merge(self, a, b):
        return merge_moments(a, b)

    def compute(self, state: Moments | None) -> dict[str, np.ndarray]:
        require_state(state, "continuous")
        with np.errstate(invalid="ignore", divide="ignore"):
            return moment_scores(state if self.reduce == "lead" else pool_leads(state))
