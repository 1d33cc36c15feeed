"""Verification: scores, baselines and evaluation over a split."""
from __future__ import annotations

from pathlib import Path as _Path
from typing import Sequence

import numpy as _np

from ..data.demo import Progress as _Progress

__all__ = ["baseline_names", "evaluate_forecaster", "run_baseline", "run_learned_baseline", "score_enso",
           "score_sevir"]


def baseline_names(data: str = "sevir") -> list[str]:
    """Baselines offered for ``data`` ("sevir": persistence, optical_flow, steps; "icar-enso":
    persistence, climatology, damped_persistence)."""
    from ..evaluation.candidates import baseline_names as _names

    return _names(data)


def run_baseline(name: str, context: _np.ndarray, n_steps: int, *, members: int | None = None, seed: int = 0,
                 scale: float = 255.0) -> _np.ndarray:
    """Forecast ``n_steps`` frames of one (T_in, H, W) SEVIR context with baseline ``name``.

    ``context`` keeps its scale (``scale`` 255 for pixels, 1 for [0, 1]); the result is on the
    same scale: (n_steps, H, W), or (members, n_steps, H, W) for "steps" (``members`` required).
    """
    from ..baselines import ENSEMBLE_BASELINES, get_baseline

    forecast = get_baseline(name)
    if name in ENSEMBLE_BASELINES:
        if not members:
            raise ValueError(f"members: expected an ensemble size for {name}, got {members}")
        return forecast(context, n_steps, members=members, seed=seed, scale=scale)
    return forecast(context, n_steps)


def run_learned_baseline(directory: str | _Path, context: _np.ndarray, n_steps: int) -> _np.ndarray:
    """Forecast with a saved model (UNet, ConvLSTM, Earthformer): (T_in, H, W) in model units ->
    (n_steps, H, W), n_steps at most the model's T_out."""
    from ..baselines.learned import learned_baseline

    return learned_baseline(directory)(context, n_steps)


def score_sevir(forecast: _np.ndarray, observed: _np.ndarray, *, scale: float = 255.0, pool: int = 1) -> dict:
    """Every SEVIR score of a forecast (N, T, H, W), or ensemble (M, N, T, H, W), against (N, T, H, W).

    Returns ``{"info", "all", "lead"}``: CSI-M and CSI / POD / SUCR / BIAS / HSS per threshold,
    MSE / MAE / RMSE on the [0, 1] scale, FSS, and ensemble scores (CRPS, spread-skill, rank
    histogram, Brier), pooled over leads and per lead; numpy arrays and floats.
    """
    from ..metrics.suites import sevir_scores

    return sevir_scores(forecast, observed, scale=scale, pool=pool)


def score_enso(forecast: _np.ndarray, observed: _np.ndarray) -> dict:
    """Nino3.4 scores of forecasts (N, L) against observations (N, L): correlation and RMSE per
    lead, C-Nino3.4-M, C-Nino3.4-WM, Nino3.4 RMSE."""
    from ..metrics.suites import enso_scores

    return enso_scores(forecast, observed)


def evaluate_forecaster(models: Sequence[str], data: str = "sevir", *, source: str | None = None,
                        split: str = "test", limit: int | None = None, pool: int = 1, members: int | None = None,
                        progress: _Progress | None = None) -> dict:
    """Score checkpoints and baselines over a split of a configured source (default: the demo).

    ``models`` are checkpoint directories and / or names from :func:`baseline_names`; all are
    run on the same windows, prepared at the checkpoints' resolution. ``progress(fraction,
    message)`` is called after each batch. Returns the ``engine.evaluation.evaluate`` dict
    (``models[label]["all"]`` / ``["lead"]`` hold the SEVIR scores; ENSO scores sit directly
    under the label). Baseline-only SEVIR runs score native frames unless a checkpoint is given.
    """
    from ..evaluation import EvalRequest, evaluate
    from ..evaluation.run import data_root

    request = EvalRequest(data, tuple(models), data_root(data, source=source), split=split, limit=limit, pool=pool,
                          members=members)
    report = None if progress is None else (lambda done, total: progress(done / total, f"{done}/{total} windows"))
    return evaluate(request, progress=report)
