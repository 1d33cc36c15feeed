"""Categorical (contingency-table) scores of the SEVIR papers, streamed over batches.

Earthformer (Gao et al., NeurIPS 2022) and PreDiff (Gao et al., NeurIPS 2023) threshold VIL on the
0-255 pixel scale at [16, 74, 133, 160, 181, 219] with ">=" and accumulate hits, misses and false
alarms over every pixel, frame and test sequence (a dataset-level table, not per-sample means).
PreDiff's pooled variants max-pool forecast and observation with kernel = stride = 4 or 16 first.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._arrays import Reduce, Streaming, check_pair, check_reduce, lead_sum, max_pool, reduce_leads, require_state, to_pixel_scale

THRESHOLDS: tuple[float, ...] = (16.0, 74.0, 133.0, 160.0, 181.0, 219.0)


@dataclass(frozen=True)
class Contingency:
    """Counts per threshold and lead time, each ``(K, T)`` int64."""

    hits: np.ndarray
    misses: np.ndarray
    false_alarms: np.ndarray
    correct_negatives: np.ndarray


def contingency(pred: np.ndarray, obs: np.ndarray, thresholds: tuple[float, ...]) -> Contingency:
    """Contingency table of ``pred >= thr`` against ``obs >= thr`` for (..., N, T, H, W) arrays on
    one scale; leading axes are counted like extra samples. Returns counts of shape (K, T)."""
    rows = {k: [] for k in ("hits", "misses", "false_alarms", "correct_negatives")}
    for thr in thresholds:
        p, o = pred >= thr, obs >= thr
        rows["hits"].append(lead_sum(p & o))
        rows["misses"].append(lead_sum(~p & o))
        rows["false_alarms"].append(lead_sum(p & ~o))
        rows["correct_negatives"].append(lead_sum(~p & ~o))
    return Contingency(**{k: np.stack(v).astype(np.int64) for k, v in rows.items()})


def scores_from_table(h: np.ndarray, m: np.ndarray, f: np.ndarray, r: np.ndarray, eps: float) -> dict[str, np.ndarray]:
    """Scores from counts (any matching shape, float). ``eps`` is added to every denominator
    (the papers use 1e-4, so empty categories score 0 instead of NaN)."""
    with np.errstate(invalid="ignore", divide="ignore"):  # 0/0 -> NaN when eps = 0, by design
        return {
            "CSI": h / (h + m + f + eps),
            "POD": h / (h + m + eps),
            "FAR": f / (h + f + eps),
            "SUCR": h / (h + f + eps),  # success ratio, 1 - FAR
            "BIAS": (h + f) / (h + m + eps),  # the standard frequency bias, not the papers' ((.)/ln 2)^2
            "HSS": 2 * (h * r - f * m) / ((h + m) * (m + r) + (h + f) * (f + r) + eps),
        }


@dataclass(frozen=True)
class CategoricalScores(Streaming):
    """Hits, misses, false alarms, CSI, POD, FAR, SUCR, BIAS, HSS and CSI-M.

    Parameters
    ----------
    thresholds : on the 0-255 pixel scale, compared with ">=".
    reduce : ``"lead"`` keeps the lead-time axis (scores ``(K, T)``, CSI-M ``(T,)``); ``"all"``
        pools every lead (scores ``(K,)``, CSI-M scalar).
    pool : max-pool kernel = stride applied to both fields before thresholding (1, 4, 16).
    scale : the data scale; values are multiplied by ``255 / scale`` before thresholding.
    eps : added to every denominator (1e-4 as in the papers' scripts; 0 gives NaN for 0/0).

    ``compute`` returns ``thresholds``, the four counts, the six scores (one row per threshold)
    and ``CSI-M``, the mean CSI over thresholds.
    """

    thresholds: tuple[float, ...] = THRESHOLDS
    reduce: Reduce = "all"
    pool: int = 1
    scale: float = 255.0
    eps: float = 1e-4

    def __post_init__(self) -> None:
        check_reduce(self.reduce)
        if not self.thresholds:
            raise ValueError("thresholds: expected at least one threshold, got none")

    def batch_state(self, pred, obs) -> Contingency:
        """``pred`` and ``obs`` (N, T, H, W); score an ensemble through its mean or a member."""
        pred, obs = check_pair(pred, obs, ensemble=False)
        pred = max_pool(to_pixel_scale(pred, self.scale), self.pool)
        obs = max_pool(to_pixel_scale(obs, self.scale), self.pool)
        return contingency(pred, obs, self.thresholds)

    def compute(self, state: Contingency | None) -> dict[str, np.ndarray]:
        require_state(state, "categorical")
        counts = {k: reduce_leads(getattr(state, k), self.reduce) for k in
                  ("hits", "misses", "false_alarms", "correct_negatives")}
        h, m, f, r = (counts[k].astype(np.float64) for k in ("hits", "misses", "false_alarms", "correct_negatives"))
        scores = scores_from_table(h, m, f, r, self.eps)
        return {"thresholds": np.asarray(self.thresholds), **counts, **scores, "CSI-M": scores["CSI"].mean(axis=0)}
