"""Stochastically forced, seasonally modulated recharge oscillator (Jin 1997; Burgers et al. 2005).

    dT/dt = R(t) T + F1 h + xi(t)                 (eastern Pacific SST anomaly T_E, K)
    dh/dt = -F2 T - eps h + r w(t)                (western Pacific thermocline depth h_W, m)
    R(t)  = R0 + Ra cos(2 pi (month_of_year(t) - peak) / 12)

xi is red noise (AR(1), memory of about a month: westerly wind bursts), w white noise. The
system is linear, so the forcing amplitude only sets the overall scale; the run is rescaled
to the model's ``enso_std``.
"""
from __future__ import annotations

import math

import numpy as np

from .params import ClimateModel

STEPS_PER_MONTH = 4
SPINUP_YEARS = 10


def growth_rate(model: ClimateModel, month_of_year: np.ndarray) -> np.ndarray:
    """R(t), 1/month, for month of year 0 (January) .. 11 (fractions allowed)."""
    phase = 2 * math.pi * (np.asarray(month_of_year) - model.peak_growth_month) / 12.0
    return model.mean_growth + model.seasonal_growth * np.cos(phase)


def simulate(model: ClimateModel, months: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Monthly means of T_E (K) and h_W (m), each (months,) float64, starting in a January.

    Euler-Maruyama with ``STEPS_PER_MONTH`` steps a month after a ``SPINUP_YEARS`` spin-up
    (whole years, so the seasonal phase is kept).
    """
    if months < 1:
        raise ValueError(f"months: expected >= 1, got {months}")
    dt = 1.0 / STEPS_PER_MONTH
    n_steps = (months + 12 * SPINUP_YEARS) * STEPS_PER_MONTH
    rates = growth_rate(model, (np.arange(n_steps) * dt) % 12.0)
    memory = math.exp(-dt / model.wind_memory_months)
    kick = math.sqrt(1.0 - memory ** 2)
    shocks = rng.standard_normal((n_steps, 2))
    f1, f2, eps = model.coupling_t, model.coupling_h, model.thermocline_damping
    h_noise = model.h_noise_ratio * math.sqrt(dt)
    t = h = wind = 0.0
    out = np.empty((n_steps, 2))
    for k in range(n_steps):  # a few thousand scalar steps: plain Python is fast enough
        wind = memory * wind + kick * shocks[k, 0]
        t, h = (t + dt * (rates[k] * t + f1 * h + wind),
                h + dt * (-f2 * t - eps * h) + h_noise * shocks[k, 1])
        out[k] = t, h
    monthly = out.reshape(-1, STEPS_PER_MONTH, 2).mean(axis=1)[12 * SPINUP_YEARS:]
    scale = model.enso_std / monthly[:, 0].std()
    return monthly[:, 0] * scale, monthly[:, 1] * scale
