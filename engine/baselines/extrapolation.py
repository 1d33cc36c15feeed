"""Optical-flow extrapolation (pysteps): Proesmans motion + semi-Lagrangian advection.

The motion field is estimated from the last two context frames (Proesmans et al. 1994, the
dependency-free pysteps method that was accurate on radar; Lucas-Kanade would need OpenCV), then
the last frame is advected along it, backward in time, for each lead. Intensities are carried
unchanged (Lagrangian persistence); pixels advected in from outside the domain get ``outval``.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from .._pysteps import import_pysteps
from ._checks import check_context


def estimate_motion(frames: np.ndarray) -> np.ndarray:
    """Proesmans motion between the last two frames: (T, H, W) -> (2, H, W), pixels per step (x, y)."""
    import_pysteps()
    from pysteps import motion

    frames = np.asarray(frames[-2:], dtype=np.float64)
    h, w = frames.shape[-2:]
    # pysteps' Proesmans kernel runs without bounds checks: pyramid levels under a few pixels,
    # or sides that do not halve exactly, read and write outside its arrays (seen as an aborted
    # process with the default 6 levels on frames under 32 px, and as intermittent NaN
    # velocities). Keep the coarsest level at >= 4 px and pad (edge values) so every level halves
    # exactly; the velocity is cropped back to (H, W).
    levels = min(6, max(1, int(np.floor(np.log2(min(h, w) / 4))) + 1))
    step = 2 ** (levels - 1)
    padded = np.pad(frames, ((0, 0), (0, -h % step), (0, -w % step)), mode="edge")
    velocity = motion.get_method("proesmans")(padded, num_levels=levels)[:, :h, :w]
    if not np.all(np.isfinite(velocity)):
        raise ValueError(f"optical flow: Proesmans motion on {h} x {w} frames gave non-finite velocities")
    return np.ascontiguousarray(velocity)


def advect(field: np.ndarray, velocity: np.ndarray, n_steps: int, outval: float) -> np.ndarray:
    """Semi-Lagrangian extrapolation of one (H, W) field: -> (n_steps, H, W)."""
    import_pysteps()
    from pysteps import extrapolation

    out = extrapolation.get_method("semilagrangian")(field, velocity, n_steps, outval=outval)
    return np.nan_to_num(out, nan=outval)


def optical_flow(context: Any, n_steps: int, *, outval: float | None = None) -> np.ndarray:
    """Extrapolate the last frame along the Proesmans motion of the last two frames.

    Parameters
    ----------
    context : (T_in, H, W), T_in >= 2, any intensity scale (VIL pixels or [0, 1]).
    n_steps : leads to forecast, in context time steps.
    outval : value for pixels entering from outside the domain (default: the last frame's minimum,
        i.e. "no echo" for VIL).

    Returns
    -------
    (n_steps, H, W) on the context's scale.
    """
    context = check_context(context, n_steps, min_frames=2, fields=True)
    fill = float(context[-1].min()) if outval is None else float(outval)
    return advect(context[-1], estimate_motion(context), int(n_steps), fill)
