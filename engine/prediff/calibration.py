"""Calibrating the alignment network on the set's own samples, so knowledge control hits its target.

The alignment network U(z_t, t) learns the future average intensity from noisy latents of
*encoded* futures. On latents the denoiser *generates* it can read differently from what the
decoder then draws: with the CPU-trained demo set, U(z_0, 0) of sampled latents was about 1.6x the
decoded frames' average intensity (on encoded futures the two agree), so guidance that brings U to
F0 leaves the decoded futures well below F0. The fix measured here is a linear map, fitted on
held-out windows, from U's reading of sampled latents to their decoded intensity:

    decoded intensity ~ a * U(z_0, 0) + b        (least squares over members, windows and n)

and guidance then aims U at (F0 - b) / a (:func:`engine.prediff.pipeline.alignment_target`). The
samples cover several n so the fit spans the intensities guidance asks for. The published method
is a = 1, b = 0.

The line holds up to the most intense frames the decoder can draw. Beyond them guidance still
raises the reading (by inflating the latents) while the decoded frames stop brightening and then
dim, so a stronger push gave a *less* intense future (demo set: one test window fell from 0.1453 at
n = +2 to 0.1438 at +4). Guidance can stop pushing a frame at a reading ceiling c
(:class:`~engine.diffusion.guidance.KnowledgeControl`); :func:`calibrate_ceiling` samples the
strongest scenario (n = +4) of held-out windows with several candidate ceilings and keeps the one
that gives the most intense futures.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np
import torch

from .models import PreDiffModels
from .pipeline import PreDiffForecaster

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class AlignmentCalibration:
    """slope, intercept : decoded ~ slope * reading + intercept; r2 : the fit's R^2 over ``readings``."""

    slope: float
    intercept: float
    r2: float
    readings: np.ndarray  # (N,) U(z_0, 0), mean over frames, one per member, window and n
    decoded: np.ndarray  # (N,) the decoded member's average intensity

    @property
    def pair(self) -> tuple[float, float]:
        return (self.slope, self.intercept)


def alignment_readings(models: PreDiffModels, latents: torch.Tensor) -> torch.Tensor:
    """U(z_0, t=0) averaged over frames: (M, B, T_out, h, w, c) -> (M, B)."""
    if models.alignment is None:
        raise ValueError("alignment: this PreDiff set has no alignment network: expected one to calibrate")
    flat = latents.flatten(0, 1)  # (M * B, T_out, h, w, c)
    t = torch.zeros(flat.shape[0], dtype=torch.long, device=flat.device)
    with torch.no_grad():
        reading = models.alignment(flat, t).reshape(flat.shape[0], -1).mean(dim=1)
    return reading.reshape(latents.shape[:2])


def fit_line(x: np.ndarray, y: np.ndarray) -> tuple[float, float, float]:
    """(slope, intercept, R^2) of the least-squares line y ~ slope * x + intercept."""
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    if x.size < 2 or np.ptp(x) == 0:
        raise ValueError(f"calibration: expected at least 2 distinct alignment readings, got {x.size}")
    slope, intercept = np.polyfit(x, y, 1)
    residual = y - (slope * x + intercept)
    total = np.sum((y - y.mean()) ** 2)
    return float(slope), float(intercept), float(1.0 - residual @ residual / total) if total > 0 else 1.0


def _hindcast_batches(forecaster: PreDiffForecaster, contexts: np.ndarray, futures: np.ndarray, n: float,
                      members: int, seed: int, batch: int):
    """Guided hindcast ensembles of the windows, ``batch`` windows per call seeded ``seed + k`` for
    the k-th call (the same seeds for every n): yields (windows in the call, its PreDiffSamples)."""
    for k, start in enumerate(range(0, len(contexts), batch)):
        rows = slice(start, min(start + batch, len(contexts)))
        yield rows.stop - rows.start, forecaster.sample(
            torch.as_tensor(contexts[rows]), members=members, seed=seed + k, n_sigma=float(n), mode="hindcast",
            observed=torch.as_tensor(futures[rows]))


def calibrate_alignment(models: PreDiffModels, contexts: np.ndarray, futures: np.ndarray,
                        n_values: Sequence[float] = (-2.0, 0.0, 2.0), members: int = 2, seed: int = 0,
                        batch: int = 4, progress: Progress | None = None) -> AlignmentCalibration:
    """Sample guided ensembles (hindcast, uncalibrated) of the windows and fit decoded ~ a U + b.

    contexts (N, T_in, H, W, 1), futures (N, T_out, H, W, 1) in [0, 1]: held-out windows (the
    validation split), never the windows the calibration is then judged on.
    """
    raw = dataclasses.replace(models, info=dataclasses.replace(models.info, alignment_calibration=(1.0, 0.0),
                                                               alignment_ceiling=None))
    forecaster = PreDiffForecaster(raw)
    readings, decoded = [], []
    total, done = len(n_values) * len(contexts), 0
    for n in n_values:
        for size, out in _hindcast_batches(forecaster, contexts, futures, n, members, seed, batch):
            readings.append(alignment_readings(raw, out.latents).reshape(-1).cpu().numpy())
            decoded.append(out.intensity.mean(dim=2).reshape(-1).cpu().numpy())  # (M * B,)
            done += size
            if progress is not None:
                progress(done, total)
    x, y = np.concatenate(readings), np.concatenate(decoded)
    slope, intercept, r2 = fit_line(x, y)
    if slope <= 0:
        raise ValueError(f"calibration: decoded intensity falls as the alignment reading rises (slope {slope:.3g}): "
                         "expected a positive slope; the alignment network or the denoiser needs more training")
    return AlignmentCalibration(slope, intercept, r2, x, y)


@dataclass(frozen=True)
class AlignmentCeiling:
    """ceiling : the candidate whose strongest scenario came out most intense (None: no ceiling).

    candidates : (K,) the readings tried (NaN: no ceiling); achieved : (K,) the mean decoded
    intensity at ``n`` over the windows and members with each.
    """

    ceiling: float | None
    candidates: np.ndarray
    achieved: np.ndarray
    n: float


def ceiling_candidates(models: PreDiffModels, factors: Sequence[float] = (0.7, 0.8, 0.9, 1.0, 1.1, 1.2, 1.3, 1.4, 1.5)
                       ) -> list[float | None]:
    """No ceiling, then ``factors`` x the reading the set's line maps to the most intense training
    future (only positive readings: a ceiling is a reading > 0)."""
    info = models.info
    slope, intercept = info.alignment_calibration
    top = (max(info.train_values) - intercept) / slope
    return [None] + [float(f * top) for f in factors if f * top > 0]


def calibrate_ceiling(models: PreDiffModels, contexts: np.ndarray, futures: np.ndarray,
                      candidates: Sequence[float | None] | None = None, n: float = 4.0, members: int = 2,
                      seed: int = 0, batch: int = 4, progress: Progress | None = None) -> AlignmentCeiling:
    """Sample the strongest scenario (hindcast, the set's line) with each candidate ceiling and keep
    the one whose futures come out most intense on average (ties: the first, so no ceiling wins a tie).

    contexts (N, T_in, H, W, 1), futures (N, T_out, H, W, 1) in [0, 1]: held-out windows. Every
    candidate samples with the same seeds, so the comparison is paired.
    """
    if models.alignment is None:
        raise ValueError("alignment: this PreDiff set has no alignment network: expected one to calibrate")
    tried = list(ceiling_candidates(models) if candidates is None else candidates)
    if not tried:
        raise ValueError("candidates: expected at least one ceiling to try, got none")
    achieved = np.zeros(len(tried))
    total, done = len(tried) * len(contexts), 0
    for i, ceiling in enumerate(tried):
        info = dataclasses.replace(models.info, alignment_ceiling=ceiling)
        forecaster = PreDiffForecaster(dataclasses.replace(models, info=info))
        values = []
        for size, out in _hindcast_batches(forecaster, contexts, futures, n, members, seed, batch):
            values.append(out.achieved.cpu().numpy())  # (B,)
            done += size
            if progress is not None:
                progress(done, total)
        achieved[i] = np.concatenate(values).mean()
    best = int(np.argmax(achieved))
    table = np.array([np.nan if c is None else c for c in tried], dtype=np.float64)
    return AlignmentCeiling(tried[best], table, achieved, float(n))
