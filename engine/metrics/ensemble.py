"""Ensemble scores: CRPS, spread-skill and rank histogram, streamed per lead time.

Forecasts are ensembles ``(M, N, T, H, W)`` and observations ``(N, T, H, W)``. Values are divided
by ``scale`` so CRPS and spread are on the [0, 1] scale, like the papers' MSE. CRPS uses the
standard ensemble estimator (reference section E.4), which equals the CRPS of the members'
empirical distribution computed by ``pysteps.verification.probscores.CRPS``:
CRPS = (1/M) sum_i |X_i - y| - (1/(2 M^2)) sum_ij |X_i - X_j|.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._arrays import Reduce, Streaming, check_pair, check_reduce, lead_sum, max_pool, reduce_leads, require_state


def crps_map(ens: np.ndarray, obs: np.ndarray) -> np.ndarray:
    """Per-pixel ensemble CRPS: ``ens`` (M, ...), ``obs`` (...) -> (...), in the data's units.

    The pair term uses sorted members: sum_ij |X_i - X_j| = 2 sum_i (2i - M + 1) X_(i), i from 0,
    which is O(M log M) instead of O(M^2).
    """
    m = ens.shape[0]
    skill = np.abs(ens - obs).mean(axis=0)
    weights = (2.0 * np.arange(m) - m + 1).reshape((m,) + (1,) * obs.ndim)
    spread = (weights * np.sort(ens, axis=0)).sum(axis=0) / m**2
    return skill - spread


@dataclass(frozen=True)
class CrpsSums:
    total: np.ndarray  # (T,) sum of per-pixel CRPS
    n: np.ndarray  # (T,) pixel count


@dataclass(frozen=True)
class Crps(Streaming):
    """Mean CRPS of an ensemble, on the [0, 1] scale.

    Parameters
    ----------
    reduce : ``"lead"`` -> (T,); ``"all"`` -> scalar.
    pool : max-pool kernel = stride applied to members and observation first (1 = per pixel).
    scale : the data scale (255 for SEVIR pixels, 1 for [0, 1] data).
    """

    reduce: Reduce = "all"
    pool: int = 1
    scale: float = 255.0

    def __post_init__(self) -> None:
        check_reduce(self.reduce)

    def batch_state(self, pred, obs) -> CrpsSums:
        pred, obs = check_pair(pred, obs, ensemble=True)
        pred, obs = max_pool(pred / self.scale, self.pool), max_pool(obs / self.scale, self.pool)
        crps = crps_map(pred, obs)
        return CrpsSums(total=lead_sum(crps), n=lead_sum(np.ones_like(crps)))

    def compute(self, state: CrpsSums | None) -> dict[str, np.ndarray]:
        require_state(state, "crps")
        return {"CRPS": reduce_leads(state.total, self.reduce) / reduce_leads(state.n, self.reduce)}


@dataclass(frozen=True)
class SpreadSums:
    var: np.ndarray  # (T,) sum of the members' variance (ddof=1)
    sse: np.ndarray  # (T,) sum of squared errors of the ensemble mean
    n: np.ndarray  # (T,)
    member_sse: np.ndarray  # (M, T) squared errors of each member
    pair_sse: np.ndarray  # (M (M - 1) / 2, T) squared differences of each member pair


@dataclass(frozen=True)
class SpreadSkill(Streaming):
    """Ensemble spread against the error of the ensemble mean (at least 2 members).

    ``compute`` returns, on the [0, 1] scale:
    ``spread`` = sqrt(mean member variance, ddof 1); ``skill`` = RMSE of the ensemble mean;
    ``ratio`` = sqrt((M + 1) / M) * spread / skill, which is 1 in expectation for an ensemble whose
    members and observation are exchangeable (Fortin et al. 2014); and pysteps' definitions,
    ``member_rmse`` = mean over members of each member's RMSE (``ensemble_skill(..., "RMSE")``) and
    ``pair_rmse`` = mean over member pairs of their RMSE (``ensemble_spread(..., "RMSE")``).
    """

    reduce: Reduce = "all"
    scale: float = 255.0

    def __post_init__(self) -> None:
        check_reduce(self.reduce)

    def batch_state(self, pred, obs) -> SpreadSums:
        pred, obs = check_pair(pred, obs, ensemble=True)
        m = pred.shape[0]
        if m < 2:
            raise ValueError(f"forecast: expected an ensemble of at least 2 members for spread, got {m}")
        pred, obs = pred / self.scale, obs / self.scale
        pairs = [lead_sum((pred[i] - pred[j]) ** 2) for i in range(m) for j in range(i + 1, m)]
        return SpreadSums(var=lead_sum(pred.var(axis=0, ddof=1)), sse=lead_sum((pred.mean(axis=0) - obs) ** 2),
                          n=lead_sum(np.ones_like(obs)), member_sse=np.stack([lead_sum((p - obs) ** 2) for p in pred]),
                          pair_sse=np.stack(pairs))

    def compute(self, state: SpreadSums | None) -> dict[str, np.ndarray]:
        require_state(state, "spread_skill")
        var, sse, n, msse, psse = (reduce_leads(getattr(state, k), self.reduce)
                                   for k in ("var", "sse", "n", "member_sse", "pair_sse"))
        m = state.member_sse.shape[0]
        spread, skill = np.sqrt(var / n), np.sqrt(sse / n)
        with np.errstate(invalid="ignore", divide="ignore"):
            ratio = np.sqrt((m + 1) / m) * spread / skill
        return {"spread": spread, "skill": skill, "ratio": ratio,
                "member_rmse": np.sqrt(msse / n).mean(axis=0), "pair_rmse": np.sqrt(psse / n).mean(axis=0)}


@dataclass(frozen=True)
class RankCounts:
    counts: np.ndarray  # (T, M + 1) int64


@dataclass(frozen=True)
class RankHistogram(Streaming):
    """Talagrand histogram: the observation's rank among the M members, M + 1 bins.

    Ties (members equal to the observation, e.g. zero VIL) are broken uniformly at random among
    the tied ranks, as pysteps does; ``seed`` makes that reproducible. ``compute`` returns
    ``counts`` (T, M + 1) or (M + 1,) and ``frequency``, the counts normalised to sum to 1.
    """

    reduce: Reduce = "all"
    seed: int = 0

    def __post_init__(self) -> None:
        check_reduce(self.reduce)

    def batch_state(self, pred, obs) -> RankCounts:
        pred, obs = check_pair(pred, obs, ensemble=True)
        m = pred.shape[0]
        below, equal = (pred < obs).sum(axis=0), (pred == obs).sum(axis=0)
        ties = np.random.default_rng(self.seed).random(obs.shape)
        rank = below + np.floor(ties * (equal + 1)).astype(np.int64)  # (N, T, H, W) in 0..M
        counts = np.stack([np.bincount(rank[:, t].ravel(), minlength=m + 1) for t in range(obs.shape[1])])
        return RankCounts(counts=counts.astype(np.int64))

    def compute(self, state: RankCounts | None) -> dict[str, np.ndarray]:
        require_state(state, "rank_histogram")
        counts = state.counts if self.reduce == "lead" else state.counts.sum(axis=0)
        return {"counts": counts, "frequency": counts / counts.sum(axis=-1, keepdims=True)}
