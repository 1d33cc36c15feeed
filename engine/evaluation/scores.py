"""Streaming score accumulators, one per candidate: SEVIR tables and ICAR-ENSO tables.

SEVIR: the categorical scores (CSI, POD, SUCR, BIAS, ... at the six thresholds on the 0-255
scale, optionally max-pooled by ``pool`` as in PreDiff) and MSE / MAE on the [0, 1] scale, kept
per lead time and pooled over leads; an ensemble is scored through its mean, plus its CRPS.
ICAR-ENSO: Nino3.4 of the predicted SST (box mean, 3-month running mean) against the labels,
C-Nino3.4-M / -WM and RMSE, and the MSE of scaled SST over every month and grid point.
"""
from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from ..data.enso.nino import nino34_from_scaled
from ..metrics.categorical import THRESHOLDS, CategoricalScores
from ..metrics.continuous import ContinuousScores
from ..metrics.ensemble import Crps
from ..metrics.enso import Nino34Scores, SstScores


def _check(pred: np.ndarray, target: np.ndarray, name: str, ensemble: bool) -> None:
    want = (pred.shape[1:] if ensemble else pred.shape)
    if want != target.shape:
        raise ValueError(f"{name}: expected forecasts of shape {target.shape} (B, T_out, H, W, C) like the targets, "
                         f"got {pred.shape}")
    if not np.all(np.isfinite(pred)):
        raise ValueError(f"{name}: expected finite forecasts, got {int(np.sum(~np.isfinite(pred)))} NaN/inf")


class SevirAccumulator:
    """Scores of one candidate over SEVIR batches in [0, 1]; ``pool`` is PreDiff's max-pool size."""

    def __init__(self, name: str, pool: int = 1, members: int | None = None,
                 thresholds: tuple[float, ...] = THRESHOLDS) -> None:
        self.name, self.members = name, members
        self.metrics: list[Any] = [CategoricalScores(thresholds, "lead", pool, 1.0), ContinuousScores("lead", 1.0)]
        if members:
            self.metrics.append(Crps("lead", pool, 1.0))
        self.states: list[Any] = [m.init() for m in self.metrics]

    def add(self, pred: np.ndarray, target: np.ndarray) -> None:
        """pred (B, T, H, W, 1) or, for an ensemble, (M, B, T, H, W, 1); target (B, T, H, W, 1)."""
        _check(pred, target, self.name, bool(self.members))
        obs = np.asarray(target[..., 0], dtype=np.float64)  # (B, T, H, W)
        ens = np.asarray(pred[..., 0], dtype=np.float64)
        mean = ens.mean(axis=0) if self.members else ens
        for i, metric in enumerate(self.metrics):
            self.states[i] = metric.accumulate(self.states[i], ens if isinstance(metric, Crps) else mean, obs)

    def result(self) -> dict[str, dict[str, Any]]:
        """``{"all": scores pooled over leads, "lead": the same per lead time}``."""
        out: dict[str, dict[str, Any]] = {}
        for reduce in ("all", "lead"):
            scores: dict[str, Any] = {}
            for metric, state in zip(self.metrics, self.states):
                scores.update(dataclasses.replace(metric, reduce=reduce).compute(state))
            scores.pop("thresholds", None)
            out[reduce] = scores
        return out


class EnsoAccumulator:
    """Nino3.4 skill and scaled-SST MSE of one candidate over ICAR-ENSO batches."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.nino, self.sst = Nino34Scores(), SstScores("lead")
        self.nino_state, self.sst_state = None, None

    def add(self, pred: np.ndarray, target: np.ndarray, nino: np.ndarray) -> None:
        """pred, target (B, T_out, 24, 48, 1) scaled SST; nino (B, T_out - 2) labels in degC."""
        _check(pred, target, self.name, ensemble=False)
        self.nino_state = self.nino.accumulate(self.nino_state, nino34_from_scaled(pred), nino)
        self.sst_state = self.sst.accumulate(self.sst_state, pred[..., 0], target[..., 0])

    def result(self) -> dict[str, Any]:
        scores = self.nino.compute(self.nino_state)
        sst_lead = self.sst.compute(self.sst_state)
        sst_all = dataclasses.replace(self.sst, reduce="all").compute(self.sst_state)
        return {**scores, "SST MSE": sst_all["MSE"], "SST MAE": sst_all["MAE"], "SST MSE per month": sst_lead["MSE"]}
