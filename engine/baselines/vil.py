"""SEVIR VIL pixel <-> kg/m^2 (the SEVIR tutorial's decoding), for baselines that need physics.

Pixel X in 0..255 decodes to 0 for X <= 5, (X - 2) / 90.66 for 5 < X <= 18 and
exp((X - 83.9) / 38.9) above; ``encode`` is its inverse (continuous, not rounded), so
``encode(decode(x)) == x`` on (5, 255]. Above 18 the pixel is affine in dB (X = 8.957 dB + 83.9).
"""
from __future__ import annotations

import numpy as np

_LINEAR_TOP = (18 - 2) / 90.66  # kg/m^2 at pixel 18, where the encoding turns logarithmic


def decode(pixels: np.ndarray) -> np.ndarray:
    """Pixel values (any shape, 0..255) -> VIL in kg/m^2."""
    x = np.asarray(pixels, dtype=np.float64)
    with np.errstate(over="ignore"):
        return np.where(x <= 5, 0.0, np.where(x <= 18, (x - 2) / 90.66, np.exp((x - 83.9) / 38.9)))


def encode(vil: np.ndarray) -> np.ndarray:
    """VIL in kg/m^2 -> pixel values in [0, 255] (0 where VIL <= 0)."""
    v = np.asarray(vil, dtype=np.float64)
    linear = v * 90.66 + 2
    with np.errstate(divide="ignore"):
        log = 38.9 * np.log(np.maximum(v, 1e-12)) + 83.9
    return np.clip(np.where(v <= 0, 0.0, np.where(v <= _LINEAR_TOP, np.maximum(linear, 5.0), log)), 0.0, 255.0)
