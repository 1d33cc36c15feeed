"""Spatially correlated, red-in-time weather noise for SST (K)."""
from __future__ import annotations

import math

import numpy as np
from scipy.ndimage import gaussian_filter

from ..enso.format import GRID_SHAPE, LATITUDES

# Boundaries: latitude edges are walls, longitude wraps around the globe.
_MODES = ("nearest", "wrap")


def _unit_variance_factor(sigma: float) -> float:
    """1 / sqrt(sum k^2) for the Gaussian kernel k, so filtered white noise keeps unit variance."""
    impulse = np.zeros((4 * int(math.ceil(4 * sigma)) + 1,) * 2)
    impulse[impulse.shape[0] // 2, impulse.shape[1] // 2] = 1.0
    kernel = gaussian_filter(impulse, sigma, mode="constant")
    return 1.0 / math.sqrt(float((kernel ** 2).sum()))


def latitude_amplitude() -> np.ndarray:
    """Relative noise amplitude (24, 1): 1 at the equator, 1.8 at 60 degrees (storm tracks)."""
    return (1.0 + 0.8 * np.abs(LATITUDES) / 60.0)[:, None]


def weather_noise(months: int, std: float, memory: float, length_cells: float,
                  rng: np.random.Generator) -> np.ndarray:
    """AR(1)-in-time, Gaussian-smoothed-in-space noise, (months, 24, 72) float64, K.

    Parameters
    ----------
    std : standard deviation at the equator, K (larger poleward, see ``latitude_amplitude``).
    memory : lag-1-month autocorrelation a; each month n_t = a n_{t-1} + sqrt(1 - a^2) e_t.
    length_cells : Gaussian smoothing scale in grid cells (1 cell = 5 degrees).
    """
    white = rng.standard_normal((months, *GRID_SHAPE))
    smooth = gaussian_filter(white, sigma=(0.0, length_cells, length_cells), mode=("nearest", *_MODES))
    smooth *= _unit_variance_factor(length_cells)
    kick = math.sqrt(1.0 - memory ** 2)
    out = np.empty_like(smooth)
    out[0] = smooth[0]  # stationary start: unit variance already
    for t in range(1, months):
        out[t] = memory * out[t - 1] + kick * smooth[t]
    return out * (std * latitude_amplitude())
