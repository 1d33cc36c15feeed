"""The metric registry: ``get_metric(name)`` returns a metric class, built with keyword options."""
from __future__ import annotations

from typing import Literal

from .categorical import CategoricalScores
from .continuous import ContinuousScores
from .ensemble import Crps, RankHistogram, SpreadSkill
from .enso import Nino34Scores, SstScores
from .probabilistic import BrierScore
from .spatial import FractionsSkillScore

Inputs = Literal["deterministic", "ensemble", "series"]

# name -> (metric class, the forecast it takes: (N, T, H, W), (M, N, T, H, W) or Nino3.4 (N, L))
METRICS: dict[str, tuple[type, Inputs]] = {
    "categorical": (CategoricalScores, "deterministic"),
    "continuous": (ContinuousScores, "deterministic"),
    "fss": (FractionsSkillScore, "deterministic"),
    "crps": (Crps, "ensemble"),
    "spread_skill": (SpreadSkill, "ensemble"),
    "rank_histogram": (RankHistogram, "ensemble"),
    "brier": (BrierScore, "ensemble"),
    "nino34": (Nino34Scores, "series"),
    "sst": (SstScores, "deterministic"),
}


def get_metric(name: str) -> type:
    """The metric class registered as ``name``; build it with keyword options, then call it."""
    try:
        return METRICS[name][0]
    except KeyError:
        raise ValueError(f"unknown metric {name!r}: expected one of {', '.join(sorted(METRICS))}") from None


def metric_inputs(name: str) -> Inputs:
    """What the forecast of metric ``name`` looks like: "deterministic", "ensemble" or "series"."""
    get_metric(name)
    return METRICS[name][1]
