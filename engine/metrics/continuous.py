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


# Relative spread below which a series counts as constant: the float64 mean of N identical values
# is off by a few ulps (1e-16 relative), so a constant forecast keeps a residual spread of that
# order; any forecast that really varies (even by one float32 ulp, 6e-8) is far above 1e-9.
CONSTANT_RTOL = 1e-9


def is_constant(m2: np.ndarray, mean: np.ndarray, n: np.ndarray, other_m2: np.ndarray,
                rtol: float = CONSTANT_RTOL) -> np.ndarray:
    """Where a series with moments (``m2``, ``mean``, ``n``) is constant up to rounding.

    The spread sqrt(m2 / n) is compared with ``rtol`` times the larger of the series' own
    magnitude |mean| and the other series' spread, so the test does not depend on units.
    """
    spread, other = np.sqrt(np.maximum(m2, 0.0) / n), np.sqrt(np.maximum(other_m2, 0.0) / n)
    return spread <= rtol * np.maximum(np.abs(mean), other)


def pearson(s: Moments, eps: float = 0.0) -> np.ndarray:
    """Pearson correlation from moments, ``eps`` added to its denominator (the papers' 1e-6).

    NaN where the forecast or the observation is constant: the correlation of a constant series
    is undefined (0 / 0). Without this, ``+ eps`` would report 0 for a climatology forecast, and
    rounding noise in its deviations could report any value in [-1, 1].
    """
    with np.errstate(invalid="ignore", divide="ignore"):
        corr = s.c_po / (np.sqrt(s.m2_p * s.m2_o) + eps)
    undefined = is_constant(s.m2_p, s.mean_p, s.n, s.m2_o) | is_constant(s.m2_o, s.mean_o, s.n, s.m2_p)
    return np.where(undefined, np.nan, corr)


def moment_scores(s: Moments, eps: float = 0.0) -> dict[str, np.ndarray]:
    """MSE, MAE, RMSE and Pearson correlation (``eps`` added to its denominator; NaN if either
    side is constant, see :func:`pearson`)."""
    mse = s.sse / s.n
    return {"MSE": mse, "MAE": s.sae / s.n, "RMSE": np.sqrt(mse), "corr": pearson(s, eps)}


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
