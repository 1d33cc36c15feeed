"""Validation of a baseline's context window (one clear "expected ..., got ..." line)."""
from __future__ import annotations

from typing import Any

import numpy as np


def check_context(context: Any, n_steps: int, *, min_frames: int = 1, fields: bool = False) -> np.ndarray:
    """Return ``context`` (T_in, ...) as float64 after checking frames, finiteness and ``n_steps``.

    ``fields`` requires the (T_in, H, W) layout of gridded baselines (optical flow, STEPS).
    """
    context = np.asarray(context, dtype=np.float64)
    if fields and context.ndim != 3:
        raise ValueError(f"context: expected a (T_in, H, W) window, got shape {context.shape}")
    if context.ndim < 1 or context.shape[0] < min_frames:
        raise ValueError(f"context: expected at least {min_frames} frame(s) along the first axis, got shape {context.shape}")
    if not np.all(np.isfinite(context)):
        raise ValueError(f"context: expected finite values, got {int(np.sum(~np.isfinite(context)))} NaN/inf")
    if int(n_steps) != n_steps or n_steps < 1:
        raise ValueError(f"n_steps: expected a positive integer, got {n_steps}")
    return context
