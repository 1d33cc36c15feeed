"""Compose a synthetic model run: oscillator indices projected on patterns, plus weather noise."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .noise import weather_noise
from .oscillator import simulate
from .params import ClimateModel
from .patterns import enso_sst_pattern, heat_content_patterns, wind_patterns

# Stored values are multiples of 1/64 (K or m/s): exact in binary, so the low mantissa bits are
# zero and shuffle + zlib shrink the files about 3x; 0.016 K is far below the weather noise.
QUANTUM = 1.0 / 64.0
T300_PER_METRE = 0.08  # K of 0-300 m temperature per m of thermocline depth
T300_TILT_PER_K = 1.0  # K of east-west heat-content contrast per K of T_E
UA_PER_K = 2.0  # m/s of westerly anomaly per K of T_E (Bjerknes feedback)
VA_PER_K = 0.8  # m/s of equatorward flow per K of T_E


@dataclass(frozen=True, eq=False)
class ModelRun:
    """A run on the full 5 degree grid: fields (months, 24, 72) float32 and the two indices.

    ``sst`` K, ``t300`` K, ``ua``/``va`` m/s; ``t_east`` (K) and ``h_west`` (m) are the
    oscillator's monthly means before noise and quantisation.
    """

    sst: np.ndarray
    t300: np.ndarray
    ua: np.ndarray
    va: np.ndarray
    t_east: np.ndarray
    h_west: np.ndarray


def quantize(field: np.ndarray) -> np.ndarray:
    """Round to multiples of ``QUANTUM`` and cast to float32 (exact)."""
    return (np.round(field / QUANTUM) * QUANTUM).astype(np.float32)


def run_model(model: ClimateModel, months: int, rng: np.random.Generator) -> ModelRun:
    """Simulate ``months`` months (starting in January) of one climate model."""
    t_east, h_west = simulate(model, months, rng)
    noise = weather_noise(months, model.weather_std, model.weather_memory, model.weather_length_cells, rng)
    sst = t_east[:, None, None] * enso_sst_pattern(model.horseshoe) + noise
    recharge, tilt = heat_content_patterns()
    t300 = T300_PER_METRE * h_west[:, None, None] * recharge + T300_TILT_PER_K * t_east[:, None, None] * tilt
    ua_pattern, va_pattern = wind_patterns()
    ua = UA_PER_K * t_east[:, None, None] * ua_pattern
    va = VA_PER_K * t_east[:, None, None] * va_pattern
    return ModelRun(quantize(sst), quantize(t300), quantize(ua), quantize(va), t_east, h_west)
