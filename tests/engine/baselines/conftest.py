"""A translating Gaussian storm cell on a small grid (0-255 VIL pixels)."""
from __future__ import annotations

import numpy as np
import pytest


def moving_blob(n_frames: int = 10, size: int = 64, velocity=(1.5, 2.0)) -> np.ndarray:
    """(n_frames, size, size): a cell moving ``velocity`` = (dy, dx) pixels per frame, peak 220."""
    y, x = np.mgrid[:size, :size]
    return np.stack([220 * np.exp(-((y - 18 - velocity[0] * t) ** 2 + (x - 14 - velocity[1] * t) ** 2) / (2 * 6**2))
                     for t in range(n_frames)])


@pytest.fixture
def blob() -> np.ndarray:
    return moving_blob()
