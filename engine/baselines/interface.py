"""The baseline registry: ``get_baseline(name)`` returns a forecast function; batch helper."""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

from .extrapolation import optical_flow
from .persistence import climatology, damped_persistence, persistence
from .steps import steps

Forecaster = Callable[..., np.ndarray]

# name -> forecast(context (T_in, ...), n_steps, **options). Learned baselines (UNet, ConvLSTM)
# will be entries whose value is a model wrapper with the same __call__ signature.
BASELINES: dict[str, Forecaster] = {
    "persistence": persistence,
    "optical_flow": optical_flow,
    "steps": steps,
    "climatology": climatology,
    "damped_persistence": damped_persistence,
}
# Baselines whose forecast carries a leading member axis: (M, n_steps, H, W).
ENSEMBLE_BASELINES: frozenset[str] = frozenset({"steps"})


def get_baseline(name: str) -> Forecaster:
    """The forecast function registered as ``name``."""
    try:
        return BASELINES[name]
    except KeyError:
        raise ValueError(f"unknown baseline {name!r}: expected one of {', '.join(sorted(BASELINES))}") from None


def forecast_batch(name: str, contexts: Any, n_steps: int, **options: Any) -> np.ndarray:
    """Run baseline ``name`` on every sample of a batch.

    Parameters
    ----------
    contexts : (N, T_in, ...) context windows.
    n_steps : leads to forecast.
    options : passed to the baseline; an integer ``seed`` becomes ``seed + i`` for sample i, so
        samples get independent but reproducible ensembles.

    Returns
    -------
    (N, n_steps, ...) or, for ensemble baselines, (M, N, n_steps, ...) like the metrics expect.
    """
    fn = get_baseline(name)
    contexts = np.asarray(contexts)
    if contexts.ndim < 2:
        raise ValueError(f"contexts: expected a batch (N, T_in, ...), got shape {contexts.shape}")
    outs = []
    for i, context in enumerate(contexts):
        opts = dict(options)
        if opts.get("seed") is not None:
            opts["seed"] = int(opts["seed"]) + i
        outs.append(fn(context, n_steps, **opts))
    return np.stack(outs, axis=1 if name in ENSEMBLE_BASELINES else 0)
