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
    # pysteps' default 6 pyramid levels corrupt the heap (the process aborts) on frames under
    # 32 pixels: use only as many levels as the smaller side supports.
    levels = min(6, int(np.floor(np.log2(min(frames.shape[-2:])))) + 1)
    return motion.get_method("proesmans")(frames, num_levels=levels)


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
