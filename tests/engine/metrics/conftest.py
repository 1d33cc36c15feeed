"""Shared inputs of the metric tests: random fields and a structured storm-like pair."""
from __future__ import annotations

import numpy as np
import pytest

from engine._pysteps import import_pysteps


@pytest.fixture(scope="session")
def pysteps_verification():
    import_pysteps()
    from pysteps import verification

    return verification


def storm_pair(rng: np.random.Generator, n: int = 2, t: int = 3, size: int = 24) -> tuple[np.ndarray, np.ndarray]:
    """Gaussian cells on a 0-255 grid: observed, and a forecast that is shifted and noisier."""
    y, x = np.mgrid[:size, :size]
    obs = np.zeros((n, t, size, size))
    pred = np.zeros_like(obs)
    for i in range(n):
        for j in range(t):
            cy, cx = rng.uniform(4, size - 4, 2)
            blob = 240 * np.exp(-((y - cy) ** 2 + (x - cx) ** 2) / (2 * rng.uniform(2, 5) ** 2))
            obs[i, j] = blob
            pred[i, j] = np.roll(blob, (1, 2), axis=(0, 1)) * rng.uniform(0.7, 1.1)
    return np.clip(pred + rng.normal(0, 3, pred.shape), 0, 255), obs


@pytest.fixture(params=["random", "storm"])
def pair(request):
    rng = np.random.default_rng(7)
    if request.param == "random":
        return rng.uniform(0, 255, (2, 3, 20, 20)), rng.uniform(0, 255, (2, 3, 20, 20))
    return storm_pair(rng)
