"""Every applicable score of a SEVIR or ENSO forecast in one call, streamed over samples.

Used by ``python -m engine verify`` and by anything that needs the papers' tables. Ensemble
forecasts (M, N, T, H, W) get the probabilistic scores, and their deterministic scores are those
of the ensemble mean. Inputs may be memory maps: they are read ``chunk`` samples at a time, and
each metric's per-lead state is computed once and reduced both per lead and over all leads.
"""
from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np

from ._arrays import check_shapes
from .categorical import THRESHOLDS, CategoricalScores
from .continuous import ContinuousScores
from .ensemble import Crps, RankHistogram, SpreadSkill
from .enso import Nino34Scores, check_series
from .probabilistic import BrierScore
from .spatial import FractionsSkillScore

FSS_SCALES: tuple[int, ...] = (1, 5, 17)


def sevir_scores(forecast: Any, observed: Any, *, scale: float = 255.0, pool: int = 1,
                 thresholds: tuple[float, ...] = THRESHOLDS, fss_scales: tuple[int, ...] = FSS_SCALES,
                 chunk: int = 4) -> dict[str, dict[str, Any]]:
    """Scores of a SEVIR forecast.

    Parameters
    ----------
    forecast : (N, T, H, W) or an ensemble (M, N, T, H, W), on the ``[0, scale]`` scale.
    observed : (N, T, H, W).
    scale : 255 (pixels) or 1 ([0, 1] data).
    pool : max-pool size for the categorical, CRPS and Brier scores (1, 4, 16 in PreDiff).
    chunk : samples read at a time.

    Returns
    -------
    ``{"info": {...}, "all": {...}, "lead": {...}}``: the same score names pooled over every lead
    and per lead time; info holds N, T, H, W, M (None if deterministic), scale, pool, thresholds.
    """
    ensemble = np.ndim(forecast) == 5
    check_shapes(forecast, observed, ensemble=ensemble)
    n, t, h, w = np.shape(observed)
    members = np.shape(forecast)[0] if ensemble else None
    det = [CategoricalScores(thresholds, "lead", pool, scale), ContinuousScores("lead", scale),
           FractionsSkillScore(thresholds, fss_scales, "lead", scale)]
    ens = [Crps("lead", pool, scale), BrierScore(thresholds, "lead", pool, scale), RankHistogram("lead")]
    ens += [SpreadSkill("lead", scale)] if ensemble and members > 1 else []
    states: list[Any] = [None] * (len(det) + len(ens))
    for start in range(0, n, chunk):
        obs = np.asarray(observed[start:start + chunk], dtype=np.float64)
        pred = np.asarray(forecast[:, start:start + chunk] if ensemble else forecast[start:start + chunk], dtype=np.float64)
        mean = pred.mean(axis=0) if ensemble else pred
        for i, metric in enumerate(det):
            states[i] = metric.accumulate(states[i], mean, obs)
        for j, metric in enumerate(ens if ensemble else []):
            states[len(det) + j] = metric.accumulate(states[len(det) + j], pred, obs)
    out: dict[str, dict[str, Any]] = {"info": {"N": n, "T": t, "H": h, "W": w, "M": members, "scale": scale,
                                              "pool": pool, "thresholds": list(thresholds), "fss_scales": list(fss_scales)}}
    for reduce in ("all", "lead"):
        scores: dict[str, Any] = {}
        for metric, state in zip(det + (ens if ensemble else []), states):
            result = dataclasses.replace(metric, reduce=reduce).compute(state)
            if isinstance(metric, RankHistogram):
                result = {"rank_histogram": result["frequency"]}
            scores.update({k: v for k, v in result.items() if k not in ("thresholds", "scales")})
        out[reduce] = scores
    return out


def enso_scores(forecast: Any, observed: Any) -> dict[str, Any]:
    """Nino3.4 scores of (N, L) forecasts: correlation and RMSE per lead, C-Nino3.4-M/WM."""
    forecast, observed = check_series(forecast, observed)
    scores = Nino34Scores()(forecast, observed)
    return {"info": {"N": observed.shape[0], "L": observed.shape[1]}, **scores}


def to_jsonable(value: Any) -> Any:
    """Arrays -> nested lists, numpy scalars -> floats / ints, NaN and inf -> None."""
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return to_jsonable(value.tolist())
    if isinstance(value, (np.integer, int)) and not isinstance(value, bool):
        return int(value)
    if isinstance(value, (np.floating, float)):
        return float(value) if math.isfinite(value) else None
    return value
