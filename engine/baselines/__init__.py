"""Baselines every forecast must beat: persistence, optical flow, STEPS and the ENSO benchmarks.

Call contract (one for every baseline, like ``pysteps.nowcasts``)::

    forecast = get_baseline("optical_flow")
    future = forecast(context, n_steps, **options)   # context (T_in, H, W) -> (n_steps, H, W)
    ensemble = get_baseline("steps")(context, 12, members=8, seed=0)   # -> (M, n_steps, H, W)
    batch = forecast_batch("persistence", contexts, 12)                  # (N, T_in, H, W) -> (N, 12, H, W)

Contexts are float arrays with time first; values keep the caller's scale (the STEPS baseline
needs ``scale`` to decode VIL). Persistence, climatology and damped persistence accept any
trailing shape, so they serve Nino3.4 series (T_in,) and SST anomaly fields (T_in, H, W) alike.

Registered: persistence, optical_flow (pysteps Proesmans + semi-Lagrangian), steps (pysteps STEPS
ensemble; ``ENSEMBLE_BASELINES``), climatology (zero anomaly) and damped_persistence
(``damping=fit_damping(training_series, max_lag)``). Learned baselines (UNet, ConvLSTM) join the
same dict as model wrappers with the same call signature.
"""
from .extrapolation import optical_flow
from .interface import BASELINES, ENSEMBLE_BASELINES, forecast_batch, get_baseline
from .persistence import climatology, damped_persistence, fit_damping, persistence
from .steps import steps

__all__ = [
    "BASELINES",
    "ENSEMBLE_BASELINES",
    "climatology",
    "damped_persistence",
    "fit_damping",
    "forecast_batch",
    "get_baseline",
    "optical_flow",
    "persistence",
    "steps",
]
